import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Config, loadConfig } from '@matchflow/config';
import { ops, raw } from '@matchflow/db';
import { createTestDatabase, type TestDatabase, testBackends } from '@matchflow/db/testing';
import {
  createRun,
  Fleet,
  pruneRawPayloads,
  pruneRunHistory,
  reapStaleRuns,
  runMaintenanceTask,
  sha256Hex,
  triggerRun,
  VANISHED_ERROR,
} from '@matchflow/pipeline';
import { createRedis, JOBS, jobIds, Producer } from '@matchflow/queues';
import { createLogger } from '@matchflow/telemetry';
import { TEST_REDIS_URL, testRedis } from '@matchflow/testing';
import { type Job, QueueEvents, Worker } from 'bullmq';
import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/* Maintenance: raw and run-history retention, the stale-run reaper, cleaning finished jobs. */

const serverUrl = process.env.TEST_DATABASE_URL;
const logger = createLogger({ service: 'test', level: 'silent' });
const DAY_MS = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS);

function maintenanceConfig(prefix: string, publishDir: string): Config {
  return loadConfig(
    {},
    JSON.stringify({
      redis: { prefix },
      publishDir,
      sources: { sofascore: { kind: 'sofascore', baseUrl: 'http://127.0.0.1:9/api/v1' } },
      ratingPools: { football: {} },
      competitions: [
        {
          id: 'reaped',
          source: 'sofascore',
          competition: 2001,
          seasons: ['1', '2', '3', '4', '5', '6'],
          ratingPool: 'football',
        },
      ],
      retention: { rawPayloadsDays: 90, runHistoryDays: 180, completedJobsDays: 14, failedJobsDays: 14 },
    }),
  );
}

describe.each(testBackends(process.env))('maintenance on %s', (backend) => {
  let database: TestDatabase;
  let config: Config;
  let producer: Producer;
  const redis = testRedis(undefined, `maintenance-${backend}`);
  const publishDir = mkdtempSync(path.join(tmpdir(), `matchflow-maintenance-${backend}-`));

  beforeAll(async () => {
    database = await createTestDatabase(backend, { serverUrl, label: 'maintenance' });
    config = maintenanceConfig(redis.prefix, publishDir);
    producer = new Producer({ connection: redis.connect(), prefix: redis.prefix, config });
  });
  afterAll(async () => {
    await producer?.close();
    await database?.dispose();
    await redis.cleanup();
    rmSync(publishDir, { recursive: true, force: true });
  });

  it('raw retention deletes exactly the old superseded and old quarantined payloads, never the newest of a resource', async () => {
    let serial = 0;
    /** A payload of resource `key` fetched `age` days ago; returns a label to find it by. */
    const payload = (
      key: string,
      age: number,
      options: { quarantined?: boolean; endpoint?: string; at?: Date } = {},
    ) => {
      serial += 1;
      return {
        source: 'sofascore',
        endpoint: options.endpoint ?? 'event',
        key,
        fetchedAt: options.at ?? daysAgo(age),
        httpStatus: 200,
        sha256: sha256Hex(`${key}-${serial}`),
        body: { serial },
        quarantined: options.quarantined ?? false,
        contractError: options.quarantined ? 'event.homeScore: expected object' : null,
        runId: null,
      };
    };
    const tie = daysAgo(200);
    const rows = {
      // Three sound payloads, all old: the newest stays.
      r1old: payload('r1', 200),
      r1mid: payload('r1', 150),
      r1new: payload('r1', 100),
      // A resource's only payload, however old.
      r2only: payload('r2', 400),
      // Another endpoint with the same key is another resource.
      r2lineups: payload('r2', 400, { endpoint: 'event.lineups' }),
      // A newer quarantined body does not supersede the sound one core was built from.
      r3sound: payload('r3', 200),
      r3quarantined: payload('r3', 150, { quarantined: true }),
      // An old quarantined body superseded by a sound one goes.
      r4quarantined: payload('r4', 200, { quarantined: true }),
      r4sound: payload('r4', 150),
      // Superseded but recent enough: stays.
      r5old: payload('r5', 200),
      r5recent: payload('r5', 10),
      r6within: payload('r6', 50),
      r6recent: payload('r6', 10),
      r7quarantined: payload('r7', 50, { quarantined: true }),
      r7sound: payload('r7', 10),
      // Sound, quarantined, sound: the first two go.
      r8first: payload('r8', 200),
      r8quarantined: payload('r8', 150, { quarantined: true }),
      r8last: payload('r8', 120),
      // Fetched at the same instant: the higher id is the newer.
      r9a: payload('r9', 0, { at: tie }),
      r9b: payload('r9', 0, { at: tie }),
      // The newest payload is quarantined and old: it stays; the older quarantined one goes.
      r10older: payload('r10', 300, { quarantined: true }),
      r10newest: payload('r10', 200, { quarantined: true }),
    };
    const ids = new Map<string, number>();
    for (const [label, row] of Object.entries(rows)) {
      const [inserted] = await database.db.insert(raw.payloads).values(row).returning({ id: raw.payloads.id });
      ids.set(label, inserted?.id ?? -1);
    }
    const doomed = ['r1old', 'r1mid', 'r4quarantined', 'r5old', 'r8first', 'r8quarantined', 'r9a', 'r10older'];

    const deleted = await pruneRawPayloads(database.db, { olderThan: daysAgo(90) });
    expect(deleted).toBe(doomed.length);
    const left = await database.db.select({ id: raw.payloads.id }).from(raw.payloads);
    const leftLabels = [...ids].filter(([, id]) => left.some((row) => row.id === id)).map(([label]) => label);
    expect(leftLabels.sort()).toEqual(
      Object.keys(rows)
        .filter((label) => !doomed.includes(label))
        .sort(),
    );
    // Idempotent: a second pass finds nothing.
    expect(await pruneRawPayloads(database.db, { olderThan: daysAgo(90) })).toBe(0);
  });

  it('run-history retention deletes old finished runs with their stage rows and quality results; keeps running runs and runs of snapshots on disk', async () => {
    const scope = { source: 'sofascore', competitionId: 'history', competition: '9', season: '1' };
    const run = async (runId: string, age: number, status: 'ok' | 'failed' | 'running') => {
      await database.db.insert(ops.pipelineRuns).values({
        runId,
        trigger: 'schedule',
        scope,
        env: 'dev',
        status,
        failedStage: status === 'failed' ? 'build' : null,
        startedAt: daysAgo(age),
        finishedAt: status === 'running' ? null : daysAgo(age),
      });
      await database.db.insert(ops.stageRuns).values({ runId, stage: 'discover', scopeKey: 'history.1', status: 'ok' });
      await database.db.insert(ops.qualityResults).values({
        runId,
        check: 'freshness',
        scope: 'history.1',
        severity: 'warn',
        status: 'pass',
        observed: 1,
        threshold: 26,
      });
    };
    const snapshot = async (version: string, runId: string, pruned: boolean) =>
      database.db.insert(ops.snapshots).values({
        version,
        runId,
        createdAt: daysAgo(200),
        contentHash: sha256Hex(version),
        rowCounts: {},
        qualityScore: 1,
        manifest: {},
        prunedAt: pruned ? daysAgo(150) : null,
      });
    await run('run-history-old-ok', 200, 'ok');
    await run('run-history-old-failed', 300, 'failed');
    await run('run-history-old-running', 200, 'running');
    await run('run-history-recent', 10, 'ok');
    await run('run-history-on-disk', 200, 'ok');
    await snapshot('20240101T000000.000Z-00000001', 'run-history-on-disk', false);
    await run('run-history-pruned', 200, 'ok');
    await snapshot('20240101T000000.000Z-00000002', 'run-history-pruned', true);

    expect(await pruneRunHistory(database.db, { olderThan: daysAgo(180) })).toBe(3);
    const runs = await database.db
      .select({ runId: ops.pipelineRuns.runId })
      .from(ops.pipelineRuns)
      .where(sql`${ops.pipelineRuns.runId} LIKE 'run-history-%'`);
    expect(runs.map((row) => row.runId).sort()).toEqual([
      'run-history-old-running',
      'run-history-on-disk',
      'run-history-recent',
    ]);
    const gone = ['run-history-old-ok', 'run-history-old-failed', 'run-history-pruned'];
    expect(await database.db.select().from(ops.stageRuns).where(inArray(ops.stageRuns.runId, gone))).toEqual([]);
    expect(await database.db.select().from(ops.qualityResults).where(inArray(ops.qualityResults.runId, gone))).toEqual(
      [],
    );
    // Snapshot history outlives its run.
    expect(await database.db.select().from(ops.snapshots)).toHaveLength(2);
  });

  it('the reaper closes a run whose jobs vanished and a stale run; it leaves live runs, young runs and rebuilds alone', async () => {
    const scope = (season: string) => ({ source: 'sofascore', competitionId: 'reaped', competition: '2001', season });
    const open = async (runId: string, season: string, trigger: string, ageMs: number) => {
      await createRun(database.db, { runId, trigger, scope: scope(season), env: 'dev' });
      await database.db
        .update(ops.pipelineRuns)
        .set({ startedAt: new Date(Date.now() - ageMs) })
        .where(eq(ops.pipelineRuns.runId, runId));
    };
    // Jobs gone (Redis flushed): discover had started, nothing left in any queue.
    await open('run-reap-vanished', '1', 'schedule', 5 * 60_000);
    await database.db
      .insert(ops.stageRuns)
      .values({ runId: 'run-reap-vanished', stage: 'discover', scopeKey: 'reaped.1', status: 'running' });
    // Older than runs.staleAfterMs (6 h).
    await open('run-reap-stale', '2', 'cli', 7 * 3_600_000);
    // Live: its discover job waits in the queue.
    const live = await triggerRun(
      { db: database.db, producer, config },
      { competitionId: 'reaped', season: '3', mode: 'changed', trigger: 'schedule' },
    );
    if (live.outcome !== 'started') throw new Error('live run not started');
    await database.db
      .update(ops.pipelineRuns)
      .set({ startedAt: new Date(Date.now() - 5 * 60_000) })
      .where(eq(ops.pipelineRuns.runId, live.runId));
    // Live past discover: only its flow is left (build waiting for ratings and ingest).
    await open('run-reap-flow', '4', 'schedule', 5 * 60_000);
    await producer.addRunFlow({
      build: { ...scope('4'), runId: 'run-reap-flow', pool: 'football', trigger: 'schedule' },
      ratings: { runId: 'run-reap-flow', pool: 'football' },
      ingests: [{ ...scope('4'), runId: 'run-reap-flow', match: '77', trigger: 'schedule' }],
    });
    // Just triggered: its discover job may not be enqueued yet.
    await open('run-reap-young', '5', 'cli', 0);
    // A rebuild has no jobs at all.
    await open('run-reap-rebuild', '6', 'rebuild', 5 * 60_000);

    // Scoped to this test's competition (the run-history test left a 200-day-old run running).
    const scopes = ['1', '2', '3', '4', '5', '6'].map((season) => ({ competitionId: 'reaped', season }));
    const reaped = await reapStaleRuns({ db: database.db, producer, config, logger }, { scopes });
    expect(reaped.checked).toBe(6);
    expect(reaped.closed.sort((a, b) => a.runId.localeCompare(b.runId))).toEqual([
      { runId: 'run-reap-stale', reason: 'stale', failedStage: 'discover' },
      { runId: 'run-reap-vanished', reason: 'vanished', failedStage: 'discover' },
    ]);
    const runs = await database.db
      .select()
      .from(ops.pipelineRuns)
      .where(sql`${ops.pipelineRuns.scope} ->> 'competitionId' = 'reaped'`);
    const status = Object.fromEntries(runs.map((row) => [row.runId, row.status]));
    expect(status).toEqual({
      'run-reap-vanished': 'failed',
      'run-reap-stale': 'failed',
      [live.runId]: 'running',
      'run-reap-flow': 'running',
      'run-reap-young': 'running',
      'run-reap-rebuild': 'running',
    });
    expect(runs.find((row) => row.runId === 'run-reap-vanished')).toMatchObject({
      failedStage: 'discover',
      error: VANISHED_ERROR,
      finishedAt: expect.any(Date),
    });
    expect(runs.find((row) => row.runId === 'run-reap-stale')?.error).toMatch(/^stale: /);
    const [stage] = await database.db.select().from(ops.stageRuns).where(eq(ops.stageRuns.runId, 'run-reap-vanished'));
    expect(stage).toMatchObject({ status: 'failed', error: VANISHED_ERROR });
    // Nothing left to do the second time.
    expect((await reapStaleRuns({ db: database.db, producer, config, logger }, { scopes })).closed).toEqual([]);
  });

  it('clean-queues removes completed and failed jobs older than their retention, and keeps newer ones', async () => {
    // The maintenance queue: no other test's jobs wait there for this worker to take.
    const queue = producer.queues.maintenance;
    const workerConnection = createRedis(TEST_REDIS_URL, 'worker');
    const eventsConnection = createRedis(TEST_REDIS_URL, 'worker');
    const worker = new Worker(
      queue.name,
      async (job: Job) => {
        if ((job.data as { fail?: boolean }).fail) throw new Error('planned failure');
        return 'done';
      },
      { connection: workerConnection, prefix: redis.prefix },
    );
    const events = new QueueEvents(queue.name, { connection: eventsConnection, prefix: redis.prefix });
    const finish = async (jobId: string, fail: boolean) => {
      const job = await queue.add(JOBS.maintenance, { fail }, { jobId, attempts: 1 });
      const done = job.waitUntilFinished(events, 10_000);
      if (fail) await expect(done).rejects.toThrow('planned failure');
      else await done;
    };
    try {
      await events.waitUntilReady();
      await finish('maintenance.old-ok', false);
      await finish('maintenance.old-failed', true);
      const boundary = Date.now();
      // The clock moves on (a millisecond) before the newer jobs finish.
      await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(boundary));
      await finish('maintenance.new-ok', false);
      await finish('maintenance.new-failed', true);

      // Fourteen days after the boundary: the older two are past both retentions.
      const counters = await runMaintenanceTask(
        { db: database.db, producer, config, logger, now: () => boundary + 14 * DAY_MS },
        'clean-queues',
      );
      expect(counters).toEqual({ completed: 1, failed: 1 });
      expect(await queue.getJob('maintenance.old-ok')).toBeUndefined();
      expect(await queue.getJob('maintenance.old-failed')).toBeUndefined();
      expect(await queue.getJob('maintenance.new-ok')).toBeDefined();
      expect(await queue.getJob('maintenance.new-failed')).toBeDefined();
      const [record] = await database.db
        .select()
        .from(ops.checkpoints)
        .where(eq(ops.checkpoints.name, 'maintenance.clean-queues'));
      expect(record?.value).toMatchObject({ completed: 1, failed: 1 });
    } finally {
      await worker.close();
      await events.close();
      workerConnection.disconnect();
      eventsConnection.disconnect();
    }
  });

  it('the fleet works the maintenance queue: a maintenance tick runs every task, one at a time', async () => {
    const fleet = Fleet.start({
      config,
      db: database.db,
      logger,
      queues: ['schedule', 'maintenance'],
      fetchers: new Map(),
    });
    const eventsConnection = createRedis(TEST_REDIS_URL, 'worker');
    const events = new QueueEvents('maintenance', { connection: eventsConnection, prefix: redis.prefix });
    try {
      await events.waitUntilReady();
      const dueAt = Date.now() - (Date.now() % 1_000);
      await producer.enqueueTick({ schedule: 'maintenance', dueAt }, jobIds.tick('maintenance', dueAt));
      const results: Record<string, unknown> = {};
      for (const task of ['reap-stale-runs', 'retention', 'clean-queues'] as const) {
        let job: Job | undefined;
        await vi.waitFor(
          async () => {
            job = await producer.queues.maintenance.getJob(jobIds.maintenance(task, dueAt));
            expect(job).toBeDefined();
          },
          { timeout: 10_000, interval: 50 },
        );
        results[task] = await (job as Job).waitUntilFinished(events, 30_000);
      }
      expect(results).toEqual({
        // The run-history test's 200-day-old running run; the reaper test's live runs stay.
        'reap-stale-runs': { checked: 5, stale: ['run-history-old-running'], vanished: [] },
        // ... which, closed by the reaper first, retention then deletes (tasks run in order).
        retention: { rawPayloads: 0, runs: 1, runArtifacts: 0, snapshots: 0, samples: 0 },
        'clean-queues': { completed: 0, failed: 0 },
      });
      const records = await database.db
        .select({ name: ops.checkpoints.name })
        .from(ops.checkpoints)
        .where(sql`${ops.checkpoints.name} LIKE 'maintenance.%' OR ${ops.checkpoints.name} = 'schedule.maintenance'`);
      expect(records.map((row) => row.name).sort()).toEqual([
        'maintenance.clean-queues',
        'maintenance.reap-stale-runs',
        'maintenance.retention',
        'schedule.maintenance',
      ]);
    } finally {
      await events.close();
      eventsConnection.disconnect();
      await fleet.stop(5_000);
    }
  });
});
