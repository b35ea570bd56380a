import { performance } from 'node:perf_hooks';
import type { Config } from '@matchflow/config';
import { type Database, migrationStatus, queryRows } from '@matchflow/db';
import { evictionPolicy } from '@matchflow/queues';
import { FleetBreaker, FleetLimiter } from '@matchflow/sources';
import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';

/*
 * What `matchflow health` and the dashboard check: Redis answers and will not evict queue keys,
 * the database answers and has every migration, and no source's fleet-wide breaker is open.
 */

export interface HealthCheck {
  /** `redis`, `database`, `source <name>`. */
  name: string;
  ok: boolean;
  /** One line for a person: what was seen. */
  detail: string;
  /** Check-specific facts for scripts (latency, policy, breaker state, ...). */
  facts: Record<string, unknown>;
}

export interface HealthReport {
  healthy: boolean;
  checks: HealthCheck[];
}

/** Reject with `what timed out after N ms` when `promise` takes longer than `timeoutMs`. */
async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function message(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return message(error.errors[0]);
  return error instanceof Error ? error.message || error.constructor.name : String(error);
}

/** PING and the eviction policy (`noeviction` required: an evicted key loses jobs). */
export async function checkRedis(
  redis: Redis,
  options: { location?: string; timeoutMs?: number } = {},
): Promise<HealthCheck> {
  const timeoutMs = options.timeoutMs ?? 3_000;
  const where = options.location ? `${options.location}: ` : '';
  // A failed command says "Connection is closed."; the connection's own error says why.
  let cause: Error | undefined;
  const onError = (error: Error) => {
    cause = error;
  };
  redis.on('error', onError);
  try {
    // A lazy connection not yet open: connecting first reports why it cannot (ECONNREFUSED, ...).
    if (redis.status === 'wait') await within(redis.connect(), timeoutMs, 'connecting');
    const started = performance.now();
    const pong = await within(redis.ping(), timeoutMs, 'PING');
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    const policy = await within(evictionPolicy(redis), timeoutMs, 'INFO memory');
    const ok = pong === 'PONG' && policy === 'noeviction';
    return {
      name: 'redis',
      ok,
      detail:
        `${where}${pong} in ${latencyMs} ms, maxmemory-policy ${policy}` +
        (policy === 'noeviction' ? '' : ' (must be noeviction: queue keys could be evicted)'),
      facts: { latencyMs, maxmemoryPolicy: policy },
    };
  } catch (error) {
    return { name: 'redis', ok: false, detail: `${where}unreachable: ${message(cause ?? error)}`, facts: {} };
  } finally {
    redis.off('error', onError);
  }
}

/** SELECT 1 and whether every committed migration is applied. */
export async function checkDatabase(database: Database, timeoutMs = 5_000): Promise<HealthCheck> {
  try {
    const started = performance.now();
    await within(queryRows(database, sql`SELECT 1 AS one`), timeoutMs, 'SELECT 1');
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    const migrations = await within(migrationStatus(database), timeoutMs, 'reading the migrations');
    return {
      name: 'database',
      ok: migrations.current,
      detail:
        `${database.backend} ${database.location}: SELECT 1 in ${latencyMs} ms, ` +
        `${migrations.applied}/${migrations.available} migrations applied` +
        (migrations.current ? '' : ' (run matchflow db migrate)'),
      facts: { backend: database.backend, latencyMs, ...migrations },
    };
  } catch (error) {
    return {
      name: 'database',
      ok: false,
      detail: `${database.backend} ${database.location}: unreachable: ${message(error)}`,
      facts: { backend: database.backend },
    };
  }
}

/**
 * Each source's fleet-wide breaker (open = unhealthy: no request goes out) and whether a 429
 * has paused it (reported, not unhealthy: the fleet waits it out).
 */
export async function checkSources(
  redis: Redis,
  config: Pick<Config, 'sources' | 'redis'>,
  timeoutMs = 3_000,
): Promise<HealthCheck[]> {
  const checks: HealthCheck[] = [];
  for (const [source, settings] of Object.entries(config.sources)) {
    const name = `source ${source}`;
    try {
      const shared = { redis, prefix: config.redis.prefix, source };
      const breaker = await within(
        new FleetBreaker({ ...shared, settings: settings.breaker }).state(),
        timeoutMs,
        'reading the breaker',
      );
      const limiter = await within(
        new FleetLimiter({ ...shared, settings: settings.rateLimit }).state(),
        timeoutMs,
        'reading the limiter',
      );
      const parts = [`breaker ${breaker.state}`];
      if (breaker.reason && breaker.state !== 'closed') parts.push(`reason ${breaker.reason}`);
      if (breaker.openUntil !== undefined) parts.push(`until ${new Date(breaker.openUntil).toISOString()}`);
      parts.push(
        `${breaker.consecutiveFailures} consecutive failure(s), failure rate ${Math.round(breaker.failureRate * 100)}% over ${breaker.windowSize} request(s)`,
      );
      if (limiter.pausedForMs > 0) parts.push(`paused by the upstream for ${limiter.pausedForMs} ms more`);
      checks.push({
        name,
        ok: breaker.state !== 'open',
        detail: parts.join(', '),
        facts: { kind: settings.kind, breaker, limiter },
      });
    } catch (error) {
      checks.push({
        name,
        ok: false,
        detail: `breaker state unknown: ${message(error)}`,
        facts: { kind: settings.kind },
      });
    }
  }
  return checks;
}

/** Every check; healthy when all pass. */
export async function checkHealth(deps: {
  redis: Redis;
  /** How to name Redis in the report (a URL without credentials). */
  redisLocation?: string;
  database: Database;
  config: Pick<Config, 'sources' | 'redis'>;
}): Promise<HealthReport> {
  const [redis, database] = await Promise.all([
    checkRedis(deps.redis, deps.redisLocation ? { location: deps.redisLocation } : {}),
    checkDatabase(deps.database),
  ]);
  // The breakers live in Redis: without it their state is unknown, which is not healthy either.
  const reachable = redis.facts.maxmemoryPolicy !== undefined;
  const sources = reachable
    ? await checkSources(deps.redis, deps.config)
    : Object.keys(deps.config.sources).map((source) => ({
        name: `source ${source}`,
        ok: false,
        detail: 'breaker state unknown: Redis unreachable',
        facts: {},
      }));
  const checks = [redis, database, ...sources];
  return { healthy: checks.every((check) => check.ok), checks };
}
