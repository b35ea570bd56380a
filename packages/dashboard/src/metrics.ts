import type { Logger } from '@matchflow/telemetry';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  type FinishedStage,
  freshness,
  latestSnapshot,
  queueDepths,
  runCounts,
  sourceStates,
  stagesFinishedSince,
} from './ops-data.js';
import { type DashboardConfig, type DashboardResources, withDeadline } from './resources.js';

/*
 * /metrics in Prometheus text (prom-client), computed at scrape time from shared state: the ops
 * zone and Redis. Workers are separate processes, so the dashboard counts nothing in memory
 * except the stage-duration histogram, which it feeds from `ops.stage_runs` rows as they finish
 * (see `observeFinishedStages`). docs/dashboard.md lists every series. One registry per server,
 * not prom-client's global one, so several servers (tests) can live in one process.
 */

/** Stage durations, seconds: from a cached ingest to a long build. */
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** How far back the first scrape reads finished stages. */
const HISTOGRAM_LOOKBACK_MS = 3_600_000;
/** Rows finishing within this long of the last one seen are read again (late commits), deduplicated. */
const HISTOGRAM_OVERLAP_MS = 60_000;
/** Most stage rows read per scrape; the rest come with the next one. */
const HISTOGRAM_BATCH = 10_000;

/** Stages recorded by another stage's job: publish runs inside the build job. */
const RUNS_IN: Readonly<Record<string, string>> = { publish: 'build' };

const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

export interface MetricsOptions {
  config: DashboardConfig;
  resources: DashboardResources;
  logger: Logger;
  now?: () => number;
}

export class DashboardMetrics {
  readonly registry = new Registry();
  private readonly config: DashboardConfig;
  private readonly resources: DashboardResources;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly gauges: ReturnType<typeof makeGauges>;
  private readonly counters: ReturnType<typeof makeCounters>;
  private readonly durations: Histogram<'queue' | 'stage'>;
  private stageWatermarkMs: number;
  private readonly seenStages = new Map<string, number>();
  /** Scrapes run one at a time: each resets and refills the same gauges. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(options: MetricsOptions) {
    this.config = options.config;
    this.resources = options.resources;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.stageWatermarkMs = this.now() - HISTOGRAM_LOOKBACK_MS;
    this.gauges = makeGauges(this.registry);
    this.counters = makeCounters(this.registry);
    this.durations = new Histogram({
      name: 'matchflow_job_duration_seconds',
      help: 'Duration of pipeline jobs by queue and stage, from ops.stage_runs rows as they finish (publish runs in the build job).',
      labelNames: ['queue', 'stage'],
      buckets: DURATION_BUCKETS,
      registers: [this.registry],
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Read everything and render the text exposition. */
  render(): Promise<string> {
    const next = this.chain.then(() => this.scrape());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async scrape(): Promise<string> {
    const [database, redis] = await Promise.all([
      this.part('database', () => this.readDatabase()),
      this.part('redis', () => this.readRedis()),
    ]);
    this.gauges.up.reset();
    this.gauges.up.set({ dependency: 'database' }, database ? 1 : 0);
    this.gauges.up.set({ dependency: 'redis' }, redis ? 1 : 0);
    return this.registry.metrics();
  }

  /** Run one part; a failure leaves its series empty (and says so in matchflow_dashboard_dependency_up). */
  private async part(name: string, read: () => Promise<void>): Promise<boolean> {
    try {
      await withDeadline(read(), `reading ${name}`);
      return true;
    } catch (error) {
      this.logger.warn({ err: error, part: name }, 'metrics: could not read');
      return false;
    }
  }

  private async readDatabase(): Promise<void> {
    const db = await this.resources.db();
    const now = this.now();
    const [runs, fresh, snapshot, finished] = await Promise.all([
      runCounts(db),
      freshness(db, this.config, now),
      latestSnapshot(db),
      stagesFinishedSince(db, this.stageWatermarkMs - HISTOGRAM_OVERLAP_MS, HISTOGRAM_BATCH),
    ]);
    const g = this.gauges;
    g.runs.reset();
    for (const [status, value] of Object.entries(runs)) g.runs.set({ status }, value);

    g.freshnessAge.reset();
    for (const entry of fresh) {
      g.freshnessAge.set({ competition: entry.competitionId }, entry.ageSeconds ?? Number.POSITIVE_INFINITY);
    }
    g.freshnessMax.set(this.config.quality.freshnessMaxAgeHours * 3_600);

    g.snapshotAge.reset();
    g.snapshotInfo.reset();
    g.snapshotScore.reset();
    g.snapshotRows.reset();
    if (snapshot) {
      g.snapshotAge.set(Math.max(0, (now - snapshot.createdMs) / 1000));
      g.snapshotInfo.set({ version: snapshot.version, content_hash: snapshot.contentHash }, 1);
      g.snapshotScore.set(snapshot.qualityScore);
      for (const [table, value] of Object.entries(snapshot.rowCounts)) g.snapshotRows.set({ table }, value);
    }
    this.observeFinishedStages(finished);
  }

  /**
   * Feed the histogram the stage rows finished since the last scrape. Rows are read again for a
   * minute after the newest one seen (a row can commit with an earlier finish time than one
   * already read), and a key per row attempt keeps each observed once. The histogram counts
   * from the dashboard's start (with an hour of history on the first scrape): a restart is a
   * counter reset, which Prometheus' rate() handles.
   */
  private observeFinishedStages(rows: readonly FinishedStage[]): void {
    for (const row of rows) {
      if (this.seenStages.has(row.key)) continue;
      this.seenStages.set(row.key, row.finishedMs);
      this.durations.observe({ queue: this.queueOf(row.stage), stage: row.stage }, row.durationMs / 1000);
      if (row.finishedMs > this.stageWatermarkMs) this.stageWatermarkMs = row.finishedMs;
    }
    const forgetBefore = this.stageWatermarkMs - HISTOGRAM_OVERLAP_MS;
    for (const [key, finishedMs] of this.seenStages) if (finishedMs < forgetBefore) this.seenStages.delete(key);
  }

  /** The queue whose job runs a stage (its registered queue); `none` for a stage of no queue (rebuild's). */
  private queueOf(stage: string): string {
    return this.resources.registry.get(RUNS_IN[stage] ?? stage)?.queue ?? 'none';
  }

  private async readRedis(): Promise<void> {
    const [depths, sources] = await Promise.all([
      queueDepths(this.resources),
      sourceStates(this.resources, this.config.redis.prefix),
    ]);
    const g = this.gauges;
    g.queueDepth.reset();
    g.queuePaused.reset();
    for (const depth of depths) {
      for (const [state, value] of Object.entries(depth.counts)) g.queueDepth.set({ queue: depth.queue, state }, value);
      g.queuePaused.set({ queue: depth.queue }, depth.paused ? 1 : 0);
    }

    for (const gauge of [
      g.breaker,
      g.breakerFailureRate,
      g.inWindow,
      g.budget,
      g.inFlight,
      g.maxConcurrent,
      g.paused,
    ]) {
      gauge.reset();
    }
    const c = this.counters;
    c.requests.reset();
    c.waits.reset();
    c.waitSeconds.reset();
    const failed: string[] = [];
    for (const source of sources) {
      const labels = { source: source.name };
      g.budget.set(labels, source.rateLimit.requestsPerInterval);
      g.maxConcurrent.set(labels, source.rateLimit.maxConcurrent);
      if (source.error !== undefined) failed.push(`${source.name}: ${source.error}`);
      if (source.breaker) {
        g.breaker.set(labels, BREAKER_VALUE[source.breaker.state]);
        g.breakerFailureRate.set(labels, source.breaker.failureRate);
      }
      if (source.limiter) {
        g.inWindow.set(labels, source.limiter.inWindow);
        g.inFlight.set(labels, source.limiter.inFlight);
        g.paused.set(labels, source.limiter.pausedForMs / 1000);
      }
      for (const [status, value] of Object.entries(source.stats?.requests ?? {})) {
        c.requests.inc({ source: source.name, status }, value);
      }
      for (const [reason, wait] of Object.entries(source.stats?.waits ?? {})) {
        c.waits.inc({ source: source.name, reason }, wait.count);
        c.waitSeconds.inc({ source: source.name, reason }, wait.waitMs / 1000);
      }
    }
    if (failed.length > 0) throw new Error(`source state unreadable: ${failed.join('; ')}`);
  }
}

function makeGauges(registry: Registry) {
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers: [registry] });
  return {
    up: gauge(
      'matchflow_dashboard_dependency_up',
      'Whether the last scrape could read the dependency (1) or not (0).',
      ['dependency'],
    ),
    queueDepth: gauge('matchflow_queue_depth', 'Jobs in each pipeline queue by state (BullMQ job counts).', [
      'queue',
      'state',
    ]),
    queuePaused: gauge('matchflow_queue_paused', 'Whether the queue is paused fleet-wide (1) or not (0).', ['queue']),
    breaker: gauge('matchflow_breaker_state', 'Fleet-wide circuit breaker per source: 0 closed, 1 half-open, 2 open.', [
      'source',
    ]),
    breakerFailureRate: gauge(
      'matchflow_breaker_failure_rate',
      'Failures / requests over the breaker window of recent requests, per source.',
      ['source'],
    ),
    inWindow: gauge(
      'matchflow_limiter_requests_in_window',
      'Requests counted in the fleet-wide limiter window now (in flight or within one interval of release).',
      ['source'],
    ),
    budget: gauge('matchflow_limiter_requests_per_interval', 'The configured limiter budget per interval.', ['source']),
    inFlight: gauge('matchflow_limiter_in_flight', 'Upstream requests in flight fleet-wide.', ['source']),
    maxConcurrent: gauge('matchflow_limiter_max_concurrent', 'The configured cap on requests in flight.', ['source']),
    paused: gauge(
      'matchflow_limiter_paused_seconds',
      'Seconds left of a fleet-wide pause (a 429 Retry-After); 0 when not paused.',
      ['source'],
    ),
    runs: gauge('matchflow_runs', 'Runs in ops.pipeline_runs by status (running, ok, partial, failed).', ['status']),
    freshnessAge: gauge(
      'matchflow_freshness_age_seconds',
      'Seconds since the competition was last refreshed successfully (a run that fetched, ended ok or partial); +Inf when never.',
      ['competition'],
    ),
    freshnessMax: gauge(
      'matchflow_freshness_max_age_seconds',
      'The freshness SLA: quality.freshnessMaxAgeHours in seconds.',
    ),
    snapshotAge: gauge('matchflow_snapshot_age_seconds', 'Seconds since the latest snapshot was created.'),
    snapshotInfo: gauge('matchflow_snapshot_latest_info', 'The latest snapshot (always 1).', [
      'version',
      'content_hash',
    ]),
    snapshotScore: gauge('matchflow_snapshot_quality_score', 'Quality score of the latest snapshot (0..1).'),
    snapshotRows: gauge('matchflow_snapshot_rows', 'Rows per table in the latest snapshot.', ['table']),
  };
}

function makeCounters(registry: Registry) {
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  return {
    requests: counter(
      'matchflow_upstream_requests_total',
      'Upstream requests that got an answer, by source and HTTP status ("error": no answer), counted fleet-wide in Redis.',
      ['source', 'status'],
    ),
    waits: counter(
      'matchflow_rate_limit_waits_total',
      'Times a request was told to wait, by source and reason (limiter: budget, concurrency, paused, upstream-budget, reserved; breaker-open).',
      ['source', 'reason'],
    ),
    waitSeconds: counter(
      'matchflow_rate_limit_wait_seconds_total',
      'Total wait the limiter or breaker asked for, by source and reason.',
      ['source', 'reason'],
    ),
  };
}
