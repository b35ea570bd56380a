import type { Config } from '@matchflow/config';
import { type Db, ops } from '@matchflow/db';
import type { Producer } from '@matchflow/queues';
import { type BreakerStateName, FleetBreaker, readSourceStats, sourceStatsKeys } from '@matchflow/sources';
import { type Logger, parseProcessReport, processReportKey } from '@matchflow/telemetry';
import type { Redis } from 'ioredis';
import { competitionFreshness } from '../alerts/problems.js';
import { fleetQueues } from '../fleet/fleet-queues.js';
import { defaultStageRegistry } from '../stages/default-registry.js';
import type { StageRegistry } from '../stages/registry.js';

/*
 * The `sample-ops` maintenance task: what the ops page's "Fleet resources and upstream" charts
 * plot, read from Redis and the ops zone and kept in `ops.samples`, one row per metric and
 * subject at the sample time. Metrics (docs/dashboard.md):
 *
 *   redis.used_memory       ''                     bytes (INFO memory)
 *   queue.waiting           <queue>                waiting + prioritized + waiting-children jobs
 *   queue.active|delayed|failed  <queue>           jobs in that state
 *   upstream.requests       <source>:<status>      answers by HTTP status (`error`: none), cumulative
 *   upstream.waits          <source>:<reason>      times a request was told to wait, cumulative
 *   upstream.wait_ms        <source>:<reason>      the waits asked for (ms), cumulative
 *   breaker.open            <source>               0 closed, 0.5 half-open, 1 open
 *   freshness.age_hours     <competition>          hours since its last successful fetching run
 *   process.rss_bytes       <role>@<host>:<pid>    resident set size of a live process
 *   process.cpu_percent     <role>@<host>:<pid>    CPU over its last report interval (% of a core)
 *
 * The cumulative counters are stored as they are (they only grow, until Redis loses them or
 * they expire): the page takes differences between samples and treats a decrease as a reset.
 */

/** Metric names in `ops.samples`. */
export const SAMPLE_METRICS = {
  redisMemory: 'redis.used_memory',
  queueWaiting: 'queue.waiting',
  queueActive: 'queue.active',
  queueDelayed: 'queue.delayed',
  queueFailed: 'queue.failed',
  upstreamRequests: 'upstream.requests',
  upstreamWaits: 'upstream.waits',
  upstreamWaitMs: 'upstream.wait_ms',
  breakerOpen: 'breaker.open',
  freshnessAgeHours: 'freshness.age_hours',
  processRss: 'process.rss_bytes',
  processCpu: 'process.cpu_percent',
} as const;

/** `breaker.open` per state: a line that is 0 while closed, 1 while open. */
export const BREAKER_SAMPLE_VALUE: Readonly<Record<BreakerStateName, number>> = {
  closed: 0,
  'half-open': 0.5,
  open: 1,
};

/** The interval the sample times fall on when sampling is `off` but a sample is taken anyway (by hand). */
export const DEFAULT_SAMPLE_INTERVAL_MS = 60_000;

/** One value of one metric and subject. */
export interface OpsSample {
  metric: string;
  subject: string;
  value: number;
}

export interface SampleOpsDeps {
  db: Db;
  /** The queues to count (every fleet queue, through `producer.queue(name)`) and its Redis connection. */
  producer: Producer;
  config: Pick<Config, 'redis' | 'sources' | 'competitions' | 'quality' | 'scheduler'>;
  logger: Logger;
  /** The stages whose queues are counted (default: `defaultStageRegistry()`). */
  registry?: StageRegistry;
  /** The clock (ms since the epoch); tests move it. */
  now?: () => number;
}

export interface SampleOpsResult {
  /** The sample time: now, truncated to the sampling interval. */
  sampledAt: Date;
  /** Samples taken. */
  samples: number;
  /** Rows written; fewer than `samples` when this interval was sampled already. */
  written: number;
  /** The groups that could not be read (logged; the others are written). */
  failed: string[];
}

/** The sample time of `nowMs`: truncated to the interval, so every sample of one interval shares it. */
export function sampleTime(nowMs: number, intervalMs: number): Date {
  return new Date(Math.floor(nowMs / intervalMs) * intervalMs);
}

/** The sampling interval (ms): `scheduler.opsSamples.every`, or a minute when that is `off`. */
export function sampleIntervalMs(config: Pick<Config, 'scheduler'>): number {
  const every = config.scheduler.opsSamples.every;
  return every === 'off' ? DEFAULT_SAMPLE_INTERVAL_MS : every;
}

/**
 * Take one sample of everything and write it to `ops.samples` at `sampleTime(now, interval)`.
 * Idempotent: a key (metric, subject, sample time) already written is left as it is, so a job
 * that runs twice in one interval (a retried tick, two catch-ups) writes the same rows. Each
 * group (Redis memory, queues, upstream counters, breakers, freshness, processes) is read on its
 * own: one that fails is logged and left out, the others are written.
 */
export async function sampleOps(deps: SampleOpsDeps): Promise<SampleOpsResult> {
  const nowMs = deps.now?.() ?? Date.now();
  const sampledAt = sampleTime(nowMs, sampleIntervalMs(deps.config));
  const { samples, failed } = await collectOpsSamples(deps, new Date(nowMs));
  const written = await writeOpsSamples(deps.db, sampledAt, samples);
  return { sampledAt, samples: samples.length, written, failed };
}

/** Read every sample group now; the groups that failed are named in `failed`. */
export async function collectOpsSamples(
  deps: SampleOpsDeps,
  now: Date,
): Promise<{ samples: OpsSample[]; failed: string[] }> {
  const redis = deps.producer.connection;
  const registry = deps.registry ?? defaultStageRegistry();
  const groups: Array<[string, () => Promise<OpsSample[]>]> = [
    ['redis', () => redisMemory(redis)],
    ['queues', () => queueSamples(deps.producer, fleetQueues(registry))],
    ['upstream', () => upstreamSamples(redis, deps.config)],
    ['breakers', () => breakerSamples(redis, deps.config)],
    ['freshness', () => freshnessSamples(deps.db, deps.config, now)],
    ['processes', () => processSamples(redis, deps.config.redis.prefix)],
  ];
  const samples: OpsSample[] = [];
  const failed: string[] = [];
  const read = await Promise.allSettled(groups.map(([, take]) => take()));
  read.forEach((outcome, index) => {
    const group = groups[index]?.[0] ?? '?';
    if (outcome.status === 'fulfilled') samples.push(...outcome.value);
    else {
      failed.push(group);
      deps.logger.warn({ err: outcome.reason, group }, 'ops samples: could not read a group');
    }
  });
  return { samples, failed };
}

/** Rows per INSERT: 4 parameters each, well under PostgreSQL's 65,535. */
const INSERT_BATCH = 1_000;

/** Insert samples at `sampledAt`, keeping rows already there; returns the rows written. */
export async function writeOpsSamples(db: Db, sampledAt: Date, samples: readonly OpsSample[]): Promise<number> {
  // One key once: a subject read twice (a status Redis spelt two ways) must not fail the insert.
  const unique = new Map(samples.map((sample) => [`${sample.metric}\u0000${sample.subject}`, sample]));
  const values = [...unique.values()]
    .filter((sample) => Number.isFinite(sample.value))
    .map((sample) => ({ sampledAt, metric: sample.metric, subject: sample.subject, value: sample.value }));
  let written = 0;
  for (let start = 0; start < values.length; start += INSERT_BATCH) {
    const inserted = await db
      .insert(ops.samples)
      .values(values.slice(start, start + INSERT_BATCH))
      .onConflictDoNothing({ target: [ops.samples.metric, ops.samples.subject, ops.samples.sampledAt] })
      .returning({ metric: ops.samples.metric });
    written += inserted.length;
  }
  return written;
}

async function redisMemory(redis: Redis): Promise<OpsSample[]> {
  const info = await redis.info('memory');
  const used = /^used_memory:(\d+)/m.exec(info)?.[1];
  if (used === undefined) throw new Error('Redis did not report used_memory in INFO memory');
  return [{ metric: SAMPLE_METRICS.redisMemory, subject: '', value: Number(used) }];
}

async function queueSamples(producer: Producer, names: readonly string[]): Promise<OpsSample[]> {
  const counted = await Promise.all(
    names.map(async (name) => {
      const counts = await producer
        .queue(name)
        .getJobCounts('waiting', 'prioritized', 'waiting-children', 'active', 'delayed', 'failed');
      const count = (state: string) => Number(counts[state] ?? 0);
      // Waiting as the ops page's Queues section counts it: every job not yet taken or delayed.
      return [
        {
          metric: SAMPLE_METRICS.queueWaiting,
          subject: name,
          value: count('waiting') + count('prioritized') + count('waiting-children'),
        },
        { metric: SAMPLE_METRICS.queueActive, subject: name, value: count('active') },
        { metric: SAMPLE_METRICS.queueDelayed, subject: name, value: count('delayed') },
        { metric: SAMPLE_METRICS.queueFailed, subject: name, value: count('failed') },
      ];
    }),
  );
  return counted.flat();
}

async function upstreamSamples(redis: Redis, config: Pick<Config, 'redis' | 'sources'>): Promise<OpsSample[]> {
  const perSource = await Promise.all(
    Object.keys(config.sources).map(async (source) => {
      const stats = await readSourceStats(redis, sourceStatsKeys(config.redis.prefix, source));
      return [
        ...Object.entries(stats.requests).map(([status, count]) => ({
          metric: SAMPLE_METRICS.upstreamRequests,
          subject: `${source}:${status}`,
          value: count,
        })),
        ...Object.entries(stats.waits).flatMap(([reason, wait]) => [
          { metric: SAMPLE_METRICS.upstreamWaits, subject: `${source}:${reason}`, value: wait.count },
          { metric: SAMPLE_METRICS.upstreamWaitMs, subject: `${source}:${reason}`, value: wait.waitMs },
        ]),
      ];
    }),
  );
  return perSource.flat();
}

async function breakerSamples(redis: Redis, config: Pick<Config, 'redis' | 'sources'>): Promise<OpsSample[]> {
  return Promise.all(
    Object.entries(config.sources).map(async ([source, settings]) => {
      const breaker = new FleetBreaker({ redis, prefix: config.redis.prefix, source, settings: settings.breaker });
      const { state } = await breaker.state();
      return { metric: SAMPLE_METRICS.breakerOpen, subject: source, value: BREAKER_SAMPLE_VALUE[state] ?? 1 };
    }),
  );
}

async function freshnessSamples(
  db: Db,
  config: Pick<Config, 'competitions' | 'quality'>,
  now: Date,
): Promise<OpsSample[]> {
  // The `stale` alert's rule: the line crosses the threshold when the alert opens.
  const entries = await competitionFreshness(db, config, now);
  return entries.map((entry) => ({
    metric: SAMPLE_METRICS.freshnessAgeHours,
    subject: entry.competitionId,
    value: Math.max(0, entry.ageMs) / 3_600_000,
  }));
}

/** Glob characters of SCAN's MATCH, escaped so a prefix matches itself only. */
function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, (character) => `\\${character}`);
}

/** Keys scanned per SCAN call. */
const SCAN_COUNT = 200;

async function processSamples(redis: Redis, prefix: string): Promise<OpsSample[]> {
  const head = processReportKey(prefix, '');
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${globLiteral(head)}*`, 'COUNT', SCAN_COUNT);
    for (const key of found) keys.add(key);
    cursor = next;
  } while (cursor !== '0');
  const list = [...keys].sort();
  if (list.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const key of list) pipeline.hgetall(key);
  const replies = (await pipeline.exec()) ?? [];
  return list.flatMap((key, index) => {
    const [error, fields] = replies[index] ?? [null, undefined];
    // A report that expired between SCAN and HGETALL reads as empty: the process is gone.
    const report = error ? undefined : parseProcessReport((fields ?? {}) as Record<string, string>);
    if (!report) return [];
    const subject = key.slice(head.length);
    return [
      { metric: SAMPLE_METRICS.processRss, subject, value: report.rssBytes },
      { metric: SAMPLE_METRICS.processCpu, subject, value: report.cpuPercent },
    ];
  });
}
