import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PUBLISHED_TABLES, pointLatest, writeSnapshotDirectory } from '@matchflow/pipeline';
import { createLogger } from '@matchflow/telemetry';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SnapshotSource, SnapshotUnavailable } from './snapshot-source.js';

let publishDir: string;
let nowMs: number;

beforeEach(async () => {
  publishDir = await mkdtemp(path.join(tmpdir(), 'matchflow-snapshot-source-'));
  nowMs = 1_000_000;
});
afterEach(async () => {
  await rm(publishDir, { recursive: true, force: true });
});

async function publish(version: string, name: string): Promise<void> {
  const rows = new Map<string, Record<string, unknown>[]>(PUBLISHED_TABLES.map((table) => [table.name, []]));
  rows.set('competitions', [{ competition_id: 'fd.pl', name, sport: 'football' }]);
  await writeSnapshotDirectory(publishDir, {
    rows,
    version,
    runId: 'run',
    createdAt: new Date('2025-09-01T00:00:00.000Z'),
    watermarks: {},
    quality: { score: 1, checks: 0, passed: 0, warned: 0, failed: 0, issues: [] },
  });
  await pointLatest(publishDir, version);
}

function source(): SnapshotSource {
  return new SnapshotSource({
    publishDir,
    logger: createLogger({ service: 'dashboard', level: 'silent' }),
    retryAfterMs: 30_000,
    now: () => nowMs,
  });
}

describe('SnapshotSource', () => {
  it('loads a version once and shares it between concurrent callers', async () => {
    await publish('v1', 'Premier League');
    const snapshots = source();
    const [a, b] = await Promise.all([snapshots.latest(), snapshots.latest()]);
    expect(a?.version).toBe('v1');
    expect(b).toBe(a);
    expect(await snapshots.latest()).toBe(a);
  });

  it('throws SnapshotUnavailable for a damaged latest with nothing to fall back on, and retries after retryAfterMs', async () => {
    await publish('v1', 'Premier League');
    const file = path.join(publishDir, 'v1', 'competitions.ndjson');
    const good = await readFile(file, 'utf8');
    await writeFile(file, good.replace('Premier', 'Primera'));
    const snapshots = source();
    await expect(snapshots.latest()).rejects.toBeInstanceOf(SnapshotUnavailable);

    // Repaired (a transient read error, say): not tried again until retryAfterMs has passed.
    await writeFile(file, good);
    nowMs += 29_999;
    await expect(snapshots.latest()).rejects.toBeInstanceOf(SnapshotUnavailable);
    nowMs += 1;
    expect((await snapshots.latest())?.competitions).toEqual([
      { competition_id: 'fd.pl', name: 'Premier League', sport: 'football' },
    ]);
  });

  it('is undefined again when the pointer disappears', async () => {
    await publish('v1', 'Premier League');
    const snapshots = source();
    expect((await snapshots.latest())?.version).toBe('v1');
    await rm(path.join(publishDir, 'latest'));
    expect(await snapshots.latest()).toBeUndefined();
  });
});
