import type { Config } from '@matchflow/config';
import { createDb, type Database, type Db } from '@matchflow/db';
import { defaultStageRegistry, fleetQueues, type StageRegistry } from '@matchflow/pipeline';
import { createRedis } from '@matchflow/queues';
import { FleetBreaker, FleetLimiter } from '@matchflow/sources';
import type { Logger } from '@matchflow/telemetry';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/*
 * What the ops side of the dashboard reads: the database (ops zone), Redis (queues, breaker and
 * limiter state, fleet counters). Opened on first use, so a server that only ever answers the
 * consumer API never connects to either, and a missing Redis or database shows as a 503 on
 * /readyz instead of stopping the process.
 */

/** The config the dashboard needs. */
export type DashboardConfig = Pick<
  Config,
  | 'env'
  | 'publishDir'
  | 'dashboard'
  | 'redis'
  | 'database'
  | 'dataDir'
  | 'sources'
  | 'competitions'
  | 'quality'
  | 'runs'
  | 'stages'
>;

export interface SourceReaders {
  name: string;
  kind: string;
  breaker: FleetBreaker;
  limiter: FleetLimiter;
  /** requestsPerInterval / intervalMs / maxConcurrent, as configured. */
  rateLimit: Config['sources'][string]['rateLimit'];
}

export interface ResourceOptions {
  config: DashboardConfig;
  logger: Logger;
  /** A database the caller owns (npm start passes its PGlite: it allows one process). */
  db?: Db;
  /** A Redis connection the caller owns. */
  redis?: Redis;
  /** The stages the fleet runs: their queues, the ops page's Stages section (default: `defaultStageRegistry()`). */
  registry?: StageRegistry;
}

/** A read of Redis or the database that takes longer than this fails: a page or a scrape must answer. */
export const READ_DEADLINE_MS = 3_000;

/** `work`, or a rejection naming `what` once `ms` have passed. */
export async function withDeadline<T>(work: Promise<T>, what: string, ms = READ_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export class DashboardResources {
  /** The stages the fleet runs, as the workers see them. */
  readonly registry: StageRegistry;
  /** Every queue the fleet works: each registered stage's, maintenance and the schedule's ticks. */
  readonly queueNames: readonly string[];
  private readonly config: DashboardConfig;
  private readonly logger: Logger;
  private readonly givenDb: Db | undefined;
  private readonly givenRedis: Redis | undefined;
  private opened: Promise<Database> | undefined;
  private ownRedis: Redis | undefined;
  private openQueues: Queue[] | undefined;
  private readers: SourceReaders[] | undefined;
  private lastRedisError = 0;

  constructor(options: ResourceOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.givenDb = options.db;
    this.givenRedis = options.redis;
    this.registry = options.registry ?? defaultStageRegistry();
    this.queueNames = fleetQueues(this.registry);
  }

  /** The database (opened from config on first use unless one was given). */
  async db(): Promise<Db> {
    if (this.givenDb) return this.givenDb;
    this.opened ??= createDb(this.config).catch((error: unknown) => {
      this.opened = undefined;
      throw error;
    });
    return (await this.opened).db;
  }

  redis(): Redis {
    if (this.givenRedis) return this.givenRedis;
    if (!this.ownRedis) {
      const redis = createRedis(this.config.redis.url, 'client', {
        // Fail a command quickly when Redis is away: a probe or a page must answer, not hang.
        maxRetriesPerRequest: 1,
        connectTimeout: 2_000,
        connectionName: 'matchflow-dashboard',
      });
      redis.on('error', (error: Error) => {
        // ioredis reports every failed reconnect: log one line a minute, not a flood.
        if (Date.now() - this.lastRedisError < 60_000) return;
        this.lastRedisError = Date.now();
        this.logger.warn({ err: error }, 'dashboard: redis unreachable');
      });
      this.ownRedis = redis;
    }
    return this.ownRedis;
  }

  /** A BullMQ handle per fleet queue, in `queueNames`' order (for Bull Board and queue depth). */
  queues(): Queue[] {
    this.openQueues ??= this.queueNames.map((name) => {
      const queue = new Queue(name, { connection: this.redis(), prefix: this.config.redis.prefix });
      queue.on('error', () => undefined); // reported once through the connection's handler
      return queue;
    });
    return this.openQueues;
  }

  /** State readers for each configured source's fleet-wide breaker and limiter. */
  sources(): SourceReaders[] {
    this.readers ??= Object.entries(this.config.sources)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, settings]) => ({
        name,
        kind: settings.kind,
        rateLimit: settings.rateLimit,
        breaker: new FleetBreaker({
          redis: this.redis(),
          prefix: this.config.redis.prefix,
          source: name,
          settings: settings.breaker,
        }),
        limiter: new FleetLimiter({
          redis: this.redis(),
          prefix: this.config.redis.prefix,
          source: name,
          settings: settings.rateLimit,
        }),
      }));
    return this.readers;
  }

  /** Close what this object opened (not what the caller gave it). */
  async close(): Promise<void> {
    // A queue that never reached Redis may never finish closing: give up on it after the deadline.
    for (const queue of this.openQueues ?? [])
      await withDeadline(queue.close(), 'closing a queue').catch(() => undefined);
    this.ownRedis?.disconnect();
    const opened = this.opened;
    this.opened = undefined;
    if (opened) await (await opened.catch(() => undefined))?.close();
  }
}
