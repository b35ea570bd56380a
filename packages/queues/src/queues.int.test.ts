import { loadConfig } from '@matchflow/config';
import { redisServerAvailable, startPrivateRedis, type TestRedis, testRedis } from '@matchflow/testing';
import { type Job, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuildJob, type IngestJob, jobIds, newRunId, QUEUES } from './catalog.js';
import { assertNoEviction, createRedis } from './connection.js';
import { InvalidJobPayload, RedisEvictionPolicyError } from './errors.js';
import { BACKFILL_PRIORITY } from './options.js';
import { Producer } from './producer.js';

const config = loadConfig(
  {},
  JSON.stringify({
    sources: {
      sofascore: { kind: 'sofascore', baseUrl: 'http://127.0.0.1:4010/api/v1', retry: { attempts: 2, backoffMs: 10 } },
    },
  }),
);

let redis: TestRedis;
let producer: Producer;
beforeAll(() => {
  redis = testRedis(undefined, 'queues');
  producer = new Producer({ connection: redis.connect(), prefix: redis.prefix, config });
});
afterAll(async () => {
  await producer.close();
  await redis.cleanup();
});

const scope = (runId = newRunId()) => ({
  runId,
  source: 'sofascore',
  competitionId: 'demo-league',
  competition: '1001',
  season: '50003',
});

function runFlow(runId: string, matches: string[], trigger: BuildJob['trigger'] = 'schedule') {
  return {
    build: { ...scope(runId), pool: 'football', trigger },
    ratings: { runId, pool: 'football' },
    ingests: matches.map((match): IngestJob => ({ ...scope(runId), match, trigger })),
  };
}

describe('catalog', () => {
  it('makes deterministic job ids BullMQ accepts: no colon, never integer-looking', () => {
    const runId = newRunId(new Date('2026-01-14T18:00:00Z'), () => 0.5);
    expect(runId).toMatch(/^run-20260114180000000-[0-9a-z]{6}$/);
    const ids = [
      jobIds.discover({ source: 'sofascore', competition: '1001', season: '50003' }),
      jobIds.ingest({ source: 'sofascore', match: '12000001', runId }),
      jobIds.ratings({ pool: 'football', runId }),
      jobIds.build({ runId, competition: '1001', season: '50003' }),
    ];
    expect(ids[0]).toBe('discover.sofascore.1001.50003');
    expect(ids[1]).toBe(`ingest.sofascore.12000001.${runId}`);
    for (const id of ids) {
      expect(id).not.toContain(':');
      expect(Number.isInteger(Number(id))).toBe(false);
    }
    expect(newRunId(new Date('2026-01-14T18:00:01Z')) > runId).toBe(true);
  });
});

describe('Producer', () => {
  it('rejects an invalid payload at enqueue, naming every problem, and enqueues nothing', async () => {
    const attempt = producer.enqueueDiscover({ ...scope(), runId: 'nope', mode: 'sometimes', trigger: 'schedule' });
    await expect(attempt).rejects.toBeInstanceOf(InvalidJobPayload);
    await expect(attempt).rejects.toThrow(/runId: must look like 'run-…'.*mode: /);
    await expect(
      producer.addRunFlow({ ...runFlow(newRunId(), ['1']), ingests: [{ match: 5 } as never] }),
    ).rejects.toBeInstanceOf(InvalidJobPayload);
    const counts = await producer.queues.discover.getJobCounts();
    expect(Object.values(counts).every((count) => count === 0)).toBe(true);
    expect(Object.values(await producer.queues.build.getJobCounts()).every((count) => count === 0)).toBe(true);
  });

  it('keeps one discover per scope in flight: an overlapping tick adds nothing', async () => {
    const first = await producer.enqueueDiscover({ ...scope(), mode: 'changed', trigger: 'schedule' });
    const second = await producer.enqueueDiscover({ ...scope(), mode: 'changed', trigger: 'schedule' });
    expect(first.added).toBe(true);
    expect(second.added).toBe(false);
    expect(second.job.id).toBe(first.job.id);
    expect(await producer.queues.discover.getWaitingCount()).toBe(1);
    await producer.queues.discover.drain();
  });

  it('takes a backfill discover with a match or time filter at backfill priority, and rejects a bad filter', async () => {
    const backfill = { ...scope(), mode: 'changed', trigger: 'backfill' } as const;
    await expect(producer.enqueueDiscover({ ...backfill, matches: [] })).rejects.toThrow(/matches: /);
    await expect(producer.enqueueDiscover({ ...backfill, matches: ['12:3'] })).rejects.toThrow(/matches\.0: /);
    await expect(producer.enqueueDiscover({ ...backfill, from: '2024-02-01' })).rejects.toThrow(/from: /);
    await expect(
      producer.enqueueDiscover({ ...backfill, from: '2024-02-01T00:00:00.000Z', to: '2024-01-01T00:00:00.000Z' }),
    ).rejects.toThrow(/to: from must be before to/);
    const { job, added } = await producer.enqueueDiscover({
      ...backfill,
      from: '2024-01-01T00:00:00.000Z',
      to: '2024-02-01T00:00:00.000Z',
    });
    expect(added).toBe(true);
    expect(job.id).toBe(jobIds.discover(backfill));
    expect(job.opts.priority).toBe(BACKFILL_PRIORITY);
    expect(job.data).toMatchObject({ from: '2024-01-01T00:00:00.000Z', to: '2024-02-01T00:00:00.000Z' });
    const scheduled = await producer.enqueueDiscover({
      ...scope(),
      season: '99',
      mode: 'changed',
      trigger: 'schedule',
    });
    expect(scheduled.job.opts.priority ?? 0).toBe(0);
    await producer.queues.discover.obliterate({ force: true });
  });

  it('puts every job of a backfill run flow behind scheduled work: build, ratings and ingests', async () => {
    const runId = newRunId();
    const { buildJobId } = await producer.addRunFlow(runFlow(runId, ['21'], 'backfill'));
    const build = await producer.queues.build.getJob(buildJobId);
    const ratings = await producer.queues.ratings.getJob(jobIds.ratings({ pool: 'football', runId }));
    expect(build?.opts.priority).toBe(BACKFILL_PRIORITY);
    expect(ratings?.opts.priority).toBe(BACKFILL_PRIORITY);
    const scheduledRun = newRunId();
    await producer.addRunFlow(runFlow(scheduledRun, ['22'], 'schedule'));
    const ingest = await producer.queues.ingest.getJob(
      jobIds.ingest({ source: 'sofascore', match: '22', runId: scheduledRun }),
    );
    expect(ingest?.opts.priority ?? 0).toBe(0);
    for (const queue of ['ingest', 'ratings', 'build'] as const)
      await producer.queues[queue].obliterate({ force: true });
  });

  it('builds build <- ratings <- ingest x N, and re-adding the same run changes nothing', async () => {
    const runId = newRunId();
    const flow = runFlow(runId, ['11', '12', '13'], 'backfill');
    const { buildJobId } = await producer.addRunFlow(flow);
    await producer.addRunFlow(flow);
    expect(await producer.queues.ingest.getJobCountByTypes('prioritized', 'waiting')).toBe(3);
    expect(await producer.queues.ratings.getJobCountByTypes('waiting-children')).toBe(1);
    const build = await producer.queues.build.getJob(buildJobId);
    expect(await build?.getState()).toBe('waiting-children');
    const ingest = await producer.queues.ingest.getJob(jobIds.ingest({ source: 'sofascore', match: '12', runId }));
    expect(ingest?.opts).toMatchObject({ ignoreDependencyOnFailure: true, attempts: 2, priority: BACKFILL_PRIORITY });
    expect(ingest?.parentKey).toContain(jobIds.ratings({ pool: 'football', runId }));
    await producer.queues.ingest.obliterate({ force: true });
    await producer.queues.ratings.obliterate({ force: true });
    await producer.queues.build.obliterate({ force: true });
  });

  it('takes a run flow with no ingests (a file-based source ingests in discover): ratings is ready at once', async () => {
    const runId = newRunId();
    // openfootball's competition ids hold a dot (`en.1`).
    const fileScope = { ...scope(runId), competition: 'en.1', season: '2023-24' };
    const { buildJobId } = await producer.addRunFlow({
      build: { ...fileScope, pool: 'football', trigger: 'cli' },
      ratings: { runId, pool: 'football' },
      ingests: [],
    });
    expect(buildJobId).toBe(`build.${runId}.en.1.2023-24`);
    const ratings = await producer.queues.ratings.getJob(jobIds.ratings({ pool: 'football', runId }));
    expect(await ratings?.getState()).toBe('waiting');
    expect(ratings?.parentKey).toContain(buildJobId);
    expect(await (await producer.queues.build.getJob(buildJobId))?.getState()).toBe('waiting-children');
    await expect(producer.enqueueDiscover({ ...fileScope, mode: 'full', trigger: 'cli' })).resolves.toMatchObject({
      added: true,
    });
    await expect(
      producer.enqueueDiscover({ ...fileScope, competition: 'en..1', mode: 'full', trigger: 'cli' }),
    ).rejects.toThrow(/competition: must be an upstream id/);
    await producer.queues.discover.obliterate({ force: true });
    await producer.queues.ratings.obliterate({ force: true });
    await producer.queues.build.obliterate({ force: true });
  });

  it('lets ratings and build run when an ingest fails for good, and reports the failed child', async () => {
    const runId = newRunId();
    await producer.addRunFlow(runFlow(runId, ['21', '22', '23']));
    const connections = Array.from({ length: 4 }, () => createRedis('redis://127.0.0.1:6379', 'worker'));
    const options = (index: number) => ({
      connection: connections[index] as ReturnType<typeof createRedis>,
      prefix: redis.prefix,
    });
    const seen: string[] = [];
    const ingestWorker = new Worker(
      QUEUES.ingest,
      async (job: Job<IngestJob>) => {
        if (job.data.match === '22') throw new UnrecoverableError('contract violation');
        seen.push(`ingest ${job.data.match}`);
      },
      options(0),
    );
    const ratingsWorker = new Worker(
      QUEUES.ratings,
      async (job) => {
        seen.push('ratings');
        return { failedChildren: Object.keys(await job.getIgnoredChildrenFailures()).length };
      },
      options(1),
    );
    const buildEvents = new QueueEvents(QUEUES.build, options(2));
    const buildWorker = new Worker(
      QUEUES.build,
      async (job) => {
        seen.push('build');
        return Object.values(await job.getChildrenValues());
      },
      options(3),
    );
    try {
      const build = await producer.queues.build.getJob(jobIds.build({ runId, competition: '1001', season: '50003' }));
      const result = await build?.waitUntilFinished(buildEvents, 15_000);
      expect(result).toEqual([{ failedChildren: 1 }]);
      expect(seen.slice(-2)).toEqual(['ratings', 'build']);
      expect(seen.filter((entry) => entry.startsWith('ingest')).sort()).toEqual(['ingest 21', 'ingest 23']);
    } finally {
      await Promise.all([ingestWorker.close(), ratingsWorker.close(), buildWorker.close(), buildEvents.close()]);
      await Promise.all(connections.map((connection) => connection.quit()));
    }
  });
});

describe('Redis eviction policy', () => {
  it('accepts noeviction', async () => {
    await expect(assertNoEviction(redis.connect())).resolves.toBeUndefined();
  });

  it.skipIf(!redisServerAvailable())('refuses any other policy, saying how to fix it', async () => {
    const server = await startPrivateRedis();
    const own = testRedis(server.url, 'eviction');
    try {
      const client = own.connect();
      await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const attempt = assertNoEviction(client);
      await expect(attempt).rejects.toBeInstanceOf(RedisEvictionPolicyError);
      await expect(attempt).rejects.toThrow(/'allkeys-lru'.*maxmemory-policy noeviction/);
    } finally {
      await own.cleanup();
      await server.stop();
    }
  });
});
