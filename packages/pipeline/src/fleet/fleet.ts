import { hostname } from 'node:os';
import type { Config } from '@matchflow/config';
import type { Db } from '@matchflow/db';
import { createRedis, jobIds, Producer, type QueueName, validatePayload } from '@matchflow/queues';
import { SourceClient } from '@matchflow/sources';
import { jobLogger, type Logger } from '@matchflow/telemetry';
import { DelayedError, type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { runMaintenanceTask } from '../maintenance/maintenance.js';
import { publishDeferred } from '../publish/deferred.js';
import { handleTick, tickDueAt } from '../schedule/tick.js';
import { defaultStageRegistry } from '../stages/default-registry.js';
import type { Fetcher } from '../stages/ingest-match.js';
import type { StageRegistry, StageRuntime } from '../stages/registry.js';
import { processStageJob } from '../stages/stage-runner.js';
import { closeRun, stageFinished } from '../store/runs.js';
import { isDatabaseUnavailable } from './database-errors.js';
import { isFinalFailure, isInvalidPayloadFailure, toBullmqError } from './error-mapping.js';
import { fleetQueues } from './fleet-queues.js';
import { checkJobPayload } from './job-payload.js';

/** Which process ran a stage, as recorded in its counters. */
const WORKER_ID = `${hostname()}:${process.pid}`;

// Their own module: maintenance (sample-ops) reads the list too, and this module imports it.
export { FLEET_OWN_QUEUES, fleetQueues } from './fleet-queues.js';

/** The queues of the built-in stages, maintenance and the ticks (what `--queues` defaulted to before the registry). */
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
  /** The stages this fleet knows (default: `defaultStageRegistry()`). */
  registry?: StageRegistry;
  /** Which queues this process works (default: `fleetQueues(registry)`, all of them). */
  queues?: string[];
  /** Upstream access per source name; by default a SourceClient for each configured source. */
  fetchers?: Map<string, Fetcher>;
  /**
   * Called when a job found the database unreachable (the job itself is handed back): the
   * worker replaces its connection pool, which a dropped connection may have wedged.
   */
  onDatabaseUnavailable?: () => void;
}

/**
 * The workers of one process: a BullMQ worker per queue, each job handed to the stage the
 * registry names for its queue (which records its stage in ops and closes the run when the run
 * ends). Any number of processes, on any machines, may run a Fleet against the same Redis and
 * PostgreSQL.
 */
export class Fleet {
  readonly producer: Producer;
  readonly registry: StageRegistry;
  private readonly workers: Worker[] = [];
  private readonly connections: Redis[] = [];
  private readonly clients: SourceClient[] = [];
  private readonly fetchers: Map<string, Fetcher>;
  private readonly options: FleetOptions;
  private readonly logger: Logger;
  private readonly runtime: StageRuntime;

  private constructor(options: FleetOptions) {
    this.options = options;
    this.logger = options.logger;
    this.registry = options.registry ?? defaultStageRegistry();
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
    this.runtime = {
      db: options.db,
      config: options.config,
      logger: options.logger,
      producer: this.producer,
      registry: this.registry,
      fetcher: (source) => this.fetchers.get(source),
      workerId: WORKER_ID,
    };
  }

  /**
   * Start working the queues.
   *
   * @throws Error naming a queue no stage is registered for; ConfigError for settings of an unknown stage.
   */
  static start(options: FleetOptions): Fleet {
    const registry = options.registry ?? defaultStageRegistry();
    registry.checkConfig(options.config);
    const queues = options.queues ?? fleetQueues(registry);
    const known = fleetQueues(registry);
    const unknown = queues.filter((queue) => !known.includes(queue));
    if (unknown.length > 0) throw new Error(`unknown queue(s) ${unknown.join(', ')} (known: ${known.join(', ')})`);
    const fleet = new Fleet({ ...options, registry });
    for (const queue of queues) fleet.startWorker(queue);
    return fleet;
  }

  private connect(role: 'worker' | 'client'): Redis {
    const connection = createRedis(this.options.config.redis.url, role);
    connection.on('error', (error) => this.logger.warn({ err: error, role }, 'redis connection error'));
    this.connections.push(connection);
    return connection;
  }

  private startWorker(queue: string): void {
    const { config } = this.options;
    const stage = this.registry.byQueue(queue);
    const worker = new Worker(queue, async (job, token) => this.process(queue, job, token), {
      connection: this.connect('worker'),
      prefix: config.redis.prefix,
      concurrency: stage ? stage.concurrency(config) : FIXED_CONCURRENCY[queue as keyof typeof FIXED_CONCURRENCY],
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

  private async process(queue: string, job: Job, token: string | undefined): Promise<unknown> {
    const log = jobLogger(this.logger, job);
    const stage = this.registry.byQueue(queue);
    try {
      // A payload written to Redis past the Producer fails here, before any stage writes a row.
      checkJobPayload(queue, job.data, this.options.config, stage?.payload);
      if (stage?.kind === 'pipeline') return await stage.process(this.runtime, job, token);
      if (stage?.kind === 'standalone') return await processStageJob(this.runtime, stage, job, token);
      if (queue === 'maintenance') return await this.maintain(job, log);
      return await this.tick(job, log);
    } catch (error) {
      if (error instanceof DelayedError) throw error;
      if (isDatabaseUnavailable(error)) this.options.onDatabaseUnavailable?.();
      throw await toBullmqError(error, this.producer.queue(queue), log);
    }
  }

  private async maintain(job: Job, log: Logger): Promise<unknown> {
    const { db, config } = this.options;
    const { task } = validatePayload('maintenance', job.data);
    return runMaintenanceTask({ db, producer: this.producer, config, logger: log, registry: this.registry }, task);
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

  /** A job failed: record its stage, and when it was the last try of a run-deciding stage, fail the run. */
  private async onFailed(queue: string, job: Job, error: Error): Promise<void> {
    const { db } = this.options;
    if (isInvalidPayloadFailure(error)) {
      // Its runId (if any) cannot be trusted to name a run: record nothing, say what was wrong.
      this.logger.error({ err: error, queue, jobId: job.id }, 'job failed: invalid payload');
      return;
    }
    const stage = this.registry.byQueue(queue);
    if (!stage) {
      this.logger.error({ err: error, queue, jobId: job.id, attempt: job.attemptsMade }, 'job failed');
      return;
    }
    if (!isFinalFailure(job, error)) return;
    const data = job.data as { runId?: string };
    if (!data.runId) return;
    // A standalone stage records its own failure as a step of a run; alone, its run ends with it.
    const endsRun = stage.kind === 'pipeline' ? stage.failureEndsRun : job.parent === undefined;
    const key =
      stage.kind === 'standalone' ? String((job.data as { scope?: string }).scope ?? '') : stage.scopeKey(job.data);
    try {
      await stageFinished(db, data.runId, stage.name, key, { status: 'failed', error: error.message });
      // A failed ingest is set aside (the run ends partial); anything else ends the run.
      if (endsRun) {
        await closeRun(db, data.runId, { status: 'failed', failedStage: stage.name, error: error.message });
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
