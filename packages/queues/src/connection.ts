import { Redis, type RedisOptions } from 'ioredis';
import { RedisEvictionPolicyError } from './errors.js';

/**
 * `worker` connections block on BullMQ commands and must retry forever
 * (`maxRetriesPerRequest: null`); `client` connections (producers, limiters) fail a command
 * after a few retries so callers see errors instead of hanging.
 */
export type ConnectionRole = 'worker' | 'client';

export function createRedis(url: string, role: ConnectionRole, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: role === 'worker' ? null : 3,
    enableReadyCheck: true,
    connectionName: `matchflow-${role}`,
    ...options,
  });
}

/** The server's eviction policy, from INFO (CONFIG is disabled on some managed Redis). */
export async function evictionPolicy(redis: Redis): Promise<string> {
  const info = await redis.info('memory');
  const match = /^maxmemory_policy:(\S+)/m.exec(info);
  if (!match?.[1]) throw new Error('Redis did not report maxmemory_policy in INFO memory');
  return match[1];
}

/** Refuse to run on a Redis that may evict queue keys. */
export async function assertNoEviction(redis: Redis): Promise<void> {
  const policy = await evictionPolicy(redis);
  if (policy !== 'noeviction') throw new RedisEvictionPolicyError(policy);
}
