/** A job payload failed its schema: nothing was enqueued. */
export class InvalidJobPayload extends Error {
  readonly queue: string;
  readonly problems: readonly string[];

  constructor(queue: string, problems: readonly string[]) {
    super(`invalid ${queue} job payload: ${problems.join('; ')}`);
    this.name = 'InvalidJobPayload';
    this.queue = queue;
    this.problems = problems;
  }
}

/** Redis would evict queue keys under memory pressure; BullMQ cannot survive that. */
export class RedisEvictionPolicyError extends Error {
  readonly policy: string;

  constructor(policy: string) {
    super(
      `Redis maxmemory-policy is '${policy}', but matchflow needs 'noeviction': evicting a queue key loses jobs. ` +
        `Fix: set 'maxmemory-policy noeviction' in redis.conf (see infra/redis/redis.conf) or run ` +
        `'redis-cli CONFIG SET maxmemory-policy noeviction' (and CONFIG REWRITE to keep it).`,
    );
    this.name = 'RedisEvictionPolicyError';
    this.policy = policy;
  }
}
