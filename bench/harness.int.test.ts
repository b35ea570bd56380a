import { randomUUID } from 'node:crypto';
import { type ReplayServer, startReplay } from '@matchflow/replay';
import { TEST_REDIS_URL } from '@matchflow/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKFILL_DEFAULTS, benchBackfill } from './backfill.js';
import { noopJobRate, rawHttpRate } from './end-to-end.js';
import { type BenchEnv, BenchFleet, CUP, leagueSettings } from './fleet.js';

/*
 * A smoke test of the benchmark harness, not a benchmark: the fleet benchmarks' pieces run on a
 * small scope and leave nothing behind. No timing is asserted (docs/performance.md).
 */

const env: BenchEnv = {
  redisUrl: TEST_REDIS_URL,
  postgresUrl: undefined,
  prefix: `matchflow-test:bench-harness:${randomUUID().slice(0, 8)}`,
};

async function keysUnder(prefix: string): Promise<string[]> {
  const redis = new Redis(env.redisUrl);
  try {
    return await redis.keys(`${prefix}:*`);
  } finally {
    redis.disconnect();
  }
}

describe('bench harness', () => {
  let replay: ReplayServer;
  beforeAll(async () => {
    replay = await startReplay({ port: 0, seed: 7 });
  });
  afterAll(async () => {
    await replay?.close();
  });

  it('measures the floors and deletes its queue', async () => {
    expect(await noopJobRate(env, 200, 4)).toBeGreaterThan(0);
    expect(await rawHttpRate(replay, 100, 2)).toBeGreaterThan(0);
    expect(await keysUnder(env.prefix)).toEqual([]);
  });

  it('runs a season through an in-process fleet, then removes its keys', async () => {
    const fleet = await BenchFleet.start(env, {
      label: 'smoke',
      backend: 'pglite',
      processes: 1,
      settings: leagueSettings(replay, { requestsPerInterval: 1_000, maxConcurrent: 16 }),
    });
    try {
      const { runId } = await fleet.trigger('50011', 'full', CUP.id);
      const run = await fleet.waitClosed(runId, 60_000);
      expect(run.status).toBe('ok');
      expect((run.counters as { matches?: number }).matches).toBe(15);
      expect((await fleet.stages(runId)).filter((stage) => stage.stage === 'ingest')).toHaveLength(15);
      expect((await keysUnder(fleet.prefix)).length).toBeGreaterThan(0);
    } finally {
      await fleet.close();
    }
    expect(await keysUnder(env.prefix)).toEqual([]);
  }, 90_000);

  // A real worker process needs a database it can share: PostgreSQL, as in `npm run bench`.
  const postgresUrl = process.env.TEST_DATABASE_URL;
  it.skipIf(!postgresUrl)(
    'backfills one Bench League season through startBackfill, every match, and removes its keys',
    async () => {
      const backfillEnv: BenchEnv = { ...env, postgresUrl };
      const figures = await benchBackfill(backfillEnv, { ...BACKFILL_DEFAULTS, matches: 380, processes: 1 });
      expect(figures.runs).toBe(1);
      expect(figures.statuses).toEqual({ ok: 1 });
      expect(figures.worldMatches).toBe(380);
      expect(figures.coreMatches).toBe(figures.worldMatches);
      expect(figures.runMatches).toBe(figures.worldMatches);
      for (const jobs of Object.values(figures.redis.jobsLeft)) {
        expect(jobs.failed).toBe(0);
        expect(jobs.waiting).toBe(0);
        expect(jobs.completed).toBeLessThanOrEqual(figures.redis.completedJobsKeep);
      }
      expect(await keysUnder(env.prefix)).toEqual([]);
    },
    180_000,
  );
});
