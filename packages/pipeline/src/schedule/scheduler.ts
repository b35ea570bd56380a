import type { Config } from '@matchflow/config';
import type { Db } from '@matchflow/db';
import { createRedis, Producer } from '@matchflow/queues';
import type { Logger } from '@matchflow/telemetry';
import type { Redis } from 'ioredis';
import { type SyncResult, syncSchedules } from './sync.js';

export interface SchedulerOptions {
  config: Config;
  db: Db;
  logger: Logger;
  /** Enqueue through this producer (e.g. a Fleet's); not closed by `stop()`. */
  producer?: Producer;
  /** Or a `client` Redis connection to build one on (not closed by `stop()`); default: a new one to `redis.url`. */
  connection?: Redis;
}

export interface Scheduler {
  /** Apply the schedules now (also done on start and every `scheduler.syncIntervalMs`). */
  sync(): Promise<SyncResult | undefined>;
  /** Stop syncing; waits for a sync in progress. Ticks keep coming: the schedulers live in Redis. */
  stop(): Promise<void>;
}

/**
 * The scheduler: applies the config's schedules to Redis now and every `scheduler.syncIntervalMs`
 * (re-creating schedulers Redis lost, removing ones the config dropped, enqueueing catch-ups for
 * missed ticks; see `syncSchedules`). Run it in any number of processes. It only keeps the job
 * schedulers; the ticks they make are handled by workers (a Fleet working the `schedule` queue).
 */
export async function startScheduler(options: SchedulerOptions): Promise<Scheduler> {
  const { config, db, logger } = options;
  const ownConnection = options.producer || options.connection ? undefined : createRedis(config.redis.url, 'client');
  ownConnection?.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  const producer =
    options.producer ??
    new Producer({
      connection: options.connection ?? (ownConnection as Redis),
      prefix: config.redis.prefix,
      config,
    });
  let running: Promise<SyncResult | undefined> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const sync = (): Promise<SyncResult | undefined> => {
    running ??= syncSchedules({ config, db, producer, logger })
      .then((result) => {
        const changed = result.created.length + result.updated.length + result.removed.length;
        if (changed > 0 || result.catchUps.length + result.missedSkipped.length > 0)
          logger.info({ ...result, unchanged: result.unchanged.length }, 'schedules synced');
        return result;
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'schedule sync failed: trying again at the next sync');
        return undefined;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const loop = () => {
    if (stopped) return;
    timer = setTimeout(() => void sync().finally(loop), config.scheduler.syncIntervalMs);
    timer.unref?.();
  };

  await sync();
  loop();
  logger.info(
    { syncIntervalMs: config.scheduler.syncIntervalMs, maintenance: config.scheduler.maintenance.schedule },
    'scheduler started',
  );
  return {
    sync,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      if (!options.producer) await producer.close();
      if (ownConnection) await ownConnection.quit().catch(() => ownConnection.disconnect());
    },
  };
}
