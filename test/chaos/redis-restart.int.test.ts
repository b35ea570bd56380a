import { ops } from '@matchflow/db';
import { VANISHED_ERROR } from '@matchflow/pipeline';
import { createRedis, Producer } from '@matchflow/queues';
import type { ReplayServer } from '@matchflow/replay';
import { type PrivateRedis, redisServerAvailable, startPrivateRedis } from '@matchflow/testing';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ChaosFleet,
  type ChaosFleetOptions,
  type CleanReference,
  chaosSourceSettings,
  expectConverged,
  type FleetProcess,
  referenceRun,
  serverUrl,
} from './support/chaos-fleet.js';

/*
 * Chaos 3 (issue 9): Redis is killed (kill -9) in the middle of a run and started again on the
 * same port a moment later, under real worker processes that are not restarted.
 *
 * - With AOF persistence (`appendfsync always`) every acknowledged queue write survives: the
 *   workers reconnect, the run goes on and ends `ok` where a clean run ends.
 * - Without persistence Redis comes back empty and the run's queued jobs are gone. Nothing can
 *   finish that run: it stays `running` until the reaper (the `reap-stale-runs` maintenance job,
 *   as the nightly schedule enqueues it; `runs.vanishedAfterMs` shortened here) closes it `failed`
 *   with the reason. The next run of the same scope then converges — only the matches the dead
 *   run did not store are fetched again — on the same workers, whose limiter, breaker and queues
 *   work on the empty Redis.
 */

if (!serverUrl) console.info('[chaos] TEST_DATABASE_URL is not set: the chaos suite is skipped');
const canRun = Boolean(serverUrl) && redisServerAvailable();
if (serverUrl && !canRun) console.info('[chaos] no redis-server binary: the Redis restart scenarios are skipped');

const SEASON = '50011';
/** The fleet-wide budget of the no-persistence scenario: the limiter must still hold it on the empty Redis. */
const REQUESTS_PER_SECOND = 25;

describe.skipIf(!canRun)('chaos: Redis restarted mid-run', () => {
  let reference: CleanReference;
  let fleet: ChaosFleet | undefined;
  let redis: PrivateRedis | undefined;

  beforeAll(async () => {
    reference = await referenceRun('redis-reference', [SEASON]);
  });
  afterEach(async (context) => {
    fleet?.reportOnFailure(context);
    // The fleet first: its key cleanup needs its Redis.
    await fleet?.close();
    fleet = undefined;
    await redis?.stop();
    redis = undefined;
  });
  afterAll(async () => {
    await fleet?.close();
    await redis?.stop();
  });

  async function startFleet(
    label: string,
    persistence: 'aof' | 'none',
    settings?: ChaosFleetOptions['settings'],
  ): Promise<{ chaos: ChaosFleet; server: PrivateRedis }> {
    redis = await startPrivateRedis({ persistence });
    fleet = await ChaosFleet.start({ label, redisUrl: redis.url, ...(settings ? { settings } : {}) });
    return { chaos: fleet, server: redis };
  }

  function expectAlive(workers: FleetProcess[]): void {
    for (const worker of workers) expect(worker.child.exitCode, worker.output().slice(-2_000)).toBeNull();
  }

  it('with AOF: the workers reconnect and the run goes on to ok, as a clean run', async () => {
    const { chaos, server } = await startFleet('redis-aof', 'aof');
    const workers = [chaos.startWorker(), chaos.startWorker()];
    const runId = await chaos.runUnderWay(SEASON);

    await server.restart({ downMs: 1_000 });
    const atRestart = await chaos.stages(runId, 'ingest');
    expect((await chaos.run(runId))?.status).toBe('running');
    expect(atRestart.filter((stage) => stage.status === 'ok').length).toBeLessThan(15);
    chaos.replay.faults.set({});

    const run = await chaos.finishedRun(runId);
    expect(run.status, run.error ?? '').toBe('ok');
    const ingests = await chaos.stages(runId, 'ingest');
    expect(ingests).toHaveLength(15);
    expect(ingests.every((stage) => stage.status === 'ok')).toBe(true);
    for (const stage of ['ratings', 'build', 'publish']) {
      expect((await chaos.stages(runId, stage)).map((row) => row.status)).toEqual(['ok']);
    }
    // The same processes carried the run across the restart: they saw it and came back.
    expectAlive(workers);
    expect(workers.map((worker) => worker.output()).join('')).toMatch(/redis connection error/);
    await expectConverged(chaos, reference);
    const stored = atRestart.filter((stage) => stage.status === 'ok').length;
    console.info(`[chaos] AOF restart after ${stored}/15 ingests: the same workers finished the run`);
  }, 90_000);

  it('without persistence: the reaper closes the orphaned run as failed, the next run converges', async () => {
    const limited = (replay: ReplayServer) => ({
      sources: {
        sofascore: {
          ...chaosSourceSettings(replay),
          rateLimit: { requestsPerInterval: REQUESTS_PER_SECOND, intervalMs: 1000, maxConcurrent: 8 },
        },
      },
      // Jobs gone for 2 s (not a minute) are gone for good: the test's reaper acts in seconds.
      runs: { overlap: 'skip', staleAfterMs: 3_600_000, vanishedAfterMs: 2_000 },
    });
    const { chaos, server } = await startFleet('redis-empty', 'none', limited);
    const workers = [chaos.startWorker(), chaos.startWorker()];
    const runId = await chaos.runUnderWay(SEASON);

    await server.restart();
    chaos.replay.faults.set({});
    // The jobs went with Redis. What was in flight settles; nothing new starts, the run stays open.
    let stored = -1;
    let rows = -1;
    await vi.waitFor(
      async () => {
        const ingests = await chaos.stages(runId, 'ingest');
        const ok = ingests.filter((stage) => stage.status === 'ok').length;
        const [lastOk, lastRows] = [stored, rows];
        [stored, rows] = [ok, ingests.length];
        // Two looks 2.5 s apart that agree: no job is left to move the run on.
        expect([ok, ingests.length]).toEqual([lastOk, lastRows]);
      },
      { timeout: 30_000, interval: 2_500 },
    );
    expect(stored).toBeLessThan(15);
    expect((await chaos.run(runId))?.status).toBe('running');
    expect(await chaos.stages(runId, 'ratings')).toEqual([]);

    // The reaper, as production runs it: a maintenance job worked by one of the same workers.
    const connection = createRedis(chaos.redisUrl, 'client');
    const producer = new Producer({ connection, prefix: chaos.prefix, config: chaos.config });
    try {
      await producer.enqueueMaintenance({ task: 'reap-stale-runs' }, 'maintenance.reap-stale-runs.chaos');
      const run = await chaos.finishedRun(runId, 30_000);
      expect(run.status).toBe('failed');
      expect(run.error).toBe(VANISHED_ERROR);
      expect(run.failedStage).toBe('ingest');
      expect(run.counters).toMatchObject({ reaped: 'vanished' });
      const ingests = await chaos.stages(runId, 'ingest');
      expect(ingests.filter((stage) => stage.status === 'running')).toEqual([]);
      for (const stage of ingests.filter((row) => row.status === 'failed')) expect(stage.error).toBe(VANISHED_ERROR);
      // The maintenance job records what it reaped once it has closed the runs: wait for it.
      await vi.waitFor(
        async () => {
          const [checkpoint] = await chaos.database.db
            .select()
            .from(ops.checkpoints)
            .where(eq(ops.checkpoints.name, 'maintenance.reap-stale-runs'));
          expect(checkpoint?.value).toMatchObject({ vanished: [runId] });
        },
        { timeout: 10_000, interval: 100 },
      );
      // Nothing was published for the dead run.
      expect(await chaos.latestSnapshot()).toBeUndefined();
    } finally {
      await producer.close();
      connection.disconnect();
    }

    // The next run of the scope, as the hourly schedule starts it (`changed`), on the same workers.
    stored = (await chaos.stages(runId, 'ingest')).filter((stage) => stage.status === 'ok').length;
    chaos.replay.accounting.reset();
    const nextId = await chaos.trigger(SEASON, 'changed');
    const next = await chaos.finishedRun(nextId);
    expect(next.status, next.error ?? '').toBe('ok');
    // Only what the dead run had not stored is fetched again; nothing is stored twice.
    const [discover] = await chaos.stages(nextId, 'discover');
    expect((discover?.counters as { selected?: number } | undefined)?.selected).toBe(15 - stored);
    const ingests = await chaos.stages(nextId, 'ingest');
    expect(ingests).toHaveLength(15 - stored);
    expect(ingests.every((stage) => stage.status === 'ok')).toBe(true);
    await expectConverged(chaos, reference);

    // The workers lived through it, and the fleet-wide limiter still holds the budget on the
    // Redis that lost its keys (DESIGN §12: a limiter must survive a Redis restart).
    expectAlive(workers);
    const served = chaos.replay.accounting.snapshot();
    expect(served.requests).toBeGreaterThan(0);
    expect(served.served429 + served.served5xx).toBe(0);
    expect(served.peakRequestsPer1s).toBeLessThanOrEqual(REQUESTS_PER_SECOND);
    expect(workers.map((worker) => worker.output()).join('')).not.toMatch(/NOT_FOUND|UNKNOWN_CLIENT/);
    console.info(
      `[chaos] empty Redis: the dead run had stored ${stored}/15 matches; the next run fetched the other ` +
        `${15 - stored} with ${served.requests} requests, peak ${served.peakRequestsPer1s}/s (budget ${REQUESTS_PER_SECOND}/s)`,
    );
  }, 90_000);
});
