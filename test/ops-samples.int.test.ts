import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Config, loadConfig } from '@matchflow/config';
import { ops } from '@matchflow/db';
import { createTestDatabase, type TestDatabase, testBackends } from '@matchflow/db/testing';
import { Fleet, fleetQueues, runMaintenanceTask, sampleTime } from '@matchflow/pipeline';
import { Producer } from '@matchflow/queues';
import { FleetBreaker, readSourceStats, SourceStats, sourceStatsKeys } from '@matchflow/sources';
import { createLogger, processId, processReportKey, startProcessReporter } from '@matchflow/telemetry';
import { testRedis } from '@matchflow/testing';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/*
 * The `sample-ops` maintenance task over real state: BullMQ jobs, the fleet's upstream counters,
 * a tripped breaker, a process report in Redis (under a prefix of the test's own) and runs in
 * the ops zone; the process reporter; retention of old samples.
 */

const serverUrl = process.env.TEST_DATABASE_URL;
const logger = createLogger({ service: 'test', level: 'silent' });
const NOW = Date.parse('2026-03-10T12:00:00.000Z');
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

function samplesConfig(prefix: string, workDir: string): Config {
  return loadConfig(
    {},
    JSON.stringify({
      redis: { prefix },
      dataDir: workDir,
      publishDir: path.join(workDir, 'published'),
      sources: {
        sofascore: { kind: 'sofascore', baseUrl: 'http://127.0.0.1:9/api/v1' },
        spare: { kind: 'sofascore', baseUrl: 'http://127.0.0.1:9/api/v1' },
      },
      ratingPools: { football: {} },
      competitions: [
        { id: 'fresh-league', source: 'sofascore', competition: 3001, seasons: ['1'], ratingPool: 'football' },
        { id: 'stale-league', source: 'sofascore', competition: 3002, seasons: ['1'], ratingPool: 'football' },
        { id: 'idle-league', source: 'sofascore', competition: 3003, seasons: ['1'], ratingPool: 'football' },
      ],
      retention: { samplesDays: 14 },
    }),
  );
}

describe.each(testBackends(process.env))('ops samples on %s', (backend) => {
  let database: TestDatabase;
  let config: Config;
  let producer: Producer;
  const redis = testRedis(undefined, `ops-samples-${backend}`);
  const workDir = mkdtempSync(path.join(tmpdir(), `matchflow-ops-samples-${backend}-`));

  beforeAll(async () => {
    database = await createTestDatabase(backend, { serverUrl, label: 'ops_samples' });
    config = samplesConfig(redis.prefix, workDir);
    producer = new Producer({ connection: redis.connect(), prefix: redis.prefix, config });
  });
  afterAll(async () => {
    await producer?.close();
    await database?.dispose();
    await redis.cleanup();
    rmSync(workDir, { recursive: true, force: true });
  });

  /** The rows of one sample time, as `metric subject` -> value. */
  async function samplesAt(at: number): Promise<Record<string, number>> {
    const rows = await database.db
      .select()
      .from(ops.samples)
      .where(eq(ops.samples.sampledAt, new Date(at)))
      .orderBy(asc(ops.samples.metric), asc(ops.samples.subject));
    return Object.fromEntries(rows.map((row) => [`${row.metric} ${row.subject}`, row.value]));
  }

  it('writes one row per metric and subject from Redis and the ops zone, and the same rows when run twice', async () => {
    const connection = redis.connect();
    // Jobs: two waiting ingests, one delayed discover.
    await producer.queue('ingest').add('probe', { n: 1 });
    await producer.queue('ingest').add('probe', { n: 2 });
    await producer.queue('discover').add('probe', { n: 3 }, { delay: 3_600_000 });
    // The fleet's upstream counters, as a SourceClient counts them.
    const stats = new SourceStats({ redis: connection, prefix: redis.prefix, source: 'sofascore' });
    for (const status of [200, 200, 200, 429, 503] as const) stats.request(status);
    stats.request('error');
    stats.wait('budget', 1_500);
    stats.wait('budget', 500);
    stats.wait('paused', 30_000);
    await vi.waitFor(async () => {
      const read = await readSourceStats(connection, sourceStatsKeys(redis.prefix, 'sofascore'));
      expect(read.requests).toEqual({ 200: 3, 429: 1, 503: 1, error: 1 });
      expect(read.waits.paused?.count).toBe(1);
    });
    // sofascore's breaker is tripped (a 403), spare's is closed.
    const settings = config.sources.sofascore?.breaker;
    if (!settings) throw new Error('no breaker settings');
    await new FleetBreaker({ redis: connection, prefix: redis.prefix, source: 'sofascore', settings }).trip();
    // A live process's report; and one under a prefix that only starts like ours.
    const reporter = startProcessReporter({ redis: connection, prefix: redis.prefix, role: 'worker' });
    await reporter.report();
    const stranger = processReportKey(`${redis.prefix}x`, 'worker@elsewhere:1');
    await connection.hset(stranger, { rssBytes: 1, cpuPercent: 1 });
    // Runs: fresh-league refreshed 2 h ago, stale-league never (its first run 30 h ago), idle-league never ran.
    const league = (competitionId: string) => ({ source: 'sofascore', competitionId, competition: '1', season: '1' });
    await database.db.insert(ops.pipelineRuns).values([
      {
        runId: 'run-fresh',
        trigger: 'schedule',
        scope: league('fresh-league'),
        env: 'dev',
        status: 'ok',
        startedAt: new Date(NOW - 3 * HOUR_MS),
        finishedAt: new Date(NOW - 2 * HOUR_MS),
      },
      {
        runId: 'run-stale',
        trigger: 'schedule',
        scope: league('stale-league'),
        env: 'dev',
        status: 'failed',
        failedStage: 'discover',
        startedAt: new Date(NOW - 30 * HOUR_MS),
        finishedAt: new Date(NOW - 29 * HOUR_MS),
      },
    ]);

    const deps = { db: database.db, producer, config, logger, now: () => NOW + 20_000 };
    try {
      const first = await runMaintenanceTask(deps, 'sample-ops');
      // Sampled at the start of the minute (scheduler.opsSamples.every: 1m).
      expect(sampleTime(NOW + 20_000, 60_000).getTime()).toBe(NOW);
      expect(first.sampledAt).toBe(new Date(NOW).toISOString());
      expect(first.failed).toBeUndefined();
      const rows = await samplesAt(NOW);
      expect(first.samples).toBe(Object.keys(rows).length);
      expect(first.written).toBe(Object.keys(rows).length);

      expect(rows['redis.used_memory ']).toBeGreaterThan(0);
      // Every fleet queue, four states each.
      for (const queue of fleetQueues())
        for (const state of ['waiting', 'active', 'delayed', 'failed'])
          expect(rows[`queue.${state} ${queue}`], `${state} ${queue}`).toBeTypeOf('number');
      expect(rows['queue.waiting ingest']).toBe(2);
      expect(rows['queue.delayed discover']).toBe(1);
      expect(rows['queue.waiting discover']).toBe(0);
      // The counters as they are, per source and status / reason.
      expect(rows['upstream.requests sofascore:200']).toBe(3);
      expect(rows['upstream.requests sofascore:429']).toBe(1);
      expect(rows['upstream.requests sofascore:503']).toBe(1);
      expect(rows['upstream.requests sofascore:error']).toBe(1);
      expect(rows['upstream.waits sofascore:budget']).toBe(2);
      expect(rows['upstream.wait_ms sofascore:budget']).toBe(2_000);
      expect(rows['upstream.waits sofascore:paused']).toBe(1);
      expect(rows['upstream.wait_ms sofascore:paused']).toBe(30_000);
      expect(Object.keys(rows).filter((key) => key.includes('spare:'))).toEqual([]);
      expect(rows['breaker.open sofascore']).toBe(1);
      expect(rows['breaker.open spare']).toBe(0);
      // The stale alert's rule: since the last success, or the first run when none; at the time
      // it was read (20 s into the minute).
      expect(rows['freshness.age_hours fresh-league']).toBeCloseTo(2 + 20 / 3_600, 9);
      expect(rows['freshness.age_hours stale-league']).toBeCloseTo(30 + 20 / 3_600, 9);
      expect(rows['freshness.age_hours idle-league']).toBeUndefined();
      // This process, as its report says; not the stranger under another prefix.
      const report = await connection.hgetall(reporter.key);
      expect(reporter.id).toBe(processId('worker'));
      expect(rows[`process.rss_bytes ${reporter.id}`]).toBe(Number(report.rssBytes));
      expect(rows[`process.cpu_percent ${reporter.id}`]).toBe(Number(report.cpuPercent));
      expect(Object.keys(rows).filter((key) => key.startsWith('process.'))).toHaveLength(2);

      // Twice in the same minute, with more traffic meanwhile: the same rows, nothing written.
      stats.request(200);
      await vi.waitFor(async () =>
        expect((await readSourceStats(connection, sourceStatsKeys(redis.prefix, 'sofascore'))).requests[200]).toBe(4),
      );
      const again = await runMaintenanceTask({ ...deps, now: () => NOW + 50_000 }, 'sample-ops');
      expect(again.sampledAt).toBe(first.sampledAt);
      expect(again.written).toBe(0);
      expect(await samplesAt(NOW)).toEqual(rows);
      // The next minute is a new sample.
      const next = await runMaintenanceTask({ ...deps, now: () => NOW + 65_000 }, 'sample-ops');
      expect(next.sampledAt).toBe(new Date(NOW + 60_000).toISOString());
      expect((await samplesAt(NOW + 60_000))['upstream.requests sofascore:200']).toBe(4);

      const [checkpoint] = await database.db
        .select()
        .from(ops.checkpoints)
        .where(eq(ops.checkpoints.name, 'maintenance.sample-ops'));
      expect(checkpoint?.value).toMatchObject({ sampledAt: new Date(NOW + 60_000).toISOString() });
    } finally {
      await reporter.stop();
    }
  });

  it('a fleet worker runs a sample-ops job from the maintenance queue and keeps no finished job', async () => {
    const fleet = Fleet.start({ config, db: database.db, logger, queues: ['maintenance'] });
    const before = Date.now();
    try {
      const job = await producer.enqueueMaintenance({ task: 'sample-ops' }, 'maintenance.sample-ops.t1');
      await vi.waitFor(
        async () => {
          const [checkpoint] = await database.db
            .select()
            .from(ops.checkpoints)
            .where(eq(ops.checkpoints.name, 'maintenance.sample-ops'));
          // The real clock this time: a sample of the present minute.
          expect(
            Date.parse(String((checkpoint?.value as { sampledAt?: string } | undefined)?.sampledAt)),
          ).toBeGreaterThanOrEqual(sampleTime(before, 60_000).getTime());
        },
        { timeout: 15_000, interval: 100 },
      );
      await vi.waitFor(async () => expect(await producer.queues.maintenance.getJob(job.id ?? '')).toBeUndefined());
      expect((await producer.queues.maintenance.getJobCounts('completed')).completed).toBe(0);
    } finally {
      await fleet.stop();
    }
  });

  it('retention deletes samples older than retention.samplesDays, and only those', async () => {
    const sample = (ageDays: number, subject: string) => ({
      sampledAt: new Date(NOW - ageDays * DAY_MS),
      metric: 'retention.probe',
      subject,
      value: ageDays,
    });
    await database.db
      .insert(ops.samples)
      .values([sample(30, 'old'), sample(15, 'old'), sample(14.1, 'old'), sample(13.9, 'kept'), sample(1, 'kept')]);
    const counters = await runMaintenanceTask(
      { db: database.db, producer, config, logger, now: () => NOW },
      'retention',
    );
    expect(counters.samples).toBe(3);
    const left = await database.db.select().from(ops.samples).where(eq(ops.samples.metric, 'retention.probe'));
    expect(left.map((row) => row.value).sort((a, b) => a - b)).toEqual([1, 13.9]);
    // The samples of the first test, taken at NOW, are recent: kept.
    expect(Object.keys(await samplesAt(NOW)).length).toBeGreaterThan(0);
  });
});

describe('the process reporter', () => {
  const redis = testRedis(undefined, 'process-reporter');
  afterAll(async () => {
    await redis.cleanup();
  });

  it('writes its RSS and CPU with a TTL of three intervals, and removes the report when stopped', async () => {
    const connection = redis.connect();
    const reporter = startProcessReporter({
      redis: connection,
      prefix: redis.prefix,
      role: 'scheduler',
      intervalMs: 5_000,
    });
    try {
      expect(reporter.key).toBe(`${redis.prefix}:procs:${processId('scheduler')}`);
      await reporter.report();
      const fields = await connection.hgetall(reporter.key);
      expect(fields).toMatchObject({ role: 'scheduler', pid: String(process.pid) });
      expect(Number(fields.rssBytes)).toBeGreaterThan(10 * 1_048_576);
      expect(Number(fields.cpuPercent)).toBeGreaterThanOrEqual(0);
      const ttl = await connection.pttl(reporter.key);
      expect(ttl).toBeGreaterThan(10_000);
      expect(ttl).toBeLessThanOrEqual(15_000);
    } finally {
      await reporter.stop();
    }
    expect(await connection.exists(reporter.key)).toBe(0);
  });

  it('reports on its timer, and a process that stops reporting drops out when the TTL runs out', async () => {
    const connection = redis.connect();
    // A process that dies cannot remove its report: this store ignores the removal.
    const dying = { multi: () => connection.multi(), del: async () => 0 };
    const reporter = startProcessReporter({ redis: dying, prefix: redis.prefix, role: 'worker', intervalMs: 150 });
    await vi.waitFor(async () => expect(Number(await connection.hget(reporter.key, 'reportedAt'))).toBeGreaterThan(0));
    const firstAt = Number(await connection.hget(reporter.key, 'reportedAt'));
    // The timer reports again.
    await vi.waitFor(async () =>
      expect(Number(await connection.hget(reporter.key, 'reportedAt'))).toBeGreaterThan(firstAt),
    );
    await reporter.stop();
    expect(await connection.exists(reporter.key)).toBe(1);
    await vi.waitFor(async () => expect(await connection.exists(reporter.key)).toBe(0), { timeout: 2_000 });
  });
});
