import { type Config, loadConfig, parseSchedule, previousDue } from '@matchflow/config';
import { ops } from '@matchflow/db';
import { createTestDatabase, type TestDatabase, testBackends } from '@matchflow/db/testing';
import {
  desiredSchedules,
  Fleet,
  handleTick,
  OPS_SAMPLES_SCHEDULE,
  readTickRecord,
  startScheduler,
  syncSchedules,
  type TickResult,
  writeTickRecord,
} from '@matchflow/pipeline';
import { createRedis, jobIds, Producer } from '@matchflow/queues';
import { createLogger, type Logger } from '@matchflow/telemetry';
import { TEST_REDIS_URL, testRedis } from '@matchflow/testing';
import { QueueEvents } from 'bullmq';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/* The scheduler: job schedulers kept equal to the config, ticks, and the missed-run policy. */

const serverUrl = process.env.TEST_DATABASE_URL;
const HOUR_MS = 3_600_000;

/** A logger whose lines the test can read. */
function memoryLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
  return { logger: createLogger({ service: 'test', level: 'info', destination }), lines };
}

function schedulerConfig(prefix: string, competitions: unknown[]): Config {
  return loadConfig(
    {},
    JSON.stringify({
      redis: { prefix },
      sources: { sofascore: { kind: 'sofascore', baseUrl: 'http://127.0.0.1:9/api/v1' } },
      ratingPools: { football: {} },
      competitions,
    }),
  );
}

/** Each competition its own upstream id: discover job ids (one per scope in flight) must not meet. */
let upstreamIds = 1000;
function competition(id: string, extra: Record<string, unknown> = {}) {
  upstreamIds += 1;
  return {
    id,
    source: 'sofascore',
    competition: upstreamIds,
    seasons: [50001, 50002],
    ratingPool: 'football',
    ...extra,
  };
}

describe.each(testBackends(process.env))('the scheduler on %s', (backend) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(backend, { serverUrl, label: 'scheduler' });
  });
  afterAll(async () => {
    await database?.dispose();
  });

  /** Runs recorded for a competition, by season. */
  async function runsOf(competitionId: string) {
    return database.db
      .select()
      .from(ops.pipelineRuns)
      .where(sql`${ops.pipelineRuns.scope} ->> 'competitionId' = ${competitionId}`);
  }

  it('two replicas syncing at once make exactly the configured schedulers; re-syncing changes nothing; a dropped competition loses its scheduler', async () => {
    const redis = testRedis(undefined, `scheduler-sync-${backend}`);
    const { logger } = memoryLogger();
    const config = schedulerConfig(redis.prefix, [
      competition('alpha', { timezone: 'Europe/London' }),
      competition('beta', { schedule: 'every 30m' }),
    ]);
    const replicas = [0, 1].map(() => new Producer({ connection: redis.connect(), prefix: redis.prefix, config })) as [
      Producer,
      Producer,
    ];
    const [one, two] = replicas;
    const sync = (producer: Producer, current: Config) =>
      syncSchedules({ config: current, db: database.db, producer, logger });
    try {
      const first = await Promise.all([sync(one, config), sync(two, config)]);
      const schedulers = await one.queues.schedule.getJobSchedulers(0, -1);
      const byId = Object.fromEntries(schedulers.map((scheduler) => [scheduler.key, scheduler]));
      expect(Object.keys(byId).sort()).toEqual([
        'competition.alpha',
        'competition.beta',
        'maintenance',
        'ops-samples',
        'stage.odds',
        'stage.players',
      ]);
      expect(byId['competition.alpha']).toMatchObject({ pattern: '0 * * * *', tz: 'Europe/London' });
      expect(byId['competition.beta']).toMatchObject({ every: 1_800_000 });
      // An interval ticks at multiples of itself since the epoch, as the missed-run check assumes.
      expect((byId['competition.beta']?.next ?? 1) % 1_800_000).toBe(0);
      expect(byId.maintenance).toMatchObject({ pattern: '30 3 * * *', tz: 'UTC' });
      expect(byId.maintenance?.template?.data).toEqual({ schedule: 'maintenance' });
      // The ops samples, every minute by default, at whole minutes.
      expect(byId['ops-samples']).toMatchObject({ every: 60_000 });
      expect((byId['ops-samples']?.next ?? 1) % 60_000).toBe(0);
      // The player enrichment stage's nightly schedule, from the stage registry.
      expect(byId['stage.players']).toMatchObject({ pattern: '0 2 * * *', tz: 'UTC' });
      // The odds stage polls hourly (each match on its own cadence inside the work).
      expect(byId['stage.odds']).toMatchObject({ pattern: '10 * * * *', tz: 'UTC' });
      // Every schedule was created by one replica or both; none was updated or removed.
      expect(new Set(first.flatMap((result) => result.created))).toEqual(new Set(Object.keys(byId)));
      expect(first.flatMap((result) => [...result.updated, ...result.removed, ...result.failed])).toEqual([]);
      // One next tick per scheduler, however many replicas upserted it.
      const delayed = await one.queues.schedule.getDelayed();
      expect(delayed.map((job) => job.id).sort()).toEqual(
        schedulers.map((scheduler) => `repeat:${scheduler.key}:${scheduler.next}`).sort(),
      );

      const again = await Promise.all([sync(one, config), sync(two, config)]);
      for (const result of again) {
        expect(result.unchanged.sort()).toEqual([
          'competition.alpha',
          'competition.beta',
          'maintenance',
          'ops-samples',
          'stage.odds',
          'stage.players',
        ]);
        expect([...result.created, ...result.updated, ...result.removed]).toEqual([]);
      }
      expect((await one.queues.schedule.getDelayed()).map((job) => job.id).sort()).toEqual(
        delayed.map((job) => job.id).sort(),
      );

      // beta leaves the config and alpha moves to a quarter past: both replicas agree.
      const changed = schedulerConfig(redis.prefix, [
        competition('alpha', { timezone: 'Europe/London', schedule: '15 * * * *' }),
      ]);
      const third = await Promise.all([sync(one, changed), sync(two, changed)]);
      expect(third.flatMap((result) => result.removed)).toContain('competition.beta');
      expect(third.flatMap((result) => result.updated)).toContain('competition.alpha');
      const left = await two.queues.schedule.getJobSchedulers(0, -1);
      expect(left.map((scheduler) => scheduler.key).sort()).toEqual([
        'competition.alpha',
        'maintenance',
        'ops-samples',
        'stage.odds',
        'stage.players',
      ]);
      expect(left.find((scheduler) => scheduler.key === 'competition.alpha')).toMatchObject({
        pattern: '15 * * * *',
      });
      // beta's pending tick went with its scheduler.
      const pending = (await two.queues.schedule.getDelayed()).map((job) => job.id ?? '');
      expect(pending).toHaveLength(5);
      expect(pending.some((id) => id.includes('competition.beta'))).toBe(false);
    } finally {
      await Promise.all(replicas.map((producer) => producer.close()));
      await redis.cleanup();
    }
  });

  it('startScheduler syncs on start in each replica and stops cleanly', async () => {
    const redis = testRedis(undefined, `scheduler-start-${backend}`);
    const { logger, lines } = memoryLogger();
    const config = schedulerConfig(redis.prefix, [competition('alpha')]);
    const a = await startScheduler({ config, db: database.db, logger });
    const b = await startScheduler({ config, db: database.db, logger, connection: redis.connect() });
    const probe = new Producer({ connection: redis.connect(), prefix: redis.prefix, config });
    try {
      const schedulers = await probe.queues.schedule.getJobSchedulers(0, -1);
      expect(schedulers.map((scheduler) => scheduler.key).sort()).toEqual([
        'competition.alpha',
        'maintenance',
        'ops-samples',
        'stage.odds',
        'stage.players',
      ]);
      expect(lines.filter((line) => line.msg === 'scheduler started')).toHaveLength(2);
      expect((await b.sync())?.unchanged.sort()).toEqual([
        'competition.alpha',
        'maintenance',
        'ops-samples',
        'stage.odds',
        'stage.players',
      ]);
    } finally {
      await a.stop();
      await b.stop();
      await probe.close();
      await redis.cleanup();
    }
  });

  it('after the schedulers were lost: `once` enqueues one catch-up tick that starts the runs, `skip` waits; both log', async () => {
    const redis = testRedis(undefined, `scheduler-missed-${backend}`);
    const { logger, lines } = memoryLogger();
    const config = schedulerConfig(redis.prefix, [
      competition('catchup', { missedRuns: 'once' }),
      competition('skipper', { missedRuns: 'skip' }),
    ]);
    const hourly = parseSchedule('0 * * * *');
    const lastDue = previousDue(hourly, Date.now());
    // Both ticked three hours ago; then Redis lost everything (this prefix is empty).
    for (const id of ['competition.catchup', 'competition.skipper'])
      await writeTickRecord(database.db, id, { dueAt: lastDue - 3 * HOUR_MS, jobId: 'before', handledAt: 0 });
    const replicas = [0, 1].map(() => new Producer({ connection: redis.connect(), prefix: redis.prefix, config }));
    const fleet = Fleet.start({ config, db: database.db, logger, queues: ['schedule'], fetchers: new Map() });
    const eventsConnection = createRedis(TEST_REDIS_URL, 'worker');
    const events = new QueueEvents('schedule', { connection: eventsConnection, prefix: redis.prefix });
    try {
      await events.waitUntilReady();
      const results = await Promise.all(
        replicas.map((producer) => syncSchedules({ config, db: database.db, producer, logger })),
      );
      expect(new Set(results.flatMap((result) => result.catchUps))).toEqual(new Set(['competition.catchup']));
      expect(new Set(results.flatMap((result) => result.missedSkipped))).toEqual(new Set(['competition.skipper']));
      const missedLog = lines.find(
        (line) => line.msg === 'missed ticks: one catch-up tick enqueued (missedRuns: once)',
      );
      expect(missedLog).toMatchObject({ schedule: 'competition.catchup', missedTicks: 3 });
      expect(lines.find((line) => String(line.msg).startsWith('missed ticks skipped'))).toMatchObject({
        schedule: 'competition.skipper',
        missedTicks: 3,
      });

      // One catch-up job, whichever replica added it; the fleet's schedule worker handles it.
      const catchUp = await fleet.producer.queues.schedule.getJob(jobIds.tick('competition.catchup', lastDue));
      if (!catchUp) throw new Error('no catch-up tick');
      expect(catchUp.data).toEqual({ schedule: 'competition.catchup', dueAt: lastDue, catchUp: true });
      const handled = (await catchUp.waitUntilFinished(events, 30_000)) as TickResult;
      expect(handled).toMatchObject({ outcome: 'runs', missed: true });
      const runs = await runsOf('catchup');
      expect(runs.map((run) => [(run.scope as { season: string }).season, run.trigger]).sort()).toEqual([
        ['50001', 'schedule'],
        ['50002', 'schedule'],
      ]);
      expect(await runsOf('skipper')).toEqual([]);
      expect((await readTickRecord(database.db, 'competition.catchup'))?.dueAt).toBe(lastDue);
      expect(lines.some((line) => line.msg === 'missed tick: catching up once (missedRuns: once)')).toBe(true);

      // The schedulers exist again: a later sync finds nothing missed.
      const later = await syncSchedules({ config, db: database.db, producer: replicas[0] as Producer, logger });
      expect([...later.catchUps, ...later.missedSkipped, ...later.created]).toEqual([]);
    } finally {
      await events.close();
      eventsConnection.disconnect();
      await fleet.stop(5_000);
      await Promise.all(replicas.map((producer) => producer.close()));
      await redis.cleanup();
    }
  });

  it('a tick that comes late (workers were down): `once` runs it, `skip` does not; both log', async () => {
    const redis = testRedis(undefined, `scheduler-late-${backend}`);
    const { logger, lines } = memoryLogger();
    const config = schedulerConfig(redis.prefix, [
      competition('late-once', { missedRuns: 'once' }),
      competition('late-skip', { missedRuns: 'skip' }),
    ]);
    const producer = new Producer({ connection: redis.connect(), prefix: redis.prefix, config });
    const deps = { db: database.db, producer, config, logger };
    const hourly = parseSchedule('0 * * * *');
    const dueAt = previousDue(hourly, Date.now() - 3 * HOUR_MS);
    try {
      const skipped = await handleTick(deps, {
        tick: { schedule: 'competition.late-skip' },
        jobId: `repeat:competition.late-skip:${dueAt}`,
        dueAt,
      });
      expect(skipped).toMatchObject({ outcome: 'missed-skipped' });
      expect(await runsOf('late-skip')).toEqual([]);
      expect(lines.find((line) => String(line.msg).startsWith('missed tick skipped'))).toMatchObject({
        schedule: 'competition.late-skip',
        missedRuns: 'skip',
      });
      expect(await readTickRecord(database.db, 'competition.late-skip')).toMatchObject({
        dueAt,
        outcome: 'missed-skipped',
      });

      const ran = await handleTick(deps, {
        tick: { schedule: 'competition.late-once' },
        jobId: `repeat:competition.late-once:${dueAt}`,
        dueAt,
      });
      expect(ran).toMatchObject({ outcome: 'runs', missed: true });
      expect(await runsOf('late-once')).toHaveLength(2);
      expect(lines.find((line) => String(line.msg).startsWith('missed tick: catching up once'))).toMatchObject({
        schedule: 'competition.late-once',
      });

      // On time, `skip` runs as usual.
      const onTime = previousDue(hourly, Date.now());
      const next = await handleTick(
        { ...deps, now: () => onTime + 1_000 },
        { tick: { schedule: 'competition.late-skip' }, jobId: `repeat:competition.late-skip:${onTime}`, dueAt: onTime },
      );
      expect(next).toMatchObject({ outcome: 'runs', missed: false });
      expect(await runsOf('late-skip')).toHaveLength(2);
    } finally {
      await producer.close();
      await redis.cleanup();
    }
  });

  it('a tick starts runs through triggerRun: the next tick, while they are going, is skipped by the overlap policy; one due time counts once', async () => {
    const redis = testRedis(undefined, `scheduler-tick-${backend}`);
    const { logger } = memoryLogger();
    const config = schedulerConfig(redis.prefix, [competition('ticked')]);
    const producer = new Producer({ connection: redis.connect(), prefix: redis.prefix, config });
    const hourly = parseSchedule('0 * * * *');
    const first = previousDue(hourly, Date.now());
    const tick = { schedule: 'competition.ticked' };
    const deps = (now: number) => ({ db: database.db, producer, config, logger, now: () => now });
    try {
      const started = await handleTick(deps(first + 500), {
        tick,
        jobId: `repeat:competition.ticked:${first}`,
        dueAt: first,
      });
      if (started.outcome !== 'runs') throw new Error(`unexpected ${started.outcome}`);
      expect(started.runs.map((run) => [run.season, run.outcome])).toEqual([
        ['50001', 'started'],
        ['50002', 'started'],
      ]);
      // Through the same producer as the CLI: one discover job per season, for its run.
      const upstream = config.competitions[0]?.competition ?? '';
      for (const run of started.runs) {
        const discover = await producer.queues.discover.getJob(
          jobIds.discover({ source: 'sofascore', competition: upstream, season: run.season }),
        );
        expect(discover?.data).toMatchObject({
          trigger: 'schedule',
          mode: 'changed',
          runId: (run as { runId: string }).runId,
        });
      }

      // A catch-up for the same due time (another replica's, say) does nothing.
      const duplicate = await handleTick(deps(first + 700), {
        tick: { ...tick, dueAt: first, catchUp: true },
        jobId: jobIds.tick('competition.ticked', first),
        dueAt: first,
      });
      expect(duplicate).toEqual({ outcome: 'duplicate' });

      // An hour later the runs are still going: the overlap policy skips both seasons.
      const second = first + HOUR_MS;
      const overlapped = await handleTick(deps(second + 500), {
        tick,
        jobId: `repeat:competition.ticked:${second}`,
        dueAt: second,
      });
      if (overlapped.outcome !== 'runs') throw new Error(`unexpected ${overlapped.outcome}`);
      expect(overlapped.runs.map((run) => run.outcome)).toEqual(['skipped', 'skipped']);
      expect(overlapped.runs.map((run) => (run as { runningRunId?: string }).runningRunId)).toEqual(
        started.runs.map((run) => (run as { runId: string }).runId),
      );
      expect(await runsOf('ticked')).toHaveLength(2);
    } finally {
      await producer.close();
      await redis.cleanup();
    }
  });

  it('the maintenance tick enqueues the maintenance tasks once per due time', async () => {
    const redis = testRedis(undefined, `scheduler-maint-${backend}`);
    const { logger } = memoryLogger();
    const config = schedulerConfig(redis.prefix, []);
    const producer = new Producer({ connection: redis.connect(), prefix: redis.prefix, config });
    const dueAt = previousDue(parseSchedule('30 3 * * *'), Date.now());
    try {
      const deps = { db: database.db, producer, config, logger, now: () => dueAt + 1_000 };
      const result = await handleTick(deps, {
        tick: { schedule: 'maintenance' },
        jobId: 'repeat:maintenance:1',
        dueAt,
      });
      expect(result).toEqual({
        outcome: 'maintenance',
        missed: false,
        jobs: [
          jobIds.maintenance('reap-stale-runs', dueAt),
          jobIds.maintenance('retention', dueAt),
          jobIds.maintenance('clean-queues', dueAt),
        ],
      });
      // A retry of the same job enqueues nothing new.
      await handleTick(deps, { tick: { schedule: 'maintenance' }, jobId: 'repeat:maintenance:1', dueAt });
      const waiting = await producer.queues.maintenance.getWaiting();
      expect(waiting.map((job) => job.data)).toEqual([
        { task: 'reap-stale-runs' },
        { task: 'retention' },
        { task: 'clean-queues' },
      ]);
    } finally {
      await producer.close();
      await redis.cleanup();
    }
  });
});

describe('the ops-samples schedule', () => {
  it('ticks every scheduler.opsSamples.every: each tick enqueues one sample-ops job per due time, late or not; off: no schedule', async () => {
    const redis = testRedis(undefined, 'scheduler-samples');
    const database = await createTestDatabase('pglite', { label: 'scheduler-samples' });
    const { logger, lines } = memoryLogger();
    const base = schedulerConfig(redis.prefix, []);
    const config = { ...base, scheduler: { ...base.scheduler, opsSamples: { every: 30_000 } } };
    const producer = new Producer({ connection: redis.connect(), prefix: redis.prefix, config });
    try {
      expect(desiredSchedules(config).find((schedule) => schedule.id === OPS_SAMPLES_SCHEDULE)).toMatchObject({
        target: { kind: 'ops-samples' },
        expression: 'every 30s',
        spec: { kind: 'every', everyMs: 30_000 },
      });
      const off = loadConfig({}, JSON.stringify({ scheduler: { opsSamples: { every: 'off' } } }));
      const offIds = desiredSchedules(off).map((schedule) => schedule.id);
      expect(offIds).toContain('maintenance');
      expect(offIds).not.toContain(OPS_SAMPLES_SCHEDULE);
      expect(loadConfig({}, '{}').scheduler.opsSamples.every).toBe(60_000);

      const dueAt = previousDue(parseSchedule('every 30s'), Date.now());
      const deps = { db: database.db, producer, config, logger, now: () => dueAt + 1_000 };
      const tick = { tick: { schedule: OPS_SAMPLES_SCHEDULE }, jobId: `repeat:ops-samples:${dueAt}`, dueAt };
      expect(await handleTick(deps, tick)).toEqual({
        outcome: 'samples',
        job: jobIds.maintenance('sample-ops', dueAt),
      });
      // A retry adds nothing; a catch-up for the same due time is a duplicate.
      expect(await handleTick(deps, tick)).toMatchObject({ outcome: 'samples' });
      expect(
        await handleTick(deps, { ...tick, tick: { ...tick.tick, dueAt, catchUp: true }, jobId: 'catch-up' }),
      ).toEqual({ outcome: 'duplicate' });
      // Ten minutes late it still samples (the present), without a missed-tick warning.
      const late = dueAt + 30_000;
      expect(
        await handleTick(
          { ...deps, now: () => late + 600_000 },
          { tick: { schedule: OPS_SAMPLES_SCHEDULE }, jobId: `repeat:ops-samples:${late}`, dueAt: late },
        ),
      ).toEqual({ outcome: 'samples', job: jobIds.maintenance('sample-ops', late) });
      expect(lines.filter((line) => String(line.msg).includes('missed'))).toEqual([]);
      const waiting = await producer.queues.maintenance.getWaiting();
      expect(waiting.map((job) => [job.id, job.data]).sort()).toEqual([
        [jobIds.maintenance('sample-ops', dueAt), { task: 'sample-ops' }],
        [jobIds.maintenance('sample-ops', late), { task: 'sample-ops' }],
      ]);
      // A finished sample is not kept in the queue (the nightly tasks' results are).
      expect(waiting[0]?.opts.removeOnComplete).toBe(true);

      // Redis lost the schedulers after a tick: re-created without a catch-up or a warning.
      const synced = await syncSchedules({ config, db: database.db, producer, logger });
      expect(synced.created).toContain(OPS_SAMPLES_SCHEDULE);
      expect([...synced.catchUps, ...synced.missedSkipped]).not.toContain(OPS_SAMPLES_SCHEDULE);
    } finally {
      await producer.close();
      await database.dispose();
      await redis.cleanup();
    }
  });
});

describe('ticks end to end', () => {
  it('a scheduler tick handled by the fleet records its due time from the BullMQ job id', async () => {
    const redis = testRedis(undefined, 'scheduler-e2e');
    const database = await createTestDatabase('pglite', { label: 'scheduler-e2e' });
    const { logger } = memoryLogger();
    const config = schedulerConfig(redis.prefix, [competition('every-second', { schedule: '* * * * * *' })]);
    const fleet = Fleet.start({ config, db: database.db, logger, queues: ['schedule'], fetchers: new Map() });
    const scheduler = await startScheduler({ config, db: database.db, logger, producer: fleet.producer });
    try {
      await vi.waitFor(
        async () => {
          const record = await readTickRecord(database.db, 'competition.every-second');
          expect(record?.dueAt).toBeGreaterThan(0);
          expect((record?.dueAt ?? 1) % 1_000).toBe(0);
          expect(record?.jobId).toBe(`repeat:competition.every-second:${record?.dueAt}`);
          // Claimed first, then the runs: the outcome is noted once they are triggered.
          expect(record?.outcome).toBe('runs');
        },
        { timeout: 15_000, interval: 100 },
      );
      const runs = await database.db.select().from(ops.pipelineRuns);
      expect(runs.length).toBeGreaterThanOrEqual(2);
      expect(runs.every((run) => run.trigger === 'schedule')).toBe(true);
    } finally {
      await scheduler.stop();
      await fleet.stop(5_000);
      await database.dispose();
      await redis.cleanup();
    }
  });
});
