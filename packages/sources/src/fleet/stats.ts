import type { Redis } from 'ioredis';

/**
 * Fleet-wide counters per source, in Redis: upstream requests by HTTP status, and the times a
 * request was told to wait (by the limiter or an open breaker) with how long. Every process adds
 * to the same hashes, so a scraper (the dashboard's `/metrics`) reads the whole fleet's counts
 * from Redis instead of asking each worker. The counters only grow; they expire after
 * `STATS_TTL_MS` without a write (an idle source), which a Prometheus counter reset covers.
 */

/** Counters of a source idle this long are dropped (30 days). */
export const STATS_TTL_MS = 30 * 24 * 3_600_000;

/** Why a request waited: the limiter's denial reasons, or the breaker being open. */
export type WaitReason = 'paused' | 'budget' | 'upstream-budget' | 'reserved' | 'concurrency' | 'breaker-open';

export interface SourceStatsSnapshot {
  /** Requests that got an answer, by HTTP status (`"200"`, `"429"`), plus `"error"` for network failures. */
  requests: Record<string, number>;
  /** Waits by reason: how many times a request was told to wait, and the waits' total in ms. */
  waits: Record<string, { count: number; waitMs: number }>;
}

export interface SourceStatsOptions {
  redis: Redis;
  /** Key namespace shared by the fleet (the BullMQ prefix). */
  prefix: string;
  source: string;
}

/** The Redis keys of a source's counters. */
export function sourceStatsKeys(prefix: string, source: string): { requests: string; waits: string } {
  const base = `${prefix}:stats:${source}`;
  return { requests: `${base}:requests`, waits: `${base}:waits` };
}

export class SourceStats {
  private readonly redis: Redis;
  private readonly keys: { requests: string; waits: string };

  constructor(options: SourceStatsOptions) {
    this.redis = options.redis;
    this.keys = sourceStatsKeys(options.prefix, options.source);
  }

  /**
   * Count a request's outcome. Fire and forget: a lost increment (Redis restarting) costs a
   * metric, never a request, and the request path does not wait for it.
   */
  request(status: number | 'error'): void {
    this.redis
      .pipeline()
      .hincrby(this.keys.requests, String(status), 1)
      .pexpire(this.keys.requests, STATS_TTL_MS)
      .exec()
      .catch(() => undefined);
  }

  /** Count a wait of `waitMs` for `reason`. Fire and forget, as `request`. */
  wait(reason: WaitReason, waitMs: number): void {
    this.redis
      .pipeline()
      .hincrby(this.keys.waits, reason, 1)
      .hincrby(this.keys.waits, `${reason}:ms`, Math.max(0, Math.round(waitMs)))
      .pexpire(this.keys.waits, STATS_TTL_MS)
      .exec()
      .catch(() => undefined);
  }

  async read(): Promise<SourceStatsSnapshot> {
    return readSourceStats(this.redis, this.keys);
  }
}

/** Read a source's counters (any process; the dashboard uses this). */
export async function readSourceStats(
  redis: Redis,
  keys: { requests: string; waits: string },
): Promise<SourceStatsSnapshot> {
  const [requests, waits] = await Promise.all([redis.hgetall(keys.requests), redis.hgetall(keys.waits)]);
  const result: SourceStatsSnapshot = { requests: {}, waits: {} };
  for (const [status, value] of Object.entries(requests)) result.requests[status] = Number(value);
  for (const [field, value] of Object.entries(waits)) {
    const reason = field.endsWith(':ms') ? field.slice(0, -3) : field;
    const entry = result.waits[reason] ?? { count: 0, waitMs: 0 };
    if (field.endsWith(':ms')) entry.waitMs = Number(value);
    else entry.count = Number(value);
    result.waits[reason] = entry;
  }
  return result;
}
