import { barChart, CHART_STYLE, type ChartSeries, lineChart } from './charts.js';
import { html, SafeHtml } from './html.js';
import {
  counterDeltas,
  type Freshness,
  freshness,
  type LatestSnapshot,
  lastRunQuality,
  lastStageRuns,
  latestSnapshot,
  openPeriods,
  type QueueDepth,
  queueDepths,
  type ResourceSamples,
  type RunQuality,
  type RunSummary,
  type RunTrends,
  recentRuns,
  resourceSamples,
  runTrends,
  type SamplePoint,
  type SourceState,
  STATUS_CLASSES,
  type StageLastRun,
  type StageOverview,
  type StageSpan,
  sourceStates,
  stageOrder,
  stageOverview,
  statusClass,
  type TrendRun,
} from './ops-data.js';
import { BASE_STYLE } from './page-style.js';
import { type DashboardConfig, type DashboardResources, withDeadline } from './resources.js';

/*
 * The ops page at `/`: server-rendered HTML, no script, no build step. Recent runs with a stage
 * timeline, freshness per competition, breaker and limiter per source, the latest snapshot, the
 * last run's quality problems and the registered stages with their last runs. Each part is read
 * on its own: a database or Redis that is away shows in its section instead of failing the page.
 * Refreshes itself every 30 s.
 */

/** Runs listed. */
export const OPS_PAGE_RUNS = 20;
/** The Trends charts: runs per day over this many UTC days (today the last) ... */
export const TRENDS_DAYS = 14;
/** ... and per run, the newest this many competition runs in those days. */
export const TRENDS_RUNS = 50;
/** The "Fleet resources and upstream" charts: the ops samples of this long before now ... */
export const RESOURCES_WINDOW_MS = 24 * 3_600_000;
/** ... at most this many points per series (samples are bucketed in whole minutes). */
export const RESOURCES_MAX_POINTS = 300;

type Part<T> = { ok: true; value: T } | { ok: false; error: string };

export interface OpsPageData {
  env: string;
  nowMs: number;
  runs: Part<RunSummary[]>;
  /** What the Trends charts plot. */
  trends: Part<RunTrends>;
  /** What the "Fleet resources and upstream" charts plot (`ops.samples`). */
  samples: Part<ResourceSamples>;
  /** `quality.freshnessMaxAgeHours`: the freshness chart's threshold. */
  freshnessMaxAgeHours: number;
  freshness: Part<Freshness[]>;
  snapshot: Part<LatestSnapshot | undefined>;
  quality: Part<RunQuality | undefined>;
  sources: Part<SourceState[]>;
  queues: Part<QueueDepth[]>;
  /** Every registered stage, in registration order (from the registry and config: always there). */
  stages: StageOverview[];
  /** The last run of each standalone stage, by name. */
  stageRuns: Part<Map<string, StageLastRun>>;
}

async function part<T>(what: string, read: () => Promise<T>): Promise<Part<T>> {
  try {
    return { ok: true, value: await withDeadline(read(), what) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Read everything the page shows. */
export async function loadOpsData(options: {
  config: DashboardConfig;
  resources: DashboardResources;
  now: () => number;
}): Promise<OpsPageData> {
  const { config, resources } = options;
  const { registry } = resources;
  const nowMs = options.now();
  const db = () => resources.db();
  const stages = stageOverview(registry, config);
  const standalone = stages.filter((stage) => stage.kind === 'standalone').map((stage) => stage.name);
  const [runs, trends, samples, fresh, snapshot, quality, sources, queues, stageRuns] = await Promise.all([
    part('the database', async () => recentRuns(await db(), OPS_PAGE_RUNS, stageOrder(registry))),
    part('the database', async () =>
      runTrends(await db(), { nowMs, days: TRENDS_DAYS, limit: TRENDS_RUNS, order: stageOrder(registry) }),
    ),
    part('the database', async () =>
      resourceSamples(await db(), { nowMs, windowMs: RESOURCES_WINDOW_MS, maxPoints: RESOURCES_MAX_POINTS }),
    ),
    part('the database', async () => freshness(await db(), config, nowMs)),
    part('the database', async () => latestSnapshot(await db())),
    part('the database', async () => lastRunQuality(await db())),
    part('redis', () => sourceStates(resources, config.redis.prefix)),
    part('redis', () => queueDepths(resources)),
    part('the database', async () => lastStageRuns(await db(), standalone)),
  ]);
  return {
    env: config.env,
    nowMs,
    runs,
    trends,
    samples,
    freshnessMaxAgeHours: config.quality.freshnessMaxAgeHours,
    freshness: fresh,
    snapshot,
    quality,
    sources,
    queues,
    stages,
    stageRuns,
  };
}

export async function loadOpsPage(options: {
  config: DashboardConfig;
  resources: DashboardResources;
  now: () => number;
}): Promise<string> {
  return renderOpsPage(await loadOpsData(options)).value;
}

// ---- formatting ---------------------------------------------------------------------------

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  if (ms < 172_800_000) return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

function ago(nowMs: number, thenMs: number): string {
  return `${formatDuration(Math.max(0, nowMs - thenMs))} ago`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A time shown as "3 min ago", with the exact UTC time on hover. */
function when(nowMs: number, ms: number | null): SafeHtml {
  if (ms === null) return html`<span class="muted">never</span>`;
  return html`<time datetime="${iso(ms)}" title="${iso(ms)}">${ago(nowMs, ms)}</time>`;
}

const STATUS_CLASS: Readonly<Record<string, string>> = {
  ok: 'good',
  pass: 'good',
  closed: 'good',
  fresh: 'good',
  partial: 'warn',
  warn: 'warn',
  'half-open': 'warn',
  running: 'info',
  failed: 'bad',
  fail: 'bad',
  open: 'bad',
  stale: 'bad',
  disabled: 'warn',
};

function badge(status: string): SafeHtml {
  return html`<span class="badge ${STATUS_CLASS[status] ?? 'info'}">${status}</span>`;
}

function unavailable(error: string): SafeHtml {
  return html`<p class="error">unavailable: ${error}</p>`;
}

// ---- sections -----------------------------------------------------------------------------

function stageLabel(stage: StageSpan): string {
  if (stage.jobs <= 1) return stage.stage;
  return `${stage.stage} ×${stage.jobs}`;
}

function stageStatus(stage: StageSpan): string {
  if (stage.running > 0) return 'running';
  if (stage.failed > 0) return stage.ok > 0 ? 'partial' : 'failed';
  return 'ok';
}

function timeline(run: RunSummary, nowMs: number): SafeHtml {
  if (run.stages.length === 0) return html`<p class="muted small">no stages recorded</p>`;
  const end = Math.max(run.finishedMs ?? nowMs, ...run.stages.map((stage) => stage.finishedMs ?? nowMs));
  const span = Math.max(1, end - run.startedMs);
  const rows = run.stages.map((stage) => {
    const left = Math.min(100, Math.max(0, ((stage.startedMs - run.startedMs) / span) * 100));
    const wall = (stage.finishedMs ?? nowMs) - stage.startedMs;
    const width = Math.max(0.8, Math.min(100 - left, (wall / span) * 100));
    const status = stageStatus(stage);
    const detail =
      stage.jobs > 1
        ? `${formatDuration(wall)} wall, ${stage.jobs} jobs, ${stage.failed} failed, max ${formatDuration(stage.maxMs)}`
        : formatDuration(stage.totalMs || wall);
    return html`<div class="stage">
      <span class="stage-name">${stageLabel(stage)}</span>
      <span class="track"><span class="bar ${STATUS_CLASS[status] ?? 'info'}" style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%"></span></span>
      <span class="stage-time" title="${detail}">${stage.jobs > 1 ? formatDuration(wall) : formatDuration(stage.totalMs || wall)}${stage.failed > 0 ? html` <em class="bad-text">${stage.failed} failed</em>` : ''}</span>
    </div>`;
  });
  return html`<div class="timeline">${rows}</div>`;
}

/** What a run covers: `demo-league · 50001`, or `stage players (all)` for a run of a standalone stage. */
function runScope(run: RunSummary): SafeHtml {
  if (run.stage) return html`stage <strong>${run.stage.name}</strong> (${run.stage.scope})`;
  return html`${run.competitionId ?? '—'}${run.season !== undefined ? html` · ${run.season}` : ''}`;
}

function runsSection(data: OpsPageData): SafeHtml {
  const body = !data.runs.ok
    ? unavailable(data.runs.error)
    : data.runs.value.length === 0
      ? html`<p class="muted">No runs yet.</p>`
      : html`<ol class="runs">${data.runs.value.map((run) => {
          const duration = (run.finishedMs ?? data.nowMs) - run.startedMs;
          const matches = run.counters.matches;
          const processed = run.counters.processed;
          const requests = run.stages.reduce((sum, stage) => sum + stage.requests, 0);
          return html`<li class="run" id="${run.runId}" data-status="${run.status}">
            <div class="run-head">
              ${badge(run.status)}
              <code class="run-id">${run.runId}</code>
              <span class="scope">${runScope(run)}</span>
            </div>
            <div class="run-meta small muted">
              ${run.trigger} · started ${when(data.nowMs, run.startedMs)} · ${run.finishedMs === null ? 'running for ' : ''}${formatDuration(duration)}${typeof matches === 'number' ? ` · ${matches} matches` : ''}${typeof processed === 'number' ? ` · ${processed} processed` : ''}${requests > 0 ? ` · ${requests} requests` : ''}${run.failedStage ? html` · failed at <strong>${run.failedStage}</strong>` : ''}
            </div>
            ${run.error ? html`<p class="error small">${run.error}</p>` : ''}
            ${timeline(run, data.nowMs)}
          </li>`;
        })}</ol>`;
  return html`<section id="runs"><h2>Recent runs</h2>${body}</section>`;
}

const RUN_TONE: Readonly<Record<string, string>> = { failed: 'bad', partial: 'warn', running: 'info' };

/** One point per run: at its start, its id and status as `data-run` / `data-status`. */
function perRun(runs: readonly TrendRun[], value: (run: TrendRun) => number | null | undefined) {
  return runs.map((run) => ({
    x: run.startedMs,
    y: value(run) ?? null,
    label: `${iso(run.startedMs).slice(0, 16).replace('T', ' ')} ${run.runId}`,
    data: { run: run.runId, status: run.status },
    tone: RUN_TONE[run.status],
  }));
}

function trendsSection(data: OpsPageData): SafeHtml {
  const title = html`<h2>Trends</h2>`;
  if (!data.trends.ok) return html`<section id="trends">${title}${unavailable(data.trends.error)}</section>`;
  const { days, runs, stages } = data.trends.value;
  const inWindow = `competition runs started in the last ${TRENDS_DAYS} days (UTC), the newest ${TRENDS_RUNS} at most`;
  const noRuns = `No competition runs in the last ${TRENDS_DAYS} days.`;
  const count = (value: number) => String(Math.round(value * 100) / 100);
  const outcomes = barChart({
    id: 'trend-outcomes',
    title: 'Run outcomes per day',
    description: `Competition runs started per UTC day over the last ${TRENDS_DAYS} days, stacked by status: ok, partial, failed, still running. From ops.pipeline_runs.`,
    categories: days.map((day) => ({
      key: iso(day.dayMs).slice(0, 10),
      label: iso(day.dayMs).slice(5, 10),
      values: { ok: day.ok, partial: day.partial, failed: day.failed, running: day.running },
    })),
    stacks: [
      { key: 'ok', name: 'ok', className: 'good' },
      { key: 'partial', name: 'partial', className: 'warn' },
      { key: 'failed', name: 'failed', className: 'bad' },
      { key: 'running', name: 'running', className: 'info' },
    ],
    xHeading: 'day (UTC)',
    emptyMessage: noRuns,
  });
  const duration = lineChart({
    id: 'trend-duration',
    title: 'Run duration',
    description: `How long each run took, start to finish, at its start; failed runs marked red, partial ones amber. ${inWindow}. From ops.pipeline_runs.`,
    series: [
      {
        key: 'run',
        name: 'run',
        points: perRun(runs, (run) => (run.finishedMs === null ? null : run.finishedMs - run.startedMs)),
      },
    ],
    formatY: formatDuration,
    emptyMessage: noRuns,
  });
  const stageSeries: ChartSeries[] = stages.map((stage) => ({
    key: stage,
    name: stage,
    points: perRun(runs, (run) => (stage in run.stageWallMs ? run.stageWallMs[stage] : null)),
  }));
  const stageDurations = lineChart({
    id: 'trend-stages',
    title: 'Stage durations',
    description: `Wall time of each stage per run: first start to last finish of the stage's rows, so ingest is the time the run spent ingesting, not the sum of its parallel jobs. ${inWindow}. From ops.stage_runs.`,
    series: stageSeries,
    formatY: formatDuration,
    emptyMessage: noRuns,
  });
  const matches = lineChart({
    id: 'trend-matches',
    title: 'Matches ingested per run',
    description: `The matches each run ingested (its matches counter). ${inWindow}. From ops.pipeline_runs.`,
    series: [{ key: 'matches', name: 'matches', points: perRun(runs, (run) => run.matches) }],
    formatY: count,
    emptyMessage: runs.length === 0 ? noRuns : 'No run recorded matches.',
  });
  const quality = lineChart({
    id: 'trend-quality',
    title: 'Quality score per run',
    description: `The quality score of each run that ran the checks, 0 to 1 (its qualityScore counter). ${inWindow}. From ops.pipeline_runs.`,
    series: [{ key: 'quality', name: 'quality score', points: perRun(runs, (run) => run.qualityScore) }],
    formatY: (value) => value.toFixed(2),
    yDomain: [0, 1],
    emptyMessage: runs.length === 0 ? noRuns : 'No run recorded a quality score.',
  });
  const requests = lineChart({
    id: 'trend-requests',
    title: 'Upstream requests per run',
    description: `Upstream requests each run made, summed over its stage rows (their requests counter); a rebuild makes none. ${inWindow}. From ops.stage_runs.`,
    series: [{ key: 'requests', name: 'requests', points: perRun(runs, (run) => run.requests) }],
    formatY: count,
    emptyMessage: noRuns,
  });
  return html`<section id="trends">${title}
    <p class="small muted">${inWindow}; runs of a standalone stage are not counted. Each chart's data is in the table under it.</p>
    <div class="charts">${outcomes}${duration}${stageDurations}${matches}${quality}${requests}</div>
  </section>`;
}

// ---- fleet resources and upstream (ops.samples) ------------------------------------------

const NO_SAMPLES = "No samples yet: the scheduler's sample-ops task writes them every minute (scheduler.opsSamples).";
const MIB = 1_048_576;

/** `2026-03-10 11:55` (UTC): a sample bucket's row in the tables, and its `data-at`. */
function minute(ms: number): string {
  return iso(ms).slice(0, 16).replace('T', ' ');
}

/** Line chart points of a sampled series, `value` mapped by `scale`. */
function samplePoints(points: readonly SamplePoint[], scale: (value: number) => number = (value) => value) {
  return points.map((point) => ({
    x: point.ms,
    y: scale(point.value),
    label: minute(point.ms),
    data: { at: iso(point.ms).slice(0, 16) },
  }));
}

/** One series per subject of `metric`, sorted by subject. */
function subjectSeries(samples: ResourceSamples, metric: string, scale?: (value: number) => number): ChartSeries[] {
  return [...(samples.series.get(metric) ?? new Map<string, SamplePoint[]>())]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([subject, points]) => ({ key: subject, name: subject, points: samplePoints(points, scale) }));
}

/**
 * Per-bucket increases of the cumulative counters of `metric` (subjects `<source>:<key>`),
 * summed over sources per `group(key)`: one bar per bucket from the first increase to the last.
 */
function counterBars(
  samples: ResourceSamples,
  metric: string,
  group: (key: string) => string,
  scale: (value: number) => number = (value) => value,
) {
  const byBucket = new Map<number, Record<string, number>>();
  // The sampler writes every group each time: a counter missing from an earlier sample than its
  // first was not there yet, and its first value is all new.
  let sampledSinceMs = Number.POSITIVE_INFINITY;
  for (const subjects of samples.series.values())
    for (const points of subjects.values()) sampledSinceMs = Math.min(sampledSinceMs, points[0]?.ms ?? sampledSinceMs);
  for (const [subject, points] of samples.series.get(metric) ?? []) {
    const key = group(subject.slice(subject.indexOf(':') + 1));
    for (const delta of counterDeltas(points, sampledSinceMs)) {
      const values = byBucket.get(delta.ms) ?? {};
      values[key] = (values[key] ?? 0) + scale(delta.value);
      byBucket.set(delta.ms, values);
    }
  }
  if (byBucket.size === 0) return [];
  const times = [...byBucket.keys()];
  const first = Math.min(...times);
  const last = Math.max(...times);
  const categories = [];
  for (let ms = first; ms <= last; ms += samples.bucketMs) {
    categories.push({ key: iso(ms).slice(0, 16), label: iso(ms).slice(11, 16), values: byBucket.get(ms) ?? {} });
  }
  return categories;
}

const STATUS_STACKS: ReadonlyArray<{ key: string; name: string; className: string }> = STATUS_CLASSES.map((key) => ({
  key,
  name: key === '4xx' ? 'other 4xx' : key,
  className: { '2xx': 'good', '429': 'warn', '4xx': 's2', '5xx': 'bad', error: 's5' }[key],
}));

/** Wait reasons in the order the waits charts stack them; others after, in grey. */
const WAIT_REASONS: ReadonlyArray<{ key: string; className: string }> = [
  { key: 'budget', className: 's0' },
  { key: 'concurrency', className: 's1' },
  { key: 'upstream-budget', className: 's2' },
  { key: 'reserved', className: 's3' },
  { key: 'paused', className: 'warn' },
  { key: 'breaker-open', className: 'bad' },
];

function waitStacks(categories: ReadonlyArray<{ values: Readonly<Record<string, number>> }>) {
  const seen = new Set(categories.flatMap((category) => Object.keys(category.values)));
  const known = WAIT_REASONS.filter((reason) => seen.has(reason.key));
  const others = [...seen]
    .filter((reason) => !WAIT_REASONS.some((known) => known.key === reason))
    .sort()
    .map((key) => ({ key, className: 's5' }));
  return [...known, ...others].map((reason) => ({ ...reason, name: reason.key }));
}

const BREAKER_STATE_NAMES: Readonly<Record<string, string>> = { '0': 'closed', '0.5': 'half-open', '1': 'open' };

function resourcesSection(data: OpsPageData): SafeHtml {
  const title = html`<h2>Fleet resources and upstream</h2>`;
  if (!data.samples.ok) return html`<section id="resources">${title}${unavailable(data.samples.error)}</section>`;
  const samples = data.samples.value;
  const any = samples.series.size > 0;
  const none = (message: string) => (any ? message : NO_SAMPLES);
  // Buckets are whole minutes: `5 min`, not formatDuration's `5 min 0 s`.
  const bucket = `${Math.round(samples.bucketMs / 60_000)} min`;
  const source = `From ops.samples (the sample-ops task), the last 24 h in ${bucket} buckets.`;
  const mib = (value: number) => value / MIB;
  const formatMib = (value: number) => `${value.toFixed(1)} MiB`;
  const count = (value: number) => String(Math.round(value * 100) / 100);

  const memory = lineChart({
    id: 'res-redis-memory',
    title: 'Redis memory',
    description: `Memory Redis uses (INFO used_memory), in MiB, the largest sample of each bucket. ${source}`,
    series: [
      {
        key: 'used_memory',
        name: 'used memory',
        points: samplePoints(samples.series.get('redis.used_memory')?.get('') ?? [], mib),
      },
    ],
    formatY: formatMib,
    emptyMessage: none('No Redis memory sampled in the last 24 h.'),
  });

  // Waiting + delayed per queue: the work not started yet. Queues empty throughout are left out.
  const depthByQueue = new Map<string, Map<number, number>>();
  for (const metric of ['queue.waiting', 'queue.delayed'])
    for (const [queue, points] of samples.series.get(metric) ?? []) {
      const depths = depthByQueue.get(queue) ?? new Map<number, number>();
      depthByQueue.set(queue, depths);
      for (const point of points) depths.set(point.ms, (depths.get(point.ms) ?? 0) + point.value);
    }
  const queueSeries: ChartSeries[] = [...depthByQueue]
    .filter(([, depths]) => [...depths.values()].some((value) => value > 0))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([queue, depths]) => ({
      key: queue,
      name: queue,
      points: samplePoints([...depths].sort(([a], [b]) => a - b).map(([ms, value]) => ({ ms, value }))),
    }));
  const queues = lineChart({
    id: 'res-queues',
    title: 'Queue depths (waiting + delayed)',
    description: `Jobs waiting (prioritized and waiting for children included) plus delayed, per queue, the largest of each bucket; queues empty throughout are left out. ${source}`,
    series: queueSeries,
    formatY: count,
    emptyMessage: none('No jobs waited in any queue in the last 24 h.'),
  });

  const requests = barChart({
    id: 'res-upstream',
    title: `Upstream requests per ${bucket}, by status`,
    description: `Upstream answers per bucket, all sources together, by HTTP status class: 2xx, 429 (rate limited), other 4xx, 5xx and error (no answer). The difference between consecutive samples of the fleet's cumulative counters; a counter that went down was reset and counts from 0. ${source}`,
    categories: counterBars(samples, 'upstream.requests', statusClass),
    stacks: STATUS_STACKS,
    formatY: count,
    xHeading: `${bucket} from (UTC)`,
    emptyMessage: none('No upstream requests in the last 24 h.'),
  });

  const waitCategories = counterBars(samples, 'upstream.waits', (reason) => reason);
  const waits = barChart({
    id: 'res-waits',
    title: `Limiter waits per ${bucket}`,
    description: `Times a request was told to wait, all sources together, by reason: the limiter's budget, concurrency, the upstream's budget, reserved for scheduled work, a 429 pause, or an open breaker. Differences of cumulative counters, as the requests chart. ${source}`,
    categories: waitCategories,
    stacks: waitStacks(waitCategories),
    formatY: count,
    xHeading: `${bucket} from (UTC)`,
    emptyMessage: none('No request waited in the last 24 h.'),
  });
  const waitSecondCategories = counterBars(
    samples,
    'upstream.wait_ms',
    (reason) => reason,
    (ms) => ms / 1000,
  );
  const waitSeconds = barChart({
    id: 'res-wait-seconds',
    title: `Limiter wait time per ${bucket}`,
    description: `The waits asked for, in seconds, all sources together, by reason. Differences of cumulative counters, as the requests chart. ${source}`,
    categories: waitSecondCategories,
    stacks: waitStacks(waitSecondCategories),
    formatY: (value) => `${count(value)} s`,
    xHeading: `${bucket} from (UTC)`,
    emptyMessage: none('No request waited in the last 24 h.'),
  });

  const breakers = lineChart({
    id: 'res-breakers',
    title: 'Circuit breakers',
    description: `Each source's fleet-wide breaker: 0 closed, 0.5 half-open, 1 open (the worst sample of each bucket). The periods it was not closed are listed under the chart, to the sample. ${source}`,
    series: subjectSeries(samples, 'breaker.open'),
    formatY: (value) => BREAKER_STATE_NAMES[String(value)] ?? value.toFixed(2),
    yDomain: [0, 1],
    emptyMessage: none('No breaker state sampled in the last 24 h (no sources configured?).'),
  });
  const periods = openPeriods(samples.breaker);
  const periodsTable =
    samples.breaker.size === 0
      ? html``
      : periods.length === 0
        ? html`<p class="small muted" id="res-breaker-periods">No breaker was open or half-open in the last 24 h.</p>`
        : html`<div class="scroll"><table id="res-breaker-periods" class="small">
      <caption class="small muted">Open periods (UTC)</caption>
      <thead><tr><th>source</th><th>from</th><th>to</th><th>duration</th><th>worst</th></tr></thead>
      <tbody>${periods.map(
        (
          period,
        ) => html`<tr data-source="${period.source}" data-from="${iso(period.fromMs)}" data-to="${period.toMs === null ? '' : iso(period.toMs)}">
          <td>${period.source}</td><td>${minute(period.fromMs)}</td>
          <td>${period.toMs === null ? html`<span class="badge bad">still open</span>` : minute(period.toMs)}</td>
          <td class="num">${formatDuration((period.toMs ?? samples.nowMs) - period.fromMs)}</td>
          <td>${badge(period.worst)}</td>
        </tr>`,
      )}</tbody></table></div>`;

  const freshnessSeries = subjectSeries(samples, 'freshness.age_hours');
  const freshTimes = freshnessSeries.flatMap((series) => series.points.map((point) => point.x));
  const threshold = data.freshnessMaxAgeHours;
  const freshnessChart = lineChart({
    id: 'res-freshness',
    title: 'Freshness age per competition',
    description: `Hours since each tracked competition's last successful run that fetched (or, never refreshed, since its first run started): the stale alert's rule, which opens above the threshold of ${threshold} h (quality.freshnessMaxAgeHours). ${source}`,
    series:
      freshTimes.length === 0
        ? []
        : [
            ...freshnessSeries,
            {
              key: 'threshold',
              name: `threshold (${threshold} h)`,
              points: [Math.min(...freshTimes), Math.max(...freshTimes)].map((ms) => ({
                x: ms,
                y: threshold,
                label: minute(ms),
                data: { at: iso(ms).slice(0, 16) },
              })),
            },
          ],
    formatY: (value) => `${value.toFixed(1)} h`,
    emptyMessage: none('No competition has run yet: no freshness to sample.'),
  });

  const rss = lineChart({
    id: 'res-rss',
    title: 'Process memory (RSS)',
    description: `Resident memory of each live worker, scheduler, dashboard and npm start process (role@host:pid), in MiB, as each reports it every 15 s. ${source}`,
    series: subjectSeries(samples, 'process.rss_bytes', mib),
    formatY: formatMib,
    emptyMessage: none('No process reported in the last 24 h.'),
  });
  const cpu = lineChart({
    id: 'res-cpu',
    title: 'Process CPU',
    description: `CPU time of each live process over its last 15 s, in percent of one core (two busy cores: 200 %), the largest of each bucket. ${source}`,
    series: subjectSeries(samples, 'process.cpu_percent'),
    formatY: (value) => `${count(value)} %`,
    emptyMessage: none('No process reported in the last 24 h.'),
  });

  return html`<section id="resources">${title}
    <p class="small muted">Sampled about every minute by the scheduler's sample-ops task into ops.samples (kept retention.samplesDays days); the last 24 h, one point per ${bucket}. Each chart's data is in the table under it.</p>
    <div class="charts">${memory}${queues}${requests}${waits}${waitSeconds}<div class="chart-cell">${breakers}${periodsTable}</div>${freshnessChart}${rss}${cpu}</div>
  </section>`;
}

function freshnessSection(data: OpsPageData): SafeHtml {
  let body: SafeHtml;
  if (!data.freshness.ok) body = unavailable(data.freshness.error);
  else if (data.freshness.value.length === 0) body = html`<p class="muted">No competitions tracked.</p>`;
  else
    body = html`<div class="scroll"><table>
      <thead><tr><th>competition</th><th>last success</th><th>SLA</th><th></th></tr></thead>
      <tbody>${data.freshness.value.map(
        (entry) => html`<tr>
          <td>${entry.competitionId}</td>
          <td>${when(data.nowMs, entry.lastSuccessMs)}</td>
          <td class="num">${formatDuration(entry.maxAgeSeconds * 1000)}</td>
          <td>${badge(entry.fresh ? 'fresh' : 'stale')}</td>
        </tr>`,
      )}</tbody></table></div>`;
  return html`<section id="freshness"><h2>Freshness</h2>${body}</section>`;
}

function sourcesSection(data: OpsPageData): SafeHtml {
  let body: SafeHtml;
  if (!data.sources.ok) body = unavailable(data.sources.error);
  else if (data.sources.value.length === 0) body = html`<p class="muted">No sources configured.</p>`;
  else
    body = html`<div class="scroll"><table>
      <thead><tr><th>source</th><th>breaker</th><th>limiter window</th><th>in flight</th><th>paused</th><th>requests</th></tr></thead>
      <tbody>${data.sources.value.map((source) => {
        if (source.error !== undefined) {
          return html`<tr><td>${source.name}</td><td colspan="5" class="error">unavailable: ${source.error}</td></tr>`;
        }
        const breaker = source.breaker;
        const limiter = source.limiter;
        const requests = Object.entries(source.stats?.requests ?? {})
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([status, count]) => `${status}: ${count}`)
          .join(', ');
        return html`<tr>
          <td>${source.name} <span class="muted small">${source.kind}</span></td>
          <td>${breaker ? badge(breaker.state) : '—'}${breaker?.reason ? html` <span class="small muted">${breaker.reason}</span>` : ''}${breaker?.openUntil ? html` <span class="small">until ${when(data.nowMs, breaker.openUntil)}</span>` : ''}</td>
          <td class="num">${limiter ? `${limiter.inWindow} / ${source.rateLimit.requestsPerInterval} per ${formatDuration(source.rateLimit.intervalMs)}` : '—'}</td>
          <td class="num">${limiter ? `${limiter.inFlight} / ${source.rateLimit.maxConcurrent}` : '—'}</td>
          <td>${limiter && limiter.pausedForMs > 0 ? html`<span class="badge warn">${formatDuration(limiter.pausedForMs)}</span>` : 'no'}</td>
          <td class="small">${requests || '—'}</td>
        </tr>`;
      })}</tbody></table></div>`;
  return html`<section id="sources"><h2>Sources</h2>${body}</section>`;
}

function snapshotSection(data: OpsPageData): SafeHtml {
  let body: SafeHtml;
  if (!data.snapshot.ok) body = unavailable(data.snapshot.error);
  else if (!data.snapshot.value) body = html`<p class="muted">Nothing published yet.</p>`;
  else {
    const snapshot = data.snapshot.value;
    const rows = Object.entries(snapshot.rowCounts)
      .map(([table, count]) => `${table} ${count}`)
      .join(' · ');
    const quality = snapshot.quality;
    body = html`<dl class="facts">
      <dt>version</dt><dd><code>${snapshot.version}</code></dd>
      <dt>created</dt><dd>${when(data.nowMs, snapshot.createdMs)}</dd>
      <dt>content hash</dt><dd><code class="hash" title="${snapshot.contentHash}">${snapshot.contentHash.slice(0, 16)}…</code></dd>
      <dt>run</dt><dd><code>${snapshot.runId}</code></dd>
      <dt>quality</dt><dd>${snapshot.qualityScore.toFixed(3)}${quality ? ` (${quality.passed ?? 0} passed, ${quality.warned ?? 0} warned, ${quality.failed ?? 0} failed of ${quality.checks ?? 0})` : ''}</dd>
      <dt>rows</dt><dd class="small">${rows || '—'}</dd>
    </dl>`;
  }
  return html`<section id="snapshot"><h2>Latest snapshot</h2>${body}</section>`;
}

function qualitySection(data: OpsPageData): SafeHtml {
  let body: SafeHtml;
  if (!data.quality.ok) body = unavailable(data.quality.error);
  else if (!data.quality.value) body = html`<p class="muted">No quality checks recorded yet.</p>`;
  else {
    const quality = data.quality.value;
    body = html`<p class="small">Run <code>${quality.runId}</code>, ${when(data.nowMs, quality.checkedMs)}:
      ${badge('pass')} ${quality.pass} ${badge('warn')} ${quality.warn} ${badge('fail')} ${quality.fail}</p>
      ${
        quality.issues.length === 0
          ? html`<p class="muted">Every check passed.</p>`
          : html`<div class="scroll"><table>
          <thead><tr><th>check</th><th>scope</th><th></th><th>observed</th><th>threshold</th></tr></thead>
          <tbody>${quality.issues.map(
            (issue) => html`<tr>
              <td>${issue.check}</td><td>${issue.scope}</td><td>${badge(issue.status)}</td>
              <td class="num">${round(issue.observed)}</td><td class="num">${round(issue.threshold)}</td>
            </tr>`,
          )}</tbody></table></div>`
      }`;
  }
  return html`<section id="quality"><h2>Quality of the last run</h2>${body}</section>`;
}

function queuesSection(data: OpsPageData): SafeHtml {
  let body: SafeHtml;
  if (!data.queues.ok) body = unavailable(data.queues.error);
  else
    body = html`<div class="scroll"><table>
      <thead><tr><th>queue</th><th>waiting</th><th>active</th><th>delayed</th><th>failed</th><th>completed</th></tr></thead>
      <tbody>${data.queues.value.map(
        (queue) => html`<tr>
          <td><a href="/queues/queue/${encodeURIComponent(queue.queue)}">${queue.queue}</a>${queue.paused ? html` ${badge('paused')}` : ''}</td>
          <td class="num">${queue.counts.waiting + queue.counts.prioritized + queue.counts['waiting-children']}</td>
          <td class="num">${queue.counts.active}</td>
          <td class="num">${queue.counts.delayed}</td>
          <td class="num">${queue.counts.failed}</td>
          <td class="num">${queue.counts.completed}</td>
        </tr>`,
      )}</tbody></table></div>`;
  return html`<section id="queues"><h2>Queues</h2>${body}</section>`;
}

function stageLastRun(data: OpsPageData, stage: StageOverview): SafeHtml {
  if (!data.stageRuns.ok) return html`<span class="muted">—</span>`;
  const run = data.stageRuns.value.get(stage.name);
  if (!run) return html`<span class="muted">never</span>`;
  const duration = run.durationMs ?? (run.finishedMs ?? data.nowMs) - run.startedMs;
  const counts = [
    run.processed !== undefined ? `${run.processed} processed` : '',
    run.failed !== undefined ? `${run.failed} failed` : '',
  ].filter(Boolean);
  const where = run.inRun
    ? html`in the run of ${run.inRun.competitionId ?? '—'}${run.inRun.season !== undefined ? html` · ${run.inRun.season}` : ''}`
    : 'on its own';
  return html`${badge(run.status)} ${run.finishedMs === null ? html`started ${when(data.nowMs, run.startedMs)}` : html`finished ${when(data.nowMs, run.finishedMs)}`} · ${formatDuration(duration)}${counts.length > 0 ? ` · ${counts.join(', ')}` : ''}
    <div class="small muted"><code>${run.runId}</code> ${where}</div>
    ${run.error ? html`<div class="error small">${run.error}</div>` : ''}`;
}

function stagesSection(data: OpsPageData): SafeHtml {
  let body: SafeHtml;
  if (data.stages.length === 0) body = html`<p class="muted">No stages registered.</p>`;
  else
    body = html`${data.stageRuns.ok ? '' : unavailable(data.stageRuns.error)}<div class="scroll"><table>
      <thead><tr><th>stage</th><th>kind</th><th>queue</th><th>after</th><th>schedule</th><th>in every run</th><th>budget</th><th>last run</th></tr></thead>
      <tbody>${data.stages.map((stage) => {
        const head = html`<td><strong>${stage.name}</strong><div class="small muted">${stage.summary}</div></td>
          <td>${stage.kind}</td>
          <td><a href="/queues/queue/${encodeURIComponent(stage.queue)}">${stage.queue}</a></td>
          <td>${stage.dependsOn.length > 0 ? stage.dependsOn.join(', ') : '—'}</td>`;
        const settings = stage.standalone;
        if (!settings)
          return html`<tr id="stage-${stage.name}" data-kind="${stage.kind}">${head}
            <td colspan="4" class="muted small">a stage of every competition run: see Recent runs</td></tr>`;
        const budget = settings.budget;
        return html`<tr id="stage-${stage.name}" data-kind="${stage.kind}">${head}
          <td>${settings.enabled ? '' : html`${badge('disabled')} `}<code>${settings.schedule}</code>${settings.schedule !== 'off' && settings.timezone !== 'UTC' ? html` <span class="small muted">${settings.timezone}</span>` : ''}</td>
          <td>${settings.inRuns ? 'yes' : 'no'}</td>
          <td class="small">${budget.batchSize} a batch, at most ${budget.maxItems} items, ${formatDuration(budget.maxRuntimeMs)}</td>
          <td>${stageLastRun(data, stage)}</td>
        </tr>`;
      })}</tbody></table></div>`;
  return html`<section id="stages"><h2>Stages</h2>${body}</section>`;
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

const STYLE = `
main{max-width:1200px;margin:0 auto;padding:.75rem;display:grid;gap:.75rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr))}
section#runs,section#trends,section#resources,section#stages{grid-column:1/-1}
th,td{text-align:left;padding:.3rem .45rem;border-bottom:1px solid var(--line);vertical-align:top}
.error{color:var(--bad)}.bad-text{color:var(--bad);font-style:normal}
ol.runs{list-style:none;margin:0;padding:0}
li.run{border-top:1px solid var(--line);padding:.55rem 0}
li.run:first-child{border-top:0}
.run-head{display:flex;flex-wrap:wrap;align-items:center;gap:.2rem .6rem}
.run-id{font-weight:600}
.timeline{margin-top:.35rem;display:grid;gap:.15rem}
.stage{display:grid;grid-template-columns:7.5rem 1fr 6.5rem;gap:.5rem;align-items:center;font-size:.82rem}
.stage-name{color:var(--muted);white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.stage-time{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.track{position:relative;height:.7rem;background:var(--track);border-radius:3px}
.bar{position:absolute;top:0;bottom:0;border-radius:3px;background:var(--info)}
.bar.good{background:var(--good)}.bar.warn{background:var(--warn)}.bar.bad{background:var(--bad)}
div.chart-cell{min-width:0}
table#res-breaker-periods caption{text-align:left}
dl.facts{display:grid;grid-template-columns:auto 1fr;gap:.25rem .9rem;margin:0}
@media (max-width:560px){.stage{grid-template-columns:5.5rem 1fr 4.8rem}main{padding:.4rem}section{padding:.5rem .6rem}}
`;

/** The whole page. Every value from the database or config goes through `html`'s escaping. */
export function renderOpsPage(data: OpsPageData): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="30">
<title>matchflow ops</title>
<style>${new SafeHtml(BASE_STYLE + STYLE + CHART_STYLE)}</style>
</head>
<body>
<header>
  <h1>matchflow ops</h1>
  <span class="env">${data.env} · ${iso(data.nowMs)}</span>
  <nav><a href="/ratings">ratings</a><a href="/queues">queues (Bull Board)</a><a href="/api/snapshot">snapshot API</a><a href="/api/openapi.json">OpenAPI</a><a href="/metrics">metrics</a></nav>
</header>
<main>
${runsSection(data)}
${trendsSection(data)}
${resourcesSection(data)}
${freshnessSection(data)}
${snapshotSection(data)}
${sourcesSection(data)}
${queuesSection(data)}
${qualitySection(data)}
${stagesSection(data)}
</main>
</body>
</html>
`;
}
