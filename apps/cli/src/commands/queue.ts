import type { Config } from '@matchflow/config';
import { isQueueName, QUEUE_COUNT_STATES, QUEUE_NAMES, QueueAdmin } from '@matchflow/pipeline';
import type { QueueName } from '@matchflow/queues';
import { commandRedis } from '../connect.js';
import { json, safeUrl, table } from '../format.js';
import { UsageError } from '../usage-error.js';
import type { Io } from './runs.js';

/** `ingest` -> ['ingest']; `all` -> every queue; anything else is a usage error (exit 2). */
export function queueArgument(name: string | undefined, allowAll: boolean): QueueName[] {
  const known = `${QUEUE_NAMES.join(', ')}${allowAll ? ', or all' : ''}`;
  if (name === undefined) throw new UsageError(`name a queue: ${known}`);
  if (allowAll && name === 'all') return [...QUEUE_NAMES];
  if (!isQueueName(name)) throw new UsageError(`unknown queue '${name}' (queues: ${known})`);
  return [name];
}

async function withAdmin(config: Config, io: Io, work: (admin: QueueAdmin) => Promise<number>): Promise<number> {
  const { redis: connection, lastError } = commandRedis(config.redis.url);
  const admin = new QueueAdmin({ connection, prefix: config.redis.prefix });
  try {
    return await work(admin);
  } catch (error) {
    const cause = lastError();
    if (!cause) throw error;
    io.err(`matchflow: Redis at ${safeUrl(config.redis.url)} is unreachable: ${cause.message}`);
    return 1;
  } finally {
    await admin.close().catch(() => {});
    connection.disconnect();
  }
}

/** `matchflow queue stats [--json]`: per queue, jobs by state and whether it is paused. */
export async function queueStats(config: Config, options: { json: boolean }, io: Io): Promise<number> {
  return withAdmin(config, io, async (admin) => {
    const stats = await admin.stats();
    if (options.json) {
      io.out(json({ redis: safeUrl(config.redis.url), prefix: config.redis.prefix, queues: stats }));
      return 0;
    }
    io.out(`queues on ${safeUrl(config.redis.url)}, prefix ${config.redis.prefix}`);
    const rows = stats.map((queue) => [
      queue.name,
      ...QUEUE_COUNT_STATES.map((state) => String(queue.counts[state])),
      queue.paused ? 'PAUSED' : '',
    ]);
    const right = QUEUE_COUNT_STATES.map((_, index) => index + 1);
    for (const line of table(['queue', ...QUEUE_COUNT_STATES, ''], rows, right)) io.out(`  ${line}`);
    return 0;
  });
}

/**
 * `matchflow queue pause|resume <queue|all>`: fleet-wide, every worker of the queue stops taking
 * jobs (running ones finish) or starts again.
 */
export async function queuePauseResume(
  config: Config,
  options: { action: 'pause' | 'resume'; queue: string | undefined },
  io: Io,
): Promise<number> {
  const names = queueArgument(options.queue, true);
  return withAdmin(config, io, async (admin) => {
    for (const name of names) {
      if (options.action === 'pause') await admin.pause(name);
      else await admin.resume(name);
    }
    io.out(`${options.action === 'pause' ? 'paused' : 'resumed'}: ${names.join(', ')}`);
    return 0;
  });
}

/** `matchflow queue retry-failed <queue> [--limit N] [--json]`: failed jobs back to waiting. */
export async function queueRetryFailed(
  config: Config,
  options: { queue: string | undefined; limit: number | undefined; json: boolean },
  io: Io,
): Promise<number> {
  const [name] = queueArgument(options.queue, false) as [QueueName];
  return withAdmin(config, io, async (admin) => {
    const retried = await admin.retryFailed(name, options.limit);
    if (options.json) io.out(json({ queue: name, retried }));
    else io.out(`${name}: ${retried.length} failed job(s) moved back to waiting`);
    return 0;
  });
}

/**
 * `matchflow queue clean <queue> [--state completed|failed] [--grace-ms N] [--limit N] [--json]`:
 * remove finished jobs older than the grace period.
 */
export async function queueClean(
  config: Config,
  options: {
    queue: string | undefined;
    state: string | undefined;
    graceMs: number;
    limit: number | undefined;
    json: boolean;
  },
  io: Io,
): Promise<number> {
  const [name] = queueArgument(options.queue, false) as [QueueName];
  const state = options.state ?? 'completed';
  if (state !== 'completed' && state !== 'failed')
    throw new UsageError(`--state must be completed or failed, not '${state}'`);
  return withAdmin(config, io, async (admin) => {
    const removed = await admin.clean(name, { state, graceMs: options.graceMs, limit: options.limit ?? 0 });
    if (options.json) io.out(json({ queue: name, state, removed: removed.length }));
    else io.out(`${name}: removed ${removed.length} ${state} job(s) older than ${options.graceMs} ms`);
    return 0;
  });
}
