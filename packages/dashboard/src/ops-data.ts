import type { Db } from '@matchflow/db';
import {
  type QueueCountState,
  queueCounts,
  sqlRows as rows,
  type StageBudget,
  type StageRegistry,
} from '@matchflow/pipeline';
import {
  type BreakerState,
  type LimiterState,
  readSourceStats,
  type SourceStatsSnapshot,
  sourceStatsKeys,
} from '@matchflow/sources';
import { sql } from 'drizzle-orm';
import type { DashboardConfig, DashboardResources } from './resources.js';

/*
 * What the ops page and /metrics show, read from shared state only (the ops zone and Redis):
 * workers are other processes, so nothing here counts in memory. Small queries of our own over
 * `ops.*`; times come back as epoch milliseconds so both drivers give the same values.
 */

/**
 * The stages of a run in the order they happen, from the registry: its pipeline stages in order,
 * the standalone stages (steps of a run go between ratings and build) before `build`, rebuild's
 * `normalise` after `discover` and `publish` (recorded by the build job) after `build`. Stages
 * the registry does not know sort after these.
 */
export function stageOrder(registry: StageRegistry): string[] {
  const order = registry
    .all()
    .filter((stage) => stage.kind === 'pipeline')
    .map((stage) => stage.name);
  /** Put `names` at `anchor`'s place (`offset` 0: before it, 1: after it), or at the end without it. */
  const place = (names: readonly string[], anchor: string, offset: 0 | 1) => {
    const at = order.indexOf(anchor);
    const fresh = names.filter((name) => !order.includes(name));
    order.splice(at === -1 ? order.length : at + offset, 0, ...fresh);
  };
  place(
    registry.standalone().map((stage) => stage.name),
    'build',
    0,
  );
  place(['normalise'], 'discover', 1);
  place(['publish'], 'build', 1);
  return order;
}

export interface StageSpan {
  stage: string;
  /** Stage rows: one per job (ingest: one per match). */
  jobs: number;
  ok: number;
  failed: number;
  running: number;
  /** First start and last finish over the stage's rows (ms since epoch); finish null while any runs. */
  startedMs: number;
  finishedMs: number | null;
  /** Sum of the rows' durations (ingest jobs run in parallel: not wall time). */
  totalMs: number;
  maxMs: number;
  /** Upstream requests the stage's rows counted. */
  requests: number;
}

export interface RunSummary {
  runId: string;
  trigger: string;
  /** The competition and season of a competition run; undefined for a run of a standalone stage. */
  competitionId: string | undefined;
  season: string | undefined;
  /** The stage and its scope (`all`) of a run of a standalone stage; undefined for a competition run. */
  stage: { name: string; scope: string } | undefined;
  status: string;
  failedStage: string | null;
  error: string | null;
  startedMs: number;
  finishedMs: number | null;
  counters: Record<string, unknown>;
  stages: StageSpan[];
}

export interface Freshness {
  competitionId: string;
  /** When its last run that fetched (not a rebuild) ended ok or partial; null: never. */
  lastSuccessMs: number | null;
  ageSeconds: number | null;
  maxAgeSeconds: number;
  fresh: boolean;
}

export interface LatestSnapshot {
  version: string;
  runId: string;
  createdMs: number;
  latestSinceMs: number | null;
  contentHash: string;
  rowCounts: Record<string, number>;
  qualityScore: number;
  quality: { checks?: number; passed?: number; warned?: number; failed?: number } | undefined;
}

export interface QualityIssue {
  check: string;
  scope: string;
  severity: string;
  status: string;
  observed: number;
  threshold: number;
}

export interface RunQuality {
  runId: string;
  checkedMs: number;
  pass: number;
  warn: number;
  fail: number;
  /** The checks that did not pass, failures first. */
  issues: QualityIssue[];
}

export interface SourceState {
  name: string;
  kind: string;
  rateLimit: { requestsPerInterval: number; intervalMs: number; maxConcurrent: number };
  breaker: BreakerState | undefined;
  limiter: LimiterState | undefined;
  stats: SourceStatsSnapshot | undefined;
  /** Why the Redis state could not be read. */
  error: string | undefined;
}

const num = (value: unknown): number => Number(value ?? 0);
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const text = (value: unknown): string | undefined =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;

/**
 * The newest runs with their stages folded per stage (ingest: hundreds of rows, one span), each
 * run's stages in `order` (`stageOrder`).
 */
export async function recentRuns(db: Db, limit: number, order: readonly string[]): Promise<RunSummary[]> {
  const runs = await rows<Record<string, unknown>>(
    db,
    sql`SELECT run_id, trigger, scope, status, failed_stage, error, counters,
          extract(epoch FROM started_at)::float8 * 1000 AS started_ms,
          extract(epoch FROM finished_at)::float8 * 1000 AS finished_ms
        FROM ops.pipeline_runs ORDER BY started_at DESC, run_id DESC LIMIT ${limit}`,
  );
  if (runs.length === 0) return [];
  const ids = runs.map((run) => String(run.run_id));
  const stageRows = await rows<Record<string, unknown>>(
    db,
    sql`SELECT run_id, stage, count(*)::int AS jobs,
          count(*) FILTER (WHERE status IN ('ok', 'partial', 'skipped'))::int AS ok,
          count(*) FILTER (WHERE status = 'failed')::int AS failed,
          count(*) FILTER (WHERE status = 'running')::int AS running,
          extract(epoch FROM min(started_at))::float8 * 1000 AS started_ms,
          CASE WHEN bool_or(finished_at IS NULL) THEN NULL
               ELSE extract(epoch FROM max(finished_at))::float8 * 1000 END AS finished_ms,
          coalesce(sum(duration_ms), 0)::float8 AS total_ms,
          coalesce(max(duration_ms), 0)::float8 AS max_ms,
          coalesce(sum(CASE WHEN jsonb_typeof(counters->'requests') = 'number'
                            THEN (counters->>'requests')::float8 ELSE 0 END), 0)::float8 AS requests
        FROM ops.stage_runs
        WHERE run_id IN (${sql.join(
          ids.map((id) => sql`${id}`),
          sql`, `,
        )})
        GROUP BY run_id, stage`,
  );
  const byRun = new Map<string, StageSpan[]>();
  for (const row of stageRows) {
    const list = byRun.get(String(row.run_id)) ?? [];
    list.push({
      stage: String(row.stage),
      jobs: num(row.jobs),
      ok: num(row.ok),
      failed: num(row.failed),
      running: num(row.running),
      startedMs: num(row.started_ms),
      finishedMs: numOrNull(row.finished_ms),
      totalMs: num(row.total_ms),
      maxMs: num(row.max_ms),
      requests: num(row.requests),
    });
    byRun.set(String(row.run_id), list);
  }
  return runs.map((run) => {
    const scope = (typeof run.scope === 'object' && run.scope !== null ? run.scope : {}) as Record<string, unknown>;
    const stages = byRun.get(String(run.run_id)) ?? [];
    const rank = (stage: string) => {
      const index = order.indexOf(stage);
      return index === -1 ? order.length : index;
    };
    stages.sort((a, b) => rank(a.stage) - rank(b.stage) || a.startedMs - b.startedMs);
    const stage = text(scope.stage);
    return {
      runId: String(run.run_id),
      trigger: String(run.trigger),
      competitionId: text(scope.competitionId),
      season: text(scope.season),
      stage: stage === undefined ? undefined : { name: stage, scope: text(scope.scope) ?? 'all' },
      status: String(run.status),
      failedStage: text(run.failed_stage) ?? null,
      error: text(run.error) ?? null,
      startedMs: num(run.started_ms),
      finishedMs: numOrNull(run.finished_ms),
      counters: (typeof run.counters === 'object' && run.counters !== null ? run.counters : {}) as Record<
        string,
        unknown
      >,
      stages,
    };
  });
}

/**
 * Per tracked competition: age of its last run that fetched from the upstream (not a rebuild)
 * and ended ok or partial, against `quality.freshnessMaxAgeHours` (the freshness check's rule).
 * Only competition runs count: a run of a standalone stage refreshes no competition.
 */
export async function freshness(db: Db, config: Pick<DashboardConfig, 'competitions' | 'quality'>, nowMs: number) {
  const found = await rows<{ competition: string; finished_ms: unknown }>(
    db,
    sql`SELECT scope->>'competitionId' AS competition, extract(epoch FROM max(finished_at))::float8 * 1000 AS finished_ms
        FROM ops.pipeline_runs
        WHERE status IN ('ok', 'partial') AND trigger <> 'rebuild' AND scope->>'competitionId' IS NOT NULL
        GROUP BY 1`,
  );
  const last = new Map(found.map((row) => [row.competition, numOrNull(row.finished_ms)]));
  const maxAgeSeconds = config.quality.freshnessMaxAgeHours * 3_600;
  return config.competitions.map((competition): Freshness => {
    const lastSuccessMs = last.get(competition.id) ?? null;
    const ageSeconds = lastSuccessMs === null ? null : Math.max(0, (nowMs - lastSuccessMs) / 1000);
    return {
      competitionId: competition.id,
      lastSuccessMs,
      ageSeconds,
      maxAgeSeconds,
      fresh: ageSeconds !== null && ageSeconds <= maxAgeSeconds,
    };
  });
}

/** The snapshot `latest` names, from `ops.snapshots`; undefined before the first publish. */
export async function latestSnapshot(db: Db): Promise<LatestSnapshot | undefined> {
  const [row] = await rows<Record<string, unknown>>(
    db,
    sql`SELECT version, run_id, content_hash, row_counts, quality_score, manifest->'quality' AS quality,
          extract(epoch FROM created_at)::float8 * 1000 AS created_ms,
          extract(epoch FROM latest_since)::float8 * 1000 AS latest_since_ms
        FROM ops.snapshots WHERE latest LIMIT 1`,
  );
  if (!row) return undefined;
  const counts = (typeof row.row_counts === 'object' && row.row_counts !== null ? row.row_counts : {}) as Record<
    string,
    unknown
  >;
  return {
    version: String(row.version),
    runId: String(row.run_id),
    createdMs: num(row.created_ms),
    latestSinceMs: numOrNull(row.latest_since_ms),
    contentHash: String(row.content_hash),
    rowCounts: Object.fromEntries(Object.entries(counts).map(([table, value]) => [table, num(value)])),
    qualityScore: num(row.quality_score),
    quality: (typeof row.quality === 'object' && row.quality !== null ? row.quality : undefined) as
      | LatestSnapshot['quality']
      | undefined,
  };
}

/**
 * The quality results of the newest competition run that recorded any: counts and what did not
 * pass. A standalone stage's own checks (players' profile coverage) are left out: recorded
 * at every run of the stage, they would hide the checks that gate a publish.
 */
export async function lastRunQuality(db: Db): Promise<RunQuality | undefined> {
  const [latest] = await rows<{ run_id: string; checked_ms: unknown }>(
    db,
    sql`SELECT q.run_id, extract(epoch FROM max(q.checked_at))::float8 * 1000 AS checked_ms
        FROM ops.quality_results q JOIN ops.pipeline_runs r ON r.run_id = q.run_id
        WHERE r.scope->>'stage' IS NULL
        GROUP BY q.run_id ORDER BY max(q.checked_at) DESC, q.run_id DESC LIMIT 1`,
  );
  if (!latest) return undefined;
  const results = await rows<Record<string, unknown>>(
    db,
    sql`SELECT "check", scope, severity, status, observed, threshold FROM ops.quality_results
        WHERE run_id = ${latest.run_id}
        ORDER BY CASE status WHEN 'fail' THEN 0 WHEN 'warn' THEN 1 ELSE 2 END, "check", scope`,
  );
  const count = (status: string) => results.filter((row) => row.status === status).length;
  return {
    runId: latest.run_id,
    checkedMs: num(latest.checked_ms),
    pass: count('pass'),
    warn: count('warn'),
    fail: count('fail'),
    issues: results
      .filter((row) => row.status !== 'pass')
      .map((row) => ({
        check: String(row.check),
        scope: String(row.scope),
        severity: String(row.severity),
        status: String(row.status),
        observed: num(row.observed),
        threshold: num(row.threshold),
      })),
  };
}

/** A registered stage as the ops page lists it. */
export interface StageOverview {
  name: string;
  kind: 'pipeline' | 'standalone';
  queue: string;
  dependsOn: string[];
  summary: string;
  /** A standalone stage's settings, after the config's `stages.<name>`; undefined for pipeline stages. */
  standalone:
    | {
        enabled: boolean;
        /** Its schedule expression, or `off` (no schedule, or the stage disabled). */
        schedule: string;
        timezone: string;
        /** Whether every competition run includes it. */
        inRuns: boolean;
        budget: StageBudget;
      }
    | undefined;
}

/** Every registered stage, in registration order, with its settings: what the worker and scheduler see. */
export function stageOverview(registry: StageRegistry, config: Pick<DashboardConfig, 'stages'>): StageOverview[] {
  return registry.all().map((stage) => {
    const base = {
      name: stage.name,
      kind: stage.kind,
      queue: stage.queue,
      dependsOn: [...stage.dependsOn],
      summary: stage.summary,
    };
    if (stage.kind !== 'standalone') return { ...base, standalone: undefined };
    const settings = registry.settings(config, stage.name);
    return {
      ...base,
      standalone: {
        enabled: settings.enabled,
        schedule: registry.schedule(config, stage) ?? 'off',
        timezone: settings.timezone,
        inRuns: settings.enabled && settings.inRuns,
        budget: registry.budget(config, stage),
      },
    };
  });
}

/** The newest run of a standalone stage: on its own, or as a step of a competition run. */
export interface StageLastRun {
  stage: string;
  runId: string;
  /** Its stage row's status; `queued` while its run waits for the job to start. */
  status: string;
  startedMs: number;
  finishedMs: number | null;
  durationMs: number | null;
  processed: number | undefined;
  failed: number | undefined;
  error: string | null;
  /** The competition run it was a step of; undefined when it ran on its own. */
  inRun: { competitionId: string | undefined; season: string | undefined } | undefined;
}

/**
 * The newest run of each of these stages, by start: its stage row (`ops.stage_runs`, in a run
 * of its own or in a competition run), or a run of its own not started yet (no stage row).
 */
export async function lastStageRuns(db: Db, names: readonly string[]): Promise<Map<string, StageLastRun>> {
  if (names.length === 0) return new Map();
  const list = sql.join(
    names.map((name) => sql`${name}`),
    sql`, `,
  );
  const found = await rows<Record<string, unknown>>(
    db,
    sql`SELECT DISTINCT ON (stage) stage, run_id, status, own, scope, counters, error,
          extract(epoch FROM started_at)::float8 * 1000 AS started_ms,
          extract(epoch FROM finished_at)::float8 * 1000 AS finished_ms,
          duration_ms
        FROM (
          SELECT s.stage, s.run_id, s.status, r.scope->>'stage' IS NOT NULL AS own, r.scope, s.counters, s.error,
                 s.started_at, s.finished_at, s.duration_ms::float8 AS duration_ms
          FROM ops.stage_runs s JOIN ops.pipeline_runs r ON r.run_id = s.run_id
          WHERE s.stage IN (${list})
          UNION ALL
          SELECT r.scope->>'stage', r.run_id, CASE r.status WHEN 'running' THEN 'queued' ELSE r.status END, true,
                 r.scope, r.counters, r.error, r.started_at, r.finished_at,
                 extract(epoch FROM r.finished_at - r.started_at)::float8 * 1000
          FROM ops.pipeline_runs r
          WHERE r.scope->>'stage' IN (${list})
            AND NOT EXISTS (SELECT 1 FROM ops.stage_runs s WHERE s.run_id = r.run_id AND s.stage = r.scope->>'stage')
        ) candidates
        ORDER BY stage, started_at DESC, run_id DESC`,
  );
  return new Map(
    found.map((row): [string, StageLastRun] => {
      const counters = (typeof row.counters === 'object' && row.counters !== null ? row.counters : {}) as Record<
        string,
        unknown
      >;
      const scope = (typeof row.scope === 'object' && row.scope !== null ? row.scope : {}) as Record<string, unknown>;
      const count = (value: unknown) => (typeof value === 'number' ? value : undefined);
      return [
        String(row.stage),
        {
          stage: String(row.stage),
          runId: String(row.run_id),
          status: String(row.status),
          startedMs: num(row.started_ms),
          finishedMs: numOrNull(row.finished_ms),
          durationMs: numOrNull(row.duration_ms),
          processed: count(counters.processed),
          failed: count(counters.failed),
          error: text(row.error) ?? null,
          inRun:
            row.own === true ? undefined : { competitionId: text(scope.competitionId), season: text(scope.season) },
        },
      ];
    }),
  );
}

/** Runs in `ops.pipeline_runs` by status. */
export async function runCounts(db: Db): Promise<Record<string, number>> {
  const found = await rows<{ status: string; runs: unknown }>(
    db,
    sql`SELECT status, count(*)::int AS runs FROM ops.pipeline_runs GROUP BY status`,
  );
  const counts: Record<string, number> = { running: 0, ok: 0, partial: 0, failed: 0 };
  for (const row of found) counts[row.status] = num(row.runs);
  return counts;
}

/** One finished stage row, for the duration histogram. */
export interface FinishedStage {
  key: string;
  stage: string;
  durationMs: number;
  finishedMs: number;
}

/** Stage rows finished at or after `sinceMs`, oldest first, at most `limit`. */
export async function stagesFinishedSince(db: Db, sinceMs: number, limit: number): Promise<FinishedStage[]> {
  const found = await rows<Record<string, unknown>>(
    db,
    sql`SELECT run_id, stage, scope_key, attempt, duration_ms,
          extract(epoch FROM finished_at)::float8 * 1000 AS finished_ms
        FROM ops.stage_runs
        WHERE finished_at >= to_timestamp(${sinceMs / 1000}) AND duration_ms IS NOT NULL
        ORDER BY finished_at, run_id, stage, scope_key LIMIT ${limit}`,
  );
  return found.map((row) => ({
    key: `${String(row.run_id)}|${String(row.stage)}|${String(row.scope_key)}|${String(row.attempt)}`,
    stage: String(row.stage),
    durationMs: num(row.duration_ms),
    finishedMs: num(row.finished_ms),
  }));
}

/** Breaker, limiter and counters of every configured source, from Redis. */
export async function sourceStates(resources: DashboardResources, prefix: string): Promise<SourceState[]> {
  return Promise.all(
    resources.sources().map(async (source): Promise<SourceState> => {
      const base = {
        name: source.name,
        kind: source.kind,
        rateLimit: {
          requestsPerInterval: source.rateLimit.requestsPerInterval,
          intervalMs: source.rateLimit.intervalMs,
          maxConcurrent: source.rateLimit.maxConcurrent,
        },
      };
      try {
        const [breaker, limiter, stats] = await Promise.all([
          source.breaker.state(),
          source.limiter.state(),
          readSourceStats(resources.redis(), sourceStatsKeys(prefix, source.name)),
        ]);
        return { ...base, breaker, limiter, stats, error: undefined };
      } catch (error) {
        return {
          ...base,
          breaker: undefined,
          limiter: undefined,
          stats: undefined,
          error: error instanceof Error ? error.message : String(error),
        };
      }
    }),
  );
}

export interface QueueDepth {
  queue: string;
  paused: boolean;
  counts: Record<QueueCountState, number>;
}

/** Jobs per state of every pipeline queue. */
export async function queueDepths(resources: DashboardResources): Promise<QueueDepth[]> {
  return Promise.all(resources.queues().map(async (queue) => ({ queue: queue.name, ...(await queueCounts(queue)) })));
}

/** Runs per UTC day by how they ended, for the Trends section. */
export interface DayOutcomes {
  /** The UTC day's start, ms since epoch. */
  dayMs: number;
  ok: number;
  partial: number;
  failed: number;
  running: number;
}

/** One competition run as the Trends charts plot it. */
export interface TrendRun {
  runId: string;
  trigger: string;
  status: string;
  startedMs: number;
  finishedMs: number | null;
  /** `counters.matches`; undefined when the run did not record it. */
  matches: number | undefined;
  /** `counters.qualityScore` (0..1); undefined when the run ran no quality checks. */
  qualityScore: number | undefined;
  /** Upstream requests its stage rows counted (`counters.requests`, summed). */
  requests: number;
  /**
   * Wall time per stage (ms): first start to last finish over the stage's rows, so ingest's
   * hundreds of parallel jobs give the time the run spent in ingest, not their sum. Null while
   * any of the stage's rows runs.
   */
  stageWallMs: Record<string, number | null>;
}

export interface RunTrends {
  /** The window's start: the first of `days` UTC days, the last being today. */
  sinceMs: number;
  days: DayOutcomes[];
  /** At most `limit` competition runs started in the window, oldest first. */
  runs: TrendRun[];
  /** The stages these runs recorded, in `order` (`stageOrder`); unknown ones after. */
  stages: string[];
}

const DAY_MS = 86_400_000;

/**
 * What the Trends charts plot, over the last `days` UTC days: runs per day by status (one
 * query), and the newest `limit` runs with their counters and per-stage wall times (one query).
 * Competition runs only: runs of a standalone stage (`scope.stage`) have no matches, quality
 * score or pipeline stages, and would read as gaps.
 */
export async function runTrends(
  db: Db,
  options: { nowMs: number; days: number; limit: number; order: readonly string[] },
): Promise<RunTrends> {
  const sinceMs = (Math.floor(options.nowMs / DAY_MS) - (options.days - 1)) * DAY_MS;
  const since = sql`to_timestamp(${sinceMs / 1000})`;
  const [perDay, runs] = await Promise.all([
    rows<{ day_ms: unknown; status: string; runs: unknown }>(
      db,
      sql`SELECT extract(epoch FROM date_trunc('day', started_at AT TIME ZONE 'UTC'))::float8 * 1000 AS day_ms,
            status, count(*)::int AS runs
          FROM ops.pipeline_runs
          WHERE started_at >= ${since} AND scope->>'stage' IS NULL
          GROUP BY 1, 2`,
    ),
    rows<Record<string, unknown>>(
      db,
      sql`SELECT r.run_id, r.trigger, r.status, r.counters,
            extract(epoch FROM r.started_at)::float8 * 1000 AS started_ms,
            extract(epoch FROM r.finished_at)::float8 * 1000 AS finished_ms,
            s.stages, coalesce(s.requests, 0)::float8 AS requests
          FROM (
            SELECT run_id, trigger, status, counters, started_at, finished_at FROM ops.pipeline_runs
            WHERE started_at >= ${since} AND scope->>'stage' IS NULL
            ORDER BY started_at DESC, run_id DESC LIMIT ${options.limit}
          ) r
          LEFT JOIN LATERAL (
            SELECT jsonb_object_agg(stage, wall_ms) AS stages, sum(requests) AS requests
            FROM (
              SELECT stage,
                CASE WHEN bool_or(finished_at IS NULL) THEN NULL
                     ELSE extract(epoch FROM max(finished_at) - min(started_at))::float8 * 1000 END AS wall_ms,
                sum(CASE WHEN jsonb_typeof(counters->'requests') = 'number'
                         THEN (counters->>'requests')::float8 ELSE 0 END) AS requests
              FROM ops.stage_runs WHERE run_id = r.run_id GROUP BY stage
            ) per_stage
          ) s ON true
          ORDER BY r.started_at, r.run_id`,
    ),
  ]);
  const days: DayOutcomes[] = Array.from({ length: options.days }, (_, index) => ({
    dayMs: sinceMs + index * DAY_MS,
    ok: 0,
    partial: 0,
    failed: 0,
    running: 0,
  }));
  for (const row of perDay) {
    const day = days[Math.round((num(row.day_ms) - sinceMs) / DAY_MS)];
    if (day && (row.status === 'ok' || row.status === 'partial' || row.status === 'failed' || row.status === 'running'))
      day[row.status] += num(row.runs);
  }
  const numberOrUndefined = (value: unknown) => (typeof value === 'number' ? value : undefined);
  const trendRuns = runs.map((row): TrendRun => {
    const counters = (typeof row.counters === 'object' && row.counters !== null ? row.counters : {}) as Record<
      string,
      unknown
    >;
    const stages = (typeof row.stages === 'object' && row.stages !== null ? row.stages : {}) as Record<string, unknown>;
    return {
      runId: String(row.run_id),
      trigger: String(row.trigger),
      status: String(row.status),
      startedMs: num(row.started_ms),
      finishedMs: numOrNull(row.finished_ms),
      matches: numberOrUndefined(counters.matches),
      qualityScore: numberOrUndefined(counters.qualityScore),
      requests: num(row.requests),
      stageWallMs: Object.fromEntries(Object.entries(stages).map(([stage, ms]) => [stage, numOrNull(ms)])),
    };
  });
  const rank = (stage: string) => {
    const index = options.order.indexOf(stage);
    return index === -1 ? options.order.length : index;
  };
  const stages = [...new Set(trendRuns.flatMap((run) => Object.keys(run.stageWallMs)))].sort(
    (a, b) => rank(a) - rank(b) || (a < b ? -1 : 1),
  );
  return { sinceMs, days, runs: trendRuns, stages };
}

/** One value of a sampled series: a sample, or a bucket of samples, at `ms` (ms since epoch). */
export interface SamplePoint {
  ms: number;
  value: number;
}

/** What the "Fleet resources and upstream" charts plot, from `ops.samples`. */
export interface ResourceSamples {
  /** The window: samples taken after `sinceMs`, up to `nowMs`. */
  sinceMs: number;
  nowMs: number;
  /** The width of a bucket (ms): each series has at most one point per bucket. */
  bucketMs: number;
  /**
   * metric -> subject -> a point per bucket in time order, at the bucket's start: the last
   * sample of the bucket for the cumulative `upstream.*` counters, the largest for the rest
   * (a queue that filled up for a minute, a breaker that opened).
   */
  series: Map<string, Map<string, SamplePoint[]>>;
  /** `breaker.open` per source, every sample in time order: the open periods, to the minute. */
  breaker: Map<string, SamplePoint[]>;
}

/** A float8[] as either driver returns it: an array (postgres.js, PGlite) or its text form. */
function floats(value: unknown): number[] {
  if (Array.isArray(value)) return value.map(Number);
  if (typeof value === 'string')
    return value
      .replace(/^\{|\}$/g, '')
      .split(',')
      .filter(Boolean)
      .map(Number);
  return [];
}

/**
 * The samples of the last `windowMs` before `nowMs`, for the ops page: every metric in buckets
 * wide enough to give each series at most `maxPoints` points (whole minutes), in one query, and
 * the breaker samples as they are in a second one (open periods need every change).
 */
export async function resourceSamples(
  db: Db,
  options: { nowMs: number; windowMs: number; maxPoints: number },
): Promise<ResourceSamples> {
  const sinceMs = options.nowMs - options.windowMs;
  const bucketMs = Math.max(60_000, Math.ceil(options.windowMs / options.maxPoints / 60_000) * 60_000);
  const window = sql`sampled_at > to_timestamp(${sinceMs / 1000}) AND sampled_at <= to_timestamp(${options.nowMs / 1000})`;
  const [bucketed, breakerRows] = await Promise.all([
    // One row per series, its buckets as two arrays: PGlite spends most of a query's time handing
    // rows over, and a day of minute samples is tens of thousands of them (bench: dashboard).
    rows<{ metric: string; subject: string; buckets: unknown; vals: unknown }>(
      db,
      sql`SELECT metric, subject, array_agg(bucket ORDER BY bucket) AS buckets, array_agg(value ORDER BY bucket) AS vals
          FROM (
            SELECT metric, subject,
              floor(extract(epoch FROM sampled_at)::float8 * 1000 / ${bucketMs}::float8) AS bucket,
              CASE WHEN metric LIKE 'upstream.%' THEN (array_agg(value ORDER BY sampled_at DESC))[1]
                   ELSE max(value) END AS value
            FROM ops.samples
            WHERE ${window}
            GROUP BY 1, 2, 3
          ) bucketed
          GROUP BY 1, 2
          ORDER BY 1, 2`,
    ),
    rows<{ subject: string; ms: unknown; value: unknown }>(
      db,
      sql`SELECT subject, extract(epoch FROM sampled_at)::float8 * 1000 AS ms, value
          FROM ops.samples
          WHERE metric = 'breaker.open' AND ${window}
          ORDER BY subject, sampled_at`,
    ),
  ]);
  const series = new Map<string, Map<string, SamplePoint[]>>();
  for (const row of bucketed) {
    const subjects = series.get(row.metric) ?? new Map<string, SamplePoint[]>();
    series.set(row.metric, subjects);
    const buckets = floats(row.buckets);
    const values = floats(row.vals);
    subjects.set(
      row.subject,
      buckets.map((bucket, index) => ({ ms: bucket * bucketMs, value: values[index] ?? 0 })),
    );
  }
  const breaker = new Map<string, SamplePoint[]>();
  for (const row of breakerRows) {
    const points = breaker.get(row.subject) ?? [];
    breaker.set(row.subject, points);
    points.push({ ms: num(row.ms), value: num(row.value) });
  }
  return { sinceMs, nowMs: options.nowMs, bucketMs, series, breaker };
}

/**
 * What a cumulative counter grew by between consecutive points, at the later point. A counter
 * that went down was reset (Redis lost it, or it expired while idle): it counted up from 0 to
 * its new value. The first point has nothing before it and gives no difference, unless the
 * sampler was already sampling before it (`sampledSinceMs`, the window's first sample of
 * anything): then the counter did not exist yet (the first 429 of a source), and it counted up
 * from 0.
 */
export function counterDeltas(
  points: readonly SamplePoint[],
  sampledSinceMs = Number.POSITIVE_INFINITY,
): SamplePoint[] {
  const deltas: SamplePoint[] = [];
  const first = points[0];
  if (first && first.ms > sampledSinceMs) deltas.push(first);
  for (let index = 1; index < points.length; index += 1) {
    const previous = points[index - 1] as SamplePoint;
    const current = points[index] as SamplePoint;
    deltas.push({
      ms: current.ms,
      value: current.value >= previous.value ? current.value - previous.value : current.value,
    });
  }
  return deltas;
}

/** The classes the upstream requests chart stacks, bottom first. */
export const STATUS_CLASSES = ['2xx', '429', '4xx', '5xx', 'error'] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

/**
 * The class of an HTTP status as the upstream counters spell it (`200`, `429`, `error`): `429`
 * on its own, other `4xx`, `5xx`, `error` (no answer); anything else (2xx, and the 1xx/3xx a
 * client that follows redirects does not see) counts as `2xx`.
 */
export function statusClass(status: string): StatusClass {
  if (status === 'error') return 'error';
  if (status === '429') return '429';
  if (/^4\d\d$/.test(status)) return '4xx';
  if (/^5\d\d$/.test(status)) return '5xx';
  return '2xx';
}

/** A time a breaker was not closed. */
export interface OpenPeriod {
  source: string;
  /** Its first sample not closed (ms since epoch). */
  fromMs: number;
  /** Its first sample closed again; null while still open at the last sample. */
  toMs: number | null;
  /** `open` when it was fully open at some sample, else `half-open`. */
  worst: 'open' | 'half-open';
}

/** The periods each breaker was open or half-open, from its samples (time order), oldest first. */
export function openPeriods(breaker: ReadonlyMap<string, readonly SamplePoint[]>): OpenPeriod[] {
  const periods: OpenPeriod[] = [];
  for (const [source, points] of breaker) {
    let current: OpenPeriod | undefined;
    for (const point of points) {
      if (point.value > 0) {
        current ??= { source, fromMs: point.ms, toMs: null, worst: 'half-open' };
        if (point.value >= 1) current.worst = 'open';
      } else if (current) {
        current.toMs = point.ms;
        periods.push(current);
        current = undefined;
      }
    }
    if (current) periods.push(current);
  }
  return periods.sort((a, b) => a.fromMs - b.fromMs || (a.source < b.source ? -1 : 1));
}
