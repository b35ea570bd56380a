import { createRedis } from '@matchflow/queues';
import type { Redis } from 'ioredis';

/**
 * A Redis connection for a one-shot command: it gives up after a few connection attempts instead
 * of retrying forever, so an unreachable Redis ends the command with an error, not a hang.
 */
export function commandRedis(url: string): { redis: Redis; lastError: () => Error | undefined } {
  let last: Error | undefined;
  const redis = createRedis(url, 'client', {
    connectTimeout: 3_000,
    // Connect on first use, or explicitly: `connect()` rejects with the real cause (ECONNREFUSED).
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => (attempt > 2 ? null : 200 * attempt),
  });
  // Connection errors surface as rejected commands ("Connection is closed."); keep the cause
  // (ECONNREFUSED, ...) to report instead. Unhandled, the event would be logged raw.
  redis.on('error', (error: Error) => {
    last = error;
  });
  return { redis, lastError: () => last };
}
