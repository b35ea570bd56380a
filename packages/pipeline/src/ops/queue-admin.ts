import { QUEUES, type QueueName } from '@matchflow/queues';
import { type Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/*
 * Operating the fleet's queues (`matchflow queue ...`, the dashboard): counts, pause and resume
 * (fleet-wide: every worker of the queue stops taking jobs; running jobs finish), retrying
 * failed jobs and removing finished ones.
 */

/**
 * The job states counted per queue (BullMQ `getJobCounts`). BullMQ 6 keeps a paused queue's jobs
 * in `waiting` (there is no paused list any more): `QueueStats.paused` says whether it is paused.
 */
export const QUEUE_COUNT_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'completed',
  'failed',
] as const;
export type QueueCountState = (typeof QUEUE_COUNT_STATES)[number];

export interface QueueStats {
  name: QueueName;
  /** Paused fleet-wide: workers take no new jobs from it. */
  paused: boolean;
  counts: Record<QueueCountState, number>;
}

/** Job counts per state and the paused flag of one queue (the CLI's and the dashboard's figures). */
export async function queueCounts(queue: Queue): Promise<Omit<QueueStats, 'name'>> {
  const [counts, paused] = await Promise.all([queue.getJobCounts(...QUEUE_COUNT_STATES), queue.isPaused()]);
  const complete = Object.fromEntries(QUEUE_COUNT_STATES.map((state) => [state, Number(counts[state] ?? 0)]));
  return { paused, counts: complete as Record<QueueCountState, number> };
}

/** Every queue of the catalog, in its order. */
export const QUEUE_NAMES: readonly QueueName[] = Object.values(QUEUES);

export function isQueueName(name: string): name is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(name);
}

/**
 * Queue handles over one connection and prefix. `close()` releases the handles, not the
 * connection (the caller's).
 */
export class QueueAdmin {
  private readonly connection: Redis;
  private readonly prefix: string;
  private readonly open = new Map<QueueName, Queue>();

  constructor(options: { connection: Redis; prefix: string }) {
    this.connection = options.connection;
    this.prefix = options.prefix;
  }

  private queue(name: QueueName): Queue {
    let queue = this.open.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      // Connection trouble also rejects the command in hand, which is what callers see; an
      // unheard 'error' event would be printed raw.
      queue.on('error', () => {});
      this.open.set(name, queue);
    }
    return queue;
  }

  /** Job counts per state and the paused flag, for the given queues (default: all). */
  async stats(names: readonly QueueName[] = QUEUE_NAMES): Promise<QueueStats[]> {
    return Promise.all(names.map(async (name) => ({ name, ...(await queueCounts(this.queue(name))) })));
  }

  async pause(name: QueueName): Promise<void> {
    await this.queue(name).pause();
  }

  async resume(name: QueueName): Promise<void> {
    await this.queue(name).resume();
  }

  /**
   * Move up to `limit` failed jobs (oldest failures first is not guaranteed: BullMQ's failed set
   * is ordered by finish time, newest first) back to waiting. Returns the ids retried.
   */
  async retryFailed(name: QueueName, limit = Number.POSITIVE_INFINITY): Promise<string[]> {
    const queue = this.queue(name);
    const retried: string[] = [];
    const seen = new Set<string>();
    for (;;) {
      const page = (await queue.getFailed(0, 99)) as Job[];
      const fresh = page.filter((job) => job.id !== undefined && !seen.has(job.id));
      // Jobs that could not be retried stay in the failed set; stop rather than loop over them.
      if (fresh.length === 0) return retried;
      for (const job of fresh) {
        if (retried.length >= limit) return retried;
        const id = job.id as string;
        seen.add(id);
        try {
          await job.retry('failed');
          retried.push(id);
        } catch {
          // Removed or retried by someone else meanwhile: nothing to do for this one.
        }
      }
    }
  }

  /**
   * Remove jobs that finished in `state` more than `graceMs` ago (all of them with 0), at most
   * `limit` (0: no limit). Returns the ids removed.
   */
  async clean(
    name: QueueName,
    options: { state: 'completed' | 'failed'; graceMs: number; limit?: number },
  ): Promise<string[]> {
    return this.queue(name).clean(options.graceMs, options.limit ?? 0, options.state);
  }

  async close(): Promise<void> {
    await Promise.all([...this.open.values()].map((queue) => queue.close()));
    this.open.clear();
  }
}
