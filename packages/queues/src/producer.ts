import type { Config } from '@matchflow/config';
import { type FlowJob, FlowProducer, type Job, type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import {
  type BuildJob,
  type DiscoverJob,
  type IngestJob,
  JOBS,
  jobIds,
  PAYLOADS,
  QUEUES,
  type QueueName,
  type RatingsJob,
  StageJob,
} from './catalog.js';
import { InvalidJobPayload } from './errors.js';
import { BACKFILL_PRIORITY, defaultJobOptions } from './options.js';

export interface ProducerOptions {
  /** A `client` connection (see createRedis); the producer does not close it. */
  connection: Redis;
  /** BullMQ key prefix, e.g. `{matchflow}`. */
  prefix: string;
  config: Pick<Config, 'retention' | 'sources'>;
}

/** Validate a payload against its queue's schema, or throw listing every problem. */
export function validatePayload<Queue extends QueueName>(
  queue: Queue,
  payload: unknown,
): z.output<(typeof PAYLOADS)[Queue]> {
  const result = PAYLOADS[queue].safeParse(payload);
  if (result.success) return result.data as z.output<(typeof PAYLOADS)[Queue]>;
  throw new InvalidJobPayload(
    queue,
    result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(payload)'}: ${issue.message}`),
  );
}

export interface RunFlow {
  build: BuildJob;
  ratings: RatingsJob;
  ingests: IngestJob[];
  /**
   * Standalone stages that run inside this run, between ratings and build, first to last (each
   * waits for the one before it). The stage registry decides which and in what order.
   */
  steps?: StageStep[];
}

/** A standalone stage's job: its queue and job name come from the stage registry. */
export interface StageStep {
  queue: string;
  name: string;
  data: StageJob;
}

/**
 * The only way jobs enter the queues: every payload is validated first (a bad one throws and
 * nothing is enqueued), ids are the catalog's deterministic ones, and backfills go in behind
 * scheduled work.
 */
export class Producer {
  readonly queues: Record<QueueName, Queue>;
  /** Queues of registered stages beyond the built-in ones, opened on first use. */
  private readonly stageQueues = new Map<string, Queue>();
  private readonly flows: FlowProducer;
  private readonly options: ProducerOptions;

  constructor(options: ProducerOptions) {
    this.options = options;
    const make = (name: QueueName) => new Queue(name, { connection: options.connection, prefix: options.prefix });
    this.queues = {
      discover: make(QUEUES.discover),
      ingest: make(QUEUES.ingest),
      ratings: make(QUEUES.ratings),
      build: make(QUEUES.build),
      maintenance: make(QUEUES.maintenance),
      schedule: make(QUEUES.schedule),
    };
    this.flows = new FlowProducer({ connection: options.connection, prefix: options.prefix });
  }

  /** The Redis connection the queues use (the caller's: closing the producer leaves it open). */
  get connection(): Redis {
    return this.options.connection;
  }

  /** Any queue by name: a built-in one, or a registered stage's. */
  queue(name: string): Queue {
    if (Object.hasOwn(this.queues, name)) return this.queues[name as QueueName];
    let queue = this.stageQueues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.options.connection, prefix: this.options.prefix });
      this.stageQueues.set(name, queue);
    }
    return queue;
  }

  /**
   * Enqueue one run of a standalone stage on its queue. The job id is per run, so a retried
   * trigger adds nothing twice; overlap between runs is the trigger's business (a run-level
   * lock, as for competition runs). Backfills go in behind scheduled work.
   */
  async enqueueStage(step: StageStep): Promise<Job> {
    const data = this.validateStep(step);
    return this.queue(step.queue).add(step.name, data, {
      ...this.stageDefaults(),
      jobId: jobIds.stage(data),
      ...(data.trigger === 'backfill' ? { priority: BACKFILL_PRIORITY } : {}),
    });
  }

  /**
   * Enqueue a discover job. Its id is per scope, so while one is queued or running for the
   * same competition-season, this adds nothing and returns `added: false`.
   */
  async enqueueDiscover(payload: unknown): Promise<{ job: Job; added: boolean }> {
    const job = validatePayload('discover', payload);
    const queued = await this.queues.discover.add(JOBS.discover, job, {
      ...this.defaults('discover'),
      // The id must be free again once this discover is done, for the next run of the scope.
      removeOnComplete: true,
      removeOnFail: true,
      jobId: jobIds.discover(job),
      ...(job.trigger === 'backfill' ? { priority: BACKFILL_PRIORITY } : {}),
    });
    // add() hands back a Job built from our data even when the id was taken: read what is stored.
    const stored = queued.id ? await this.queues.discover.getJob(queued.id) : undefined;
    const storedRun = (stored?.data as DiscoverJob | undefined)?.runId;
    return { job: stored ?? queued, added: storedRun === job.runId };
  }

  /**
   * The run flow: `build` waits for `ratings`, which waits for every `ingest`. An ingest that
   * fails after its last attempt is set aside (the run goes on and ends `partial`); a ratings
   * failure fails the build. Re-adding the same run is a no-op: the ids are fixed.
   */
  async addRunFlow(flow: RunFlow): Promise<{ buildJobId: string }> {
    const build = validatePayload('build', flow.build);
    const ratings = validatePayload('ratings', flow.ratings);
    const ingests = flow.ingests.map((ingest) => validatePayload('ingest', ingest));
    const steps = (flow.steps ?? []).map((step) => ({ ...step, data: this.validateStep(step) }));
    const priority: JobsOptions = build.trigger === 'backfill' ? { priority: BACKFILL_PRIORITY } : {};
    const buildJobId = jobIds.build(build);
    let chain: FlowJob = {
      name: JOBS.ratings,
      queueName: QUEUES.ratings,
      data: ratings,
      opts: { ...this.defaults('ratings'), ...priority, jobId: jobIds.ratings(ratings), failParentOnFailure: true },
      children: ingests.map((ingest) => ({
        name: JOBS.ingest,
        queueName: QUEUES.ingest,
        data: ingest,
        opts: {
          ...this.defaults('ingest', ingest.source),
          ...priority,
          jobId: jobIds.ingest(ingest),
          ignoreDependencyOnFailure: true,
        },
      })),
    };
    for (const step of steps) {
      // A failure below (ratings) must still fail the build, so a step passes it on. A step's
      // own work failing for good does not fail its job: the stage runner records it and the
      // run goes on without it (it ends `partial`).
      chain = {
        name: step.name,
        queueName: step.queue,
        data: step.data,
        opts: { ...this.stageDefaults(), ...priority, jobId: jobIds.stage(step.data), failParentOnFailure: true },
        children: [chain],
      };
    }
    await this.flows.add({
      name: JOBS.build,
      queueName: QUEUES.build,
      data: build,
      opts: { ...this.defaults('build'), ...priority, jobId: buildJobId },
      children: [chain],
    });
    return { buildJobId };
  }

  private validateStep(step: StageStep): StageJob {
    const result = StageJob.safeParse(step.data);
    if (!result.success) {
      throw new InvalidJobPayload(
        step.queue,
        result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(payload)'}: ${issue.message}`),
      );
    }
    if (!/^[a-z][a-z0-9-]*$/.test(step.queue))
      throw new InvalidJobPayload(step.queue, [`queue: '${step.queue}' is not a queue name`]);
    return result.data;
  }

  async enqueueMaintenance(payload: unknown, jobId?: string): Promise<Job> {
    const job = validatePayload('maintenance', payload);
    return this.queues.maintenance.add(JOBS.maintenance, job, {
      ...this.defaults('maintenance'),
      // A sample a minute would push the nightly tasks' results out of the queue's kept jobs
      // within two hours: a finished sample goes at once (its counters are in ops.checkpoints).
      ...(job.task === 'sample-ops' ? { removeOnComplete: true } : {}),
      ...(jobId ? { jobId } : {}),
    });
  }

  /** Enqueue a schedule tick (a catch-up for missed ones); an id already present adds nothing. */
  async enqueueTick(payload: unknown, jobId: string): Promise<Job> {
    const tick = validatePayload('schedule', payload);
    return this.queues.schedule.add(JOBS.schedule, tick, { ...this.defaults('schedule'), jobId });
  }

  /**
   * Create or update the BullMQ job scheduler `id` on the schedule queue: each tick is a
   * `schedule.tick` job carrying `payload`. Idempotent: BullMQ replaces the scheduler and its
   * next job atomically, so any number of scheduler replicas may upsert the same id.
   */
  async upsertTickScheduler(
    id: string,
    repeat: { pattern: string; tz: string } | { every: number; startDate: number },
    payload: unknown,
  ): Promise<void> {
    const tick = validatePayload('schedule', payload);
    await this.queues.schedule.upsertJobScheduler(id, repeat, {
      name: JOBS.schedule,
      data: tick,
      opts: this.defaults('schedule'),
    });
  }

  /** Standalone stages checkpoint their own progress: a retry resumes where the last try stopped. */
  private stageDefaults(): JobsOptions {
    return defaultJobOptions('discover', this.options.config);
  }

  private defaults(queue: QueueName, source?: string): JobsOptions {
    const retry = source ? this.options.config.sources[source]?.retry : undefined;
    return defaultJobOptions(queue, this.options.config, retry);
  }

  async close(): Promise<void> {
    await Promise.all([
      ...Object.values(this.queues).map((queue) => queue.close()),
      ...[...this.stageQueues.values()].map((queue) => queue.close()),
      this.flows.close(),
    ]);
  }
}
