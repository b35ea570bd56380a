import { hostname } from 'node:os';
import type { Config } from '@matchflow/config';
import { type Db, ops } from '@matchflow/db';
import { createRedis, type DiscoverJob, jobIds, Producer, type QueueName, validatePayload } from '@matchflow/queues';
import { SourceClient } from '@matchflow/sources';
import { jobLogger, type Logger } from '@matchflow/telemetry';
import { DelayedError, type Job, type Queue, Worker } from 'bullmq';
import { and, eq, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { runMaintenanceTask } from '../maintenance/maintenance.js';
import { publishCounters, publishDeferred } from '../publish/deferred.js';
import { publishSnapshot } from '../publish/publish.js';
import { handleTick, tickDueAt } from '../schedule/tick.js';
import { buildSeason } from '../stages/build-season.js';
import { discoverSeason } from '../stages/discover-season.js';
import { type Fetcher, ingestMatch } from '../stages/ingest-match.js';
import { ingestSeasonFile, type SeasonFileResult } from '../stages/ingest-season-file.js';
import { ratePool } from '../stages/rate-pool.js';
import {
  closeRun,
  decideBackfillPublish,
  markDeferredPublished,
  runningRunFor,
  type StageCounters,
  scopeKey,
  stageFinished,
  stageStarted,
} from '../store/runs.js';
import { isDatabaseUnavailable } from './database-errors.js';
import { isFinalFailure, isInvalidPayloadFailure, toBullmqError } from './error-mapping.js';
import { checkJobPayload } from './job-payload.js';

/** Which process ran a stage, as recorded in its counters. */
const WORKER_ID = `${hostname()}:${process.pid}`;

/** A queued-overlap run looks again this often for its predecessor to finish. */
const OVERLAP_RETRY_MS = 2_000;

/** Every queue a Fleet works unless told otherwise: the pipeline's, maintenance and the schedule's ticks. */
export const FLEET_QUEUES: readonly QueueName[] = ['discover', 'ingest', 'ratings', 'build', 'maintenance', 'schedule'];

/**
 * Jobs at once per process on the queues without a `workers.concurrency` setting: maintenance
 * tasks one at a time (DESIGN §4; fleet-wide too, see startWorker), ticks are short (a few
 * queries and enqueues).
 */
const FIXED_CONCURRENCY = { maintenance: 1, schedule: 2 } as const;

export interface FleetOptions {
  config: Config;
  db: Db;
  logger: Logger;
  /** Which queues this process works (default: `FLEET_QUEUES`, all of them). */
  queues?: QueueName[];
  /** Upstream access per source name; by default a SourceClient for each configured source. */
  fetchers?: Map<string, Fetcher>;
  /**
   * Called when a job found the database unreachable (the job itself is handed back): the
   * worker replaces its connection pool, which a dropped connection may have wedged.
   */
  onDatabaseUnavailable?: () => void;
}

type StageQueue = 'discover' | 'ingest' | 'ratings' | 'build';

function isStageQueue(queue: QueueName): queue is StageQueue {
  return queue !== 'maintenance' && queue !== 'schedule';
}

/**
 * The workers of one process: a BullMQ worker per pipeline queue, each processor recording its
 * stage in ops and closing the run when the run ends. Any number of processes, on any machines,
 * may run a Fleet against the same Redis and PostgreSQL.
 */
export class Fleet {
  readonly producer: Producer;
  private readonly workers: Worker[] = [];
  private readonly connections: Redis[] = [];
  private readonly clients: SourceClient[] = [];
  private readonly fetchers: Map<string, Fetcher>;
  private readonly options: FleetOptions;
  private readonly logger: Logger;

  private constructor(options: FleetOptions) {
    this.options = options;
    this.logger = options.logger;
    const client = this.connect('client');
    this.producer = new Producer({ connection: client, prefix: options.config.redis.prefix, config: options.config });
    this.fetchers = options.fetchers ?? new Map();
    if (!options.fetchers) {
      for (const [name, settings] of Object.entries(options.config.sources)) {
        const source = new SourceClient({
          name,
          settings,
          redis: client,
          prefix: options.config.redis.prefix,
          logger: options.logger,
          onBlocked: (error) => this.logger.error({ source: name, err: error }, 'source blocked: alert'),
        });
        this.clients.push(source);
        this.fetchers.set(name, source);
      }
    }
  }

  /** Start working the queues. */
  static start(options: FleetOptions): Fleet {
    const fleet = new Fleet(options);
    for (const queue of options.queues ?? FLEET_QUEUES) fleet.startWorker(queue);
    return fleet;
  }

  private connect(role: 'worker' | 'client'): Redis {
    const connection = createRedis(this.options.config.redis.url, role);
    connection.on('error', (error) => this.logger.warn({ err: error, role }, 'redis connection error'));
    this.connections.push(connection);
    return connection;
  }

  private startWorker(queue: QueueName): void {
    const { config } = this.options;
    const worker = new Worker(queue, async (job, token) => this.process(queue, job, token), {
      connection: this.connect('worker'),
      prefix: config.redis.prefix,
      concurrency: isStageQueue(queue) ? config.workers.concurrency[queue] : FIXED_CONCURRENCY[queue],
      // A limiter must be set for queue.rateLimit() + RateLimitError to hold jobs back.
      limiter: { max: 100_000, duration: 1_000 },
      lockDuration: config.workers.lockDurationMs,
      stalledInterval: config.workers.stalledIntervalMs,
    });
    if (queue === 'maintenance') {
      // One maintenance task at a time across the fleet, not only per process: the tasks of a
      // night run in the order they were enqueued (the reaper closes dead runs before retention).
      this.producer.queues.maintenance
        .setGlobalConcurrency(1)
        .catch((error: unknown) => this.logger.warn({ err: error }, 'could not limit the maintenance queue'));
    }
    worker.on('error', (error) => this.logger.error({ err: error, queue }, 'worker error'));
    worker.on('failed', (job, error) => {
      if (job) void this.onFailed(queue, job, error);
    });
    this.workers.push(worker);
  }

  private fetcher(source: string): Fetcher {
    const fetcher = this.fetchers.get(source);
    if (!fetcher) throw new Error(`source '${source}' is not configured`);
    return fetcher;
  }

  private async process(queue: QueueName, job: Job, token: string | undefined): Promise<unknown> {
    const log = jobLogger(this.logger, job);
    try {
      // A payload written to Redis past the Producer fails here, before any stage writes a row.
      checkJobPayload(queue, job.data, this.options.config);
      switch (queue) {
        case 'discover':
          return await this.discover(job, token, log);
        case 'ingest':
          return await this.ingest(job, log);
        case 'ratings':
          return await this.rate(job);
        case 'build':
          return await this.build(job);
        case 'maintenance':
          return await this.maintain(job, log);
        case 'schedule':
          return await this.tick(job, log);
      }
    } catch (error) {
      if (error instanceof DelayedError) throw error;
      if (isDatabaseUnavailable(error)) this.options.onDatabaseUnavailable?.();
      throw await toBullmqError(error, this.producer.queues[queue] as Queue, log);
    }
  }

  private async discover(job: Job, token: string | undefined, log: Logger): Promise<unknown> {
    const { db, config } = this.options;
    const data = validatePayload('discover', job.data);
    const key = scopeKey(data);
    const older = await runningRunFor(db, data, { staleAfterMs: config.runs.staleAfterMs, except: data.runId });
    if (older && older < data.runId) {
      // Queued behind a run still going for the same scope: look again shortly.
      await job.moveToDelayed(Date.now() + OVERLAP_RETRY_MS, token);
      throw new DelayedError();
    }
    await stageStarted(db, data.runId, 'discover', key, job.attemptsMade + 1);
    // A file-based source has no listing to page through: the season is one file.
    if (config.sources[data.source]?.kind === 'openfootball') return this.discoverSeasonFile(job, data, log);
    const found = await discoverSeason({ db, fetcher: this.fetcher(data.source), config, logger: log }, data);
    const counters = {
      scanned: found.scanned,
      ...(found.inScope === found.scanned ? {} : { inScope: found.inScope }),
      done: found.done,
      selected: found.matches.length,
      requests: found.requests,
    };
    if (found.matches.length === 0) {
      await stageFinished(db, data.runId, 'discover', key, { status: 'ok', counters });
      await closeRun(db, data.runId, { status: 'ok', counters: { matches: 0 } });
      log.info(counters, 'nothing changed: run closed');
      await publishDeferred({ db, config, logger: this.logger }, data.runId);
      return counters;
    }
    await this.addRunFlow(data, found.matches);
    await stageFinished(db, data.runId, 'discover', key, { status: 'ok', counters });
    return counters;
  }

  /**
   * Discover for a file-based source (openfootball): one request fetches the whole season, and
   * the file is ingested right here (`ingestSeasonFile`, recorded as the run's `ingest` stage on
   * the season's scope). When its content was new (or the run is `full`), the run flow follows
   * with ratings and build and no ingest jobs; otherwise the run closes `ok` with zero work.
   */
  private async discoverSeasonFile(job: Job, data: DiscoverJob, log: Logger): Promise<unknown> {
    const { db, config } = this.options;
    const key = scopeKey(data);
    await stageStarted(db, data.runId, 'ingest', key, job.attemptsMade + 1);
    let ingested: SeasonFileResult;
    try {
      ingested = await ingestSeasonFile({ db, fetcher: this.fetcher(data.source), config, logger: log }, data);
    } catch (error) {
      // The discover job fails with it (and, after its last attempt, the run); say where.
      const message = error instanceof Error ? error.message : String(error);
      await stageFinished(db, data.runId, 'ingest', key, { status: 'failed', error: message });
      throw error;
    }
    await stageFinished(db, data.runId, 'ingest', key, {
      status: 'ok',
      counters: {
        requests: ingested.requests,
        newPayloads: ingested.newPayload ? 1 : 0,
        matches: ingested.written,
        created: ingested.created,
        resultsChanged: ingested.resultsChanged,
        worker: WORKER_ID,
      },
    });
    const counters = { scanned: ingested.matches, selected: ingested.written, requests: ingested.requests };
    if (ingested.written === 0) {
      await stageFinished(db, data.runId, 'discover', key, { status: 'ok', counters });
      await closeRun(db, data.runId, { status: 'ok', counters: { matches: 0 } });
      log.info(counters, 'nothing changed: run closed');
      await publishDeferred({ db, config, logger: this.logger }, data.runId);
      return counters;
    }
    await this.addRunFlow(data, []);
    await stageFinished(db, data.runId, 'discover', key, { status: 'ok', counters });
    return counters;
  }

  /** The run flow of a discovered scope: build <- ratings <- one ingest per match (none for a season file). */
  private async addRunFlow(data: DiscoverJob, matches: string[]): Promise<void> {
    const pool = this.options.config.competitions.find(
      (competition) => competition.id === data.competitionId,
    )?.ratingPool;
    if (!pool) throw new Error(`competition '${data.competitionId}' has no rating pool`);
    const scope = {
      runId: data.runId,
      source: data.source,
      competitionId: data.competitionId,
      competition: data.competition,
      season: data.season,
    };
    await this.producer.addRunFlow({
      build: { ...scope, pool, trigger: data.trigger },
      ratings: { runId: data.runId, pool },
      ingests: matches.map((match) => ({ ...scope, match, trigger: data.trigger })),
    });
  }

  private async ingest(job: Job, log: Logger): Promise<unknown> {
    const { db, config } = this.options;
    const data = validatePayload('ingest', job.data);
    await stageStarted(db, data.runId, 'ingest', data.match, job.attemptsMade + 1);
    const result = await ingestMatch({ db, fetcher: this.fetcher(data.source), config, logger: log }, data);
    await stageFinished(db, data.runId, 'ingest', data.match, {
      status: 'ok',
      counters: {
        requests: result.requests,
        newPayloads: result.newPayloads,
        resultChanged: result.resultChanged ? 1 : 0,
        worker: WORKER_ID,
        ...recovered(job),
      },
    });
    return { match: data.match, requests: result.requests, newPayloads: result.newPayloads };
  }

  private async rate(job: Job): Promise<unknown> {
    const { db, config } = this.options;
    const data = validatePayload('ratings', job.data);
    await stageStarted(db, data.runId, 'ratings', data.pool, job.attemptsMade + 1);
    // Ingests that failed for good were set aside; the run will say which.
    const failedIngests = Object.keys(await job.getIgnoredChildrenFailures())
      .map((key) => key.split(':').at(-1) ?? key)
      .map((id) => id.split('.')[2] ?? id)
      .sort();
    const rated = await ratePool({ db, config }, data);
    await stageFinished(db, data.runId, 'ratings', data.pool, {
      status: 'ok',
      counters: { ...rated, failedIngests, ...recovered(job) },
    });
    return { ...rated, failedIngests };
  }

  private async build(job: Job): Promise<unknown> {
    const { db, config } = this.options;
    const data = validatePayload('build', job.data);
    const key = scopeKey(data);
    await stageStarted(db, data.runId, 'build', key, job.attemptsMade + 1);
    const children = Object.values(await job.getChildrenValues()) as Array<{
      failedIngests?: string[];
      matches?: number;
    }>;
    const failedIngests = children.flatMap((child) => child.failedIngests ?? []);
    const { quality, blocked, ...built } = await buildSeason({ db, config }, data);
    const qualityCounters: StageCounters = quality
      ? { qualityScore: quality.score, qualityFailed: quality.failed }
      : {};
    if (blocked) {
      // The build rolled its tables back; the run fails and `latest` stays where it was.
      const error = `quality checks failed: ${quality?.failed.join(', ') ?? ''}; nothing published`;
      await stageFinished(db, data.runId, 'build', key, {
        status: 'failed',
        counters: { ...built, ...qualityCounters },
        error,
      });
      this.logger.warn({ runId: data.runId, failed: quality?.failed }, 'quality checks failed: publish blocked');
      await closeRun(db, data.runId, { status: 'failed', failedStage: 'build', counters: qualityCounters, error });
      await publishDeferred({ db, config, logger: this.logger }, data.runId);
      return { standings: built.standings, failedIngests, blocked: true };
    }
    await stageFinished(db, data.runId, 'build', key, {
      status: 'ok',
      counters: { ...built, ...qualityCounters, ...recovered(job) },
    });
    await stageStarted(db, data.runId, 'publish', key, job.attemptsMade + 1);
    const decision = await decideBackfillPublish(
      db,
      { runId: data.runId, trigger: data.trigger, key, counters: recovered(job) },
      config.runs.staleAfterMs,
    );
    let snapshotCounters: StageCounters;
    if ('deferTo' in decision) {
      snapshotCounters = { publish: 'deferred' };
      this.logger.info({ runId: data.runId, deferTo: decision.deferTo }, 'publish deferred to a later backfill run');
    } else {
      const published = await publishSnapshot({ db, config, logger: this.logger }, { runId: data.runId });
      snapshotCounters = publishCounters(published);
      await stageFinished(db, data.runId, 'publish', key, {
        status: 'ok',
        counters: { ...snapshotCounters, ...recovered(job) },
      });
      if (published.status !== 'blocked')
        await markDeferredPublished(db, decision.covers, { publishedBy: data.runId, counters: snapshotCounters });
    }
    const ingested = await this.countIngested(data.runId);
    await closeRun(db, data.runId, {
      status: failedIngests.length > 0 ? 'partial' : 'ok',
      counters: {
        matches: ingested,
        failedMatches: failedIngests,
        standings: built.standings,
        ...qualityCounters,
        ...snapshotCounters,
      },
    });
    return { standings: built.standings, failedIngests };
  }

  /** A maintenance task (one at a time per process: concurrency 1). */
  private async maintain(job: Job, log: Logger): Promise<unknown> {
    const { db, config } = this.options;
    const { task } = validatePayload('maintenance', job.data);
    return runMaintenanceTask({ db, producer: this.producer, config, logger: log }, task);
  }

  /** A schedule's tick: runs for a competition, or the maintenance jobs (`handleTick`). */
  private async tick(job: Job, log: Logger): Promise<unknown> {
    const { db, config } = this.options;
    const tick = validatePayload('schedule', job.data);
    return handleTick(
      { db, producer: this.producer, config, logger: log },
      { tick, jobId: job.id ?? '', dueAt: tickDueAt(tick, job) },
    );
  }

  /** Matches a run ingested: one per ingest job that ended ok, or the count a season-file ingest recorded. */
  private async countIngested(runId: string): Promise<number> {
    const [row] = await this.options.db
      .select({
        value: sql<number>`coalesce(sum(coalesce((${ops.stageRuns.counters} ->> 'matches')::int, 1)), 0)::int`,
      })
      .from(ops.stageRuns)
      .where(and(eq(ops.stageRuns.runId, runId), eq(ops.stageRuns.stage, 'ingest'), eq(ops.stageRuns.status, 'ok')));
    return Number(row?.value ?? 0);
  }

  /** A job failed: record its stage, and when it was the last try of a run-deciding stage, fail the run. */
  private async onFailed(queue: QueueName, job: Job, error: Error): Promise<void> {
    const { db } = this.options;
    if (isInvalidPayloadFailure(error)) {
      // Its runId (if any) cannot be trusted to name a run: record nothing, say what was wrong.
      this.logger.error({ err: error, queue, jobId: job.id }, 'job failed: invalid payload');
      return;
    }
    if (!isStageQueue(queue)) {
      this.logger.error({ err: error, queue, jobId: job.id, attempt: job.attemptsMade }, 'job failed');
      return;
    }
    if (!isFinalFailure(job, error)) return;
    const data = job.data as { runId?: string; match?: string; pool?: string; competitionId?: string; season?: string };
    if (!data.runId) return;
    const key =
      queue === 'ingest'
        ? (data.match ?? '')
        : queue === 'ratings'
          ? (data.pool ?? '')
          : scopeKey(data as { competitionId: string; season: string });
    try {
      await stageFinished(db, data.runId, queue, key, { status: 'failed', error: error.message });
      // A failed ingest is set aside (the run ends partial); anything else ends the run.
      if (queue !== 'ingest') {
        await closeRun(db, data.runId, { status: 'failed', failedStage: queue, error: error.message });
        await publishDeferred({ db, config: this.options.config, logger: this.logger }, data.runId);
      }
    } catch (recordError) {
      this.logger.error({ err: recordError, runId: data.runId, queue }, 'could not record a failed job');
    }
  }

  /**
   * Stop taking jobs, let in-flight ones finish within `timeoutMs`, then close everything.
   * Jobs cut off by the deadline are not lost: their locks lapse and another worker retries them.
   */
  async stop(timeoutMs = this.options.config.workers.shutdownTimeoutMs): Promise<void> {
    const graceful = Promise.all(this.workers.map((worker) => worker.close()));
    if (!(await settlesWithin(graceful, timeoutMs))) {
      this.logger.warn({ timeoutMs }, 'shutdown deadline passed: stopping with jobs in flight');
      // After a Redis restart a BullMQ blocking client can stay "reconnecting" and never let
      // close() resolve (taskforcesh/bullmq#4656): every step from here on is bounded too, and
      // the connections are cut at the end whatever happened.
      const forced = Promise.all(this.workers.map((worker) => worker.close(true)));
      if (!(await settlesWithin(forced, FORCE_CLOSE_MS))) this.logger.warn('workers did not close: disconnecting');
    }
    await settlesWithin(this.producer.close(), FORCE_CLOSE_MS);
    await settlesWithin(Promise.all(this.clients.map((client) => client.close())), FORCE_CLOSE_MS);
    const quit = Promise.all(this.connections.map((connection) => connection.quit().catch(() => undefined)));
    await settlesWithin(quit, FORCE_CLOSE_MS);
    for (const connection of this.connections) connection.disconnect();
  }

  /** The build job of a run, for callers that wait on it. */
  static buildJobId(data: { runId: string; competition: string; season: string }): string {
    return jobIds.build(data);
  }
}

/** How long each step of a forced shutdown may take before the next one goes ahead anyway. */
const FORCE_CLOSE_MS = 5_000;

/** Whether `work` settled (either way) within `ms`; it is not cancelled when it did not. */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  const settled = work.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * How often the job was taken back from a worker that died holding it (BullMQ's stalled count),
 * for the stage row: such a restart spends no attempt, so `attempt` alone would hide it.
 */
function recovered(job: Job): StageCounters {
  return job.stalledCounter > 0 ? { recoveredFromStall: job.stalledCounter } : {};
}
