import type { Config } from '@matchflow/config';
import type { JobsOptions } from 'bullmq';
import type { QueueName } from './catalog.js';

/** BullMQ priority for backfill work: scheduled jobs carry none, and unprioritised jobs go first. */
export const BACKFILL_PRIORITY = 10;

/**
 * Default options per queue. Retries back off exponentially with jitter; finished jobs are
 * trimmed by count and failed ones by age (a scheduled `queue.clean()` trims the rest).
 */
export function defaultJobOptions(
  queue: QueueName,
  config: Pick<Config, 'retention'>,
  retry?: { attempts: number; backoffMs: number },
): JobsOptions {
  const removeOnComplete = { count: config.retention.completedJobsKeep };
  const removeOnFail = { age: config.retention.failedJobsDays * 86_400 };
  switch (queue) {
    case 'ingest':
      return {
        attempts: retry?.attempts ?? 5,
        backoff: { type: 'exponential', delay: retry?.backoffMs ?? 1_000, jitter: 0.5 },
        removeOnComplete,
        removeOnFail,
      };
    case 'discover':
    case 'ratings':
    case 'build':
      return {
        attempts: 3,
        backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 },
        removeOnComplete,
        removeOnFail,
      };
    case 'maintenance':
      return { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } };
    case 'schedule':
      // A tick that could not start its runs (database away) tries again soon, then gives up:
      // the next tick, or the missed-run check, covers it.
      return {
        attempts: 3,
        backoff: { type: 'exponential', delay: 5_000, jitter: 0.5 },
        removeOnComplete: { count: 500 },
        removeOnFail: { count: 500 },
      };
  }
}
