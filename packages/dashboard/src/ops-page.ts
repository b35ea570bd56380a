import { barChart, CHART_STYLE, type ChartSeries, lineChart } from './charts.js';
import { html, SafeHtml } from './html.js';
import {
  type Freshness,
  freshness,
  type LatestSnapshot,
  lastRunQuality,
  lastStageRuns,
  latestSnapshot,
  type QueueDepth,
  queueDepths,
  type RunQuality,
  type RunSummary,
  type RunTrends,
  recentRuns,
  runTrends,
  type SourceState,
  type StageLastRun,
  type StageOverview,
  type StageSpan,
  sourceStates,
  stageOrder,
  stageOverview,
  type TrendRun,
} from './ops-data.js';
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

type Part<T> = { ok: true; value: T } | { ok: false; error: string };

export interface OpsPageData {
  env: string;
  nowMs: number;
  runs: Part<RunSummary[]>;
  /** What the Trends charts plot. */
  trends: Part<RunTrends>;
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
  const [runs, trends, fresh, snapshot, quality, sources, queues, stageRuns] = await Promise.all([
    part('the database', async () => recentRuns(await db(), OPS_PAGE_RUNS, stageOrder(registry))),
    part('the database', async () =>
      runTrends(await db(), { nowMs, days: TRENDS_DAYS, limit: TRENDS_RUNS, order: stageOrder(registry) }),
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
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--text:#1d232b;--muted:#5f6b7a;--line:#e2e6eb;--track:#eef1f4;--badge-text:#fff;--link:#0969da;--good:#1a7f37;--warn:#9a6700;--bad:#cf222e;--info:#0969da;--series-0:#0969da;--series-1:#bc4c00;--series-2:#8250df;--series-3:#1a7f37;--series-4:#bf3989;--series-5:#57606a}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--text:#e6edf3;--muted:#9198a1;--line:#30363d;--track:#21262d;--badge-text:#0d1117;--link:#58a6ff;--good:#3fb950;--warn:#d29922;--bad:#f85149;--info:#58a6ff;--series-0:#58a6ff;--series-1:#f0883e;--series-2:#bc8cff;--series-3:#3fb950;--series-4:#ff7bba;--series-5:#9198a1}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--text)}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:.5rem 1.25rem;padding:.8rem 1rem;background:#1d232b;color:#fff}
header h1{font-size:1.15rem;margin:0}
header nav{display:flex;flex-wrap:wrap;gap:.3rem .9rem}
header a{color:#9ecbff;text-decoration:none}
header .env{color:#c9d1d9;font-size:.85rem}
main{max-width:1200px;margin:0 auto;padding:.75rem;display:grid;gap:.75rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr))}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.6rem .9rem;min-width:0}
section#runs,section#trends,section#stages{grid-column:1/-1}
main a{color:var(--link)}
h2{font-size:1rem;margin:.2rem 0 .6rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.3rem .45rem;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.scroll{overflow-x:auto}
code{font:.85em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
.muted{color:var(--muted)}.small{font-size:.85rem}
.error{color:var(--bad)}.bad-text{color:var(--bad);font-style:normal}
.badge{display:inline-block;padding:0 .45rem;border-radius:999px;font-size:.78rem;font-weight:600;color:var(--badge-text);background:var(--info);white-space:nowrap}
.badge.good{background:var(--good)}.badge.warn{background:var(--warn)}.badge.bad{background:var(--bad)}
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
dl.facts{display:grid;grid-template-columns:auto 1fr;gap:.25rem .9rem;margin:0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;min-width:0}
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
<style>${new SafeHtml(STYLE + CHART_STYLE)}</style>
</head>
<body>
<header>
  <h1>matchflow ops</h1>
  <span class="env">${data.env} · ${iso(data.nowMs)}</span>
  <nav><a href="/queues">queues (Bull Board)</a><a href="/api/snapshot">snapshot API</a><a href="/api/openapi.json">OpenAPI</a><a href="/metrics">metrics</a></nav>
</header>
<main>
${runsSection(data)}
${trendsSection(data)}
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
