import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, testBackends } from '@matchflow/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplayPipeline, startReplayPipeline } from './support/replay-pipeline.js';
import { runStages, type SeasonScope } from './support/run-stages.js';

/*
 * Seasons of one rating pool may finish out of date order (a backfill runs them side by side):
 * the later season's ratings run rewinds the pool and rewrites the pre-match ratings of a season
 * built before it. The snapshot published after the last build must not depend on the order.
 */

const serverUrl = process.env.TEST_DATABASE_URL;
const season = (id: string): SeasonScope => ({
  source: 'sofascore',
  competitionId: 'demo-cup',
  competition: '1002',
  season: id,
});

let pipeline: ReplayPipeline;
const temporary: string[] = [];

beforeAll(async () => {
  pipeline = await startReplayPipeline('season-order', {
    ratingPools: { football: {} },
    competitions: [
      { id: 'demo-cup', source: 'sofascore', competition: 1002, seasons: [50011, 50012], ratingPool: 'football' },
    ],
  });
});
afterAll(async () => {
  await pipeline?.close();
  for (const dir of temporary) await rm(dir, { recursive: true, force: true });
});

describe.each(testBackends(process.env))('seasons of a pool out of order on %s', (backend) => {
  it('publishes the same content whichever season finishes first', async () => {
    const outcomes: Array<{ contentHash: string; refreshed: number }> = [];
    for (const order of [
      ['50011', '50012'],
      ['50012', '50011'],
    ]) {
      const database = await createTestDatabase(backend, { serverUrl, label: `season_order_${order.join('_')}` });
      const publishDir = await mkdtemp(path.join(tmpdir(), 'matchflow-season-order-'));
      temporary.push(publishDir);
      try {
        const deps = {
          db: database.db,
          fetcher: pipeline.client,
          config: { ...pipeline.config, publishDir },
          logger: pipeline.logger,
        };
        let last: Awaited<ReturnType<typeof runStages>> | undefined;
        for (const id of order) last = await runStages(deps, season(id));
        if (last?.published?.status !== 'published') throw new Error(`not published: ${last?.published?.status}`);
        outcomes.push({ contentHash: last.published.contentHash, refreshed: last.built.ratingsRefreshed });
      } finally {
        await database.dispose();
      }
    }
    const [inOrder, reversed] = outcomes;
    // In date order nothing rewinds; reversed, the older season's ratings run replays the newer
    // season's matches, and its build brings their summaries back in line.
    expect(inOrder?.refreshed).toBe(0);
    expect(reversed?.refreshed).toBeGreaterThan(0);
    expect(reversed?.contentHash).toBe(inOrder?.contentHash);
  }, 120_000);
});
