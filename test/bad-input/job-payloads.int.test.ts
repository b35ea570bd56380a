import { type Config, loadConfig } from '@matchflow/config';
import { core, curated, ops, ratings, raw } from '@matchflow/db';
import { createTestDatabase, type TestDatabase } from '@matchflow/db/testing';
import { Fleet } from '@matchflow/pipeline';
import { JOBS, type QueueName } from '@matchflow/queues';
import { createLogger } from '@matchflow/telemetry';
import { testRedis } from '@matchflow/testing';
import { Queue, QueueEvents } from 'bullmq';
import { eq, is, sql } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * Job payloads written straight into Redis (Queue.add, past the validating Producer) and worked
 * by a real Fleet over real Redis and a real database. Each bad payload must fail its job on the
 * first attempt (no retries: the same payload fails the same way every time) with a reason that
 * names what is wrong, and leave every zone of the database exactly as it was, the run its
 * runId names included.
 */

const backend = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';
const logger = createLogger({ service: 'test', level: 'silent' });
const redis = testRedis(undefined, 'bad-payloads');
/** A run that is going: a bad payload naming it must not close it. */
const RUNNING = 'run-20260101000000000-badin1';
const ATTEMPTS = 3;
const REDIS = { host: '127.0.0.1', port: 6379 };

let database: TestDatabase;
let fleet: Fleet;
let config: Config;
const queues = new Map<QueueName, Queue>();
const events = new Map<QueueName, QueueEvents>();

function fleetConfig(prefix: string): Config {
  return loadConfig(
    {},
    JSON.stringify({
      redis: { prefix },
      // Nothing listens on port 9: no bad payload may get as far as a request.
      sources: {
        sofascore: { kind: 'sofascore', baseUrl: 'http://127.0.0.1:9/api/v1' },
        other: { kind: 'sofascore', baseUrl: 'http://127.0.0.1:9/api/v1' },
      },
      ratingPools: { football: {} },
      competitions: [
        { id: 'demo-league', source: 'sofascore', competition: 1001, seasons: [50001], ratingPool: 'football' },
      ],
      workers: { shutdownTimeoutMs: 5_000 },
    }),
  );
}

/** Rows per table in every zone, by `schema.table`. */
async function rowCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [zone, tables] of Object.entries({ raw, core, ratings, curated, ops })) {
    for (const [name, table] of Object.entries(tables)) {
      if (!is(table, PgTable)) continue;
      const [row] = await database.db.select({ n: sql<number>`count(*)::int` }).from(table);
      counts[`${zone}.${name}`] = Number(row?.n);
    }
  }
  return counts;
}

const scope = { source: 'sofascore', competitionId: 'demo-league', competition: '1001', season: '50001' };
const validIngest = { runId: RUNNING, ...scope, match: '9001', trigger: 'cli' };

interface BadPayload {
  queue: QueueName;
  name: string;
  data: unknown;
  /** What the failed reason must say (besides `invalid <queue> job payload: `). */
  reason: string;
}

const BAD_PAYLOADS: BadPayload[] = [
  { queue: 'discover', name: 'a string', data: 'discover everything', reason: '(payload): ' },
  { queue: 'discover', name: 'an empty object', data: {}, reason: 'runId: ' },
  {
    queue: 'discover',
    name: 'an unknown mode',
    data: { runId: RUNNING, ...scope, mode: 'sideways', trigger: 'cli' },
    reason: 'mode: ',
  },
  {
    queue: 'discover',
    name: 'a path as competition id',
    data: { runId: RUNNING, ...scope, competition: '../../etc/passwd', mode: 'full', trigger: 'cli' },
    reason: 'competition: must be an upstream id',
  },
  {
    queue: 'discover',
    name: 'from after to',
    data: {
      runId: RUNNING,
      ...scope,
      mode: 'changed',
      trigger: 'backfill',
      from: '2025-06-01T00:00:00Z',
      to: '2025-01-01T00:00:00Z',
    },
    reason: 'to: from must be before to',
  },
  {
    queue: 'discover',
    name: 'an extra key',
    data: { runId: RUNNING, ...scope, mode: 'full', trigger: 'cli', sql: 'DROP TABLE core.matches' },
    reason: 'sql',
  },
  {
    queue: 'discover',
    name: 'a source not configured',
    data: { runId: RUNNING, ...scope, source: 'espn', mode: 'full', trigger: 'cli' },
    reason: "source: 'espn' is not configured",
  },
  { queue: 'ingest', name: 'a match id with a colon', data: { ...validIngest, match: '90:01' }, reason: 'match: ' },
  { queue: 'ingest', name: 'a numeric match id', data: { ...validIngest, match: 9001 }, reason: 'match: ' },
  { queue: 'ingest', name: 'a bad trigger', data: { ...validIngest, trigger: 'cron' }, reason: 'trigger: ' },
  {
    queue: 'ingest',
    name: 'a competition not configured',
    data: { ...validIngest, competitionId: 'ghost-league' },
    reason: "competitionId: 'ghost-league' is not configured",
  },
  {
    queue: 'ingest',
    name: 'a source named like an Object.prototype property',
    data: { ...validIngest, source: 'constructor' },
    reason: "source: 'constructor' is not configured",
  },
  {
    queue: 'ingest',
    name: 'a source other than the competition’s',
    data: { ...validIngest, source: 'other' },
    reason: "source: competition 'demo-league' comes from 'sofascore', not 'other'",
  },
  {
    queue: 'ratings',
    name: 'a pool name with capitals',
    data: { runId: RUNNING, pool: 'Football!' },
    reason: 'pool: ',
  },
  {
    queue: 'ratings',
    name: 'a pool not configured',
    data: { runId: RUNNING, pool: 'hockey' },
    reason: "pool: rating pool 'hockey' is not configured",
  },
  { queue: 'ratings', name: 'a bad run id', data: { runId: 42, pool: 'football' }, reason: 'runId: ' },
  {
    queue: 'build',
    name: 'no pool and a bad trigger',
    data: { runId: RUNNING, ...scope, trigger: 'cron' },
    reason: 'pool: ',
  },
  {
    queue: 'build',
    name: 'a megabyte competition id',
    data: { runId: RUNNING, ...scope, competitionId: `x${'y'.repeat(1_000_000)}`, pool: 'football', trigger: 'cli' },
    reason: 'competitionId: ',
  },
  { queue: 'maintenance', name: 'an unknown task', data: { task: 'drop-everything' }, reason: 'task: ' },
  { queue: 'maintenance', name: 'an array', data: [{ task: 'retention' }], reason: '(payload): ' },
  { queue: 'schedule', name: 'a schedule id with capitals', data: { schedule: 'Competition.X' }, reason: 'schedule: ' },
  { queue: 'schedule', name: 'a negative due time', data: { schedule: 'maintenance', dueAt: -5 }, reason: 'dueAt: ' },
  {
    queue: 'schedule',
    name: 'catchUp as a string',
    data: { schedule: 'maintenance', catchUp: 'yes' },
    reason: 'catchUp: ',
  },
];

let before: Record<string, number>;

beforeAll(async () => {
  database = await createTestDatabase(backend, { serverUrl: process.env.TEST_DATABASE_URL, label: 'bad_payloads' });
  config = fleetConfig(redis.prefix);
  await database.db.insert(ops.pipelineRuns).values({
    runId: RUNNING,
    trigger: 'cli',
    scope,
    env: 'dev',
    status: 'running',
  });
  for (const name of new Set(BAD_PAYLOADS.map((bad) => bad.queue))) {
    // Connection options, not clients: BullMQ opens (and on close, closes) its own connections.
    queues.set(name, new Queue(name, { connection: REDIS, prefix: redis.prefix }));
    const listener = new QueueEvents(name, { connection: REDIS, prefix: redis.prefix });
    await listener.waitUntilReady();
    events.set(name, listener);
  }
  before = await rowCounts();
  fleet = Fleet.start({ config, db: database.db, logger });
});

afterAll(async () => {
  await fleet?.stop(5_000);
  await Promise.all([...events.values()].map((listener) => listener.close()));
  await Promise.all([...queues.values()].map((queue) => queue.close()));
  await database?.dispose();
  await redis.cleanup();
});

describe('invalid job payloads enqueued past the producer', () => {
  it('fail on the first attempt with the problem named, and write nothing', async () => {
    const jobs = await Promise.all(
      BAD_PAYLOADS.map((bad) =>
        (queues.get(bad.queue) as Queue).add(JOBS[bad.queue], bad.data, {
          // Retries allowed, quickly: a payload that got them would show attemptsMade > 1.
          attempts: ATTEMPTS,
          backoff: { type: 'fixed', delay: 20 },
        }),
      ),
    );
    const outcomes = await Promise.all(
      jobs.map((job, index) =>
        job.waitUntilFinished(events.get((BAD_PAYLOADS[index] as BadPayload).queue) as QueueEvents, 30_000).then(
          () => 'completed',
          (error: Error) => error.message,
        ),
      ),
    );
    for (const [index, bad] of BAD_PAYLOADS.entries()) {
      const label = `${bad.queue}: ${bad.name}`;
      const job = await (queues.get(bad.queue) as Queue).getJob(jobs[index]?.id as string);
      expect(await job?.getState(), label).toBe('failed');
      expect(job?.attemptsMade, label).toBe(1);
      expect(job?.failedReason, label).toMatch(new RegExp(`^invalid ${bad.queue} job payload: `));
      expect(job?.failedReason, label).toContain(bad.reason);
      expect(outcomes[index], label).toBe(job?.failedReason);
    }

    // Nothing written anywhere, and the run the payloads named is still going.
    expect(await rowCounts()).toEqual(before);
    const [run] = await database.db.select().from(ops.pipelineRuns).where(eq(ops.pipelineRuns.runId, RUNNING));
    expect(run).toMatchObject({ status: 'running', failedStage: null, error: null });
  });

  it('leaves the workers working: a good job after the bad ones completes', async () => {
    const queue = queues.get('schedule') as Queue;
    // A tick of a schedule that is not configured: handled (ignored), nothing written.
    const job = await queue.add(JOBS.schedule, { schedule: 'competition.not-configured' }, { attempts: 1 });
    await expect(job.waitUntilFinished(events.get('schedule') as QueueEvents, 30_000)).resolves.toEqual({
      outcome: 'unknown-schedule',
    });
    expect(await rowCounts()).toEqual(before);
  });
});
