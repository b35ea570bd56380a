import type { Config } from '@matchflow/config';
import type { AlertSeverity, Db } from '@matchflow/db';
import { FleetBreaker } from '@matchflow/sources';
import { formatDuration } from '@matchflow/telemetry';
import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { REBUILD_TRIGGER } from '../stages/rebuild-from-raw.js';
import { rows } from '../store/sql-rows.js';

/** Every kind of alert (docs/alerts.md); the first segment of each alert key. */
export const ALERT_KINDS = [
  'run-failed',
  'stage-failed',
  'quality-fail',
  'stuck-run',
  'stale',
  'breaker-open',
  'blocked',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Kinds read from Redis: without it (or when it does not answer) they are neither raised nor resolved. */
export const REDIS_ALERT_KINDS: readonly AlertKind[] = ['breaker-open', 'blocked'];

/** An open problem, as the current state shows it. Its key is stable while the problem lasts. */
export interface Problem {
  key: string;
  kind: AlertKind;
  severity: AlertSeverity;
  summary: string;
  details: Record<string, unknown>;
}

/** The settings the alert rules read. */
export type AlertConfig = Pick<Config, 'env' | 'alerts' | 'quality' | 'competitions' | 'sources' | 'redis'>;

/** The last run of a scope that ended `ok` (and fetched from the upstream): its heartbeat. */
export interface ScopeSuccess {
  scope: string;
  runId: string;
  finishedAt: Date;
}

/** Longest error text kept in an alert's details. */
const MAX_ERROR_CHARS = 500;
/** Failed matches named in a partial run's details. */
const MAX_LISTED = 10;

/** `competition.season` keys of the configured competition-seasons: only they raise run alerts. */
function trackedScopes(config: AlertConfig): Set<string> {
  return new Set(
    config.competitions.flatMap((competition) => competition.seasons.map((s) => `${competition.id}.${s}`)),
  );
}

/**
 * `run-failed:<competition>.<season>`: open while the scope's latest finished run ended `failed`
 * (critical) or `partial` (warning); a later run ending `ok` clears it.
 */
export async function runFailedProblems(db: Db, config: AlertConfig): Promise<Problem[]> {
  const tracked = trackedScopes(config);
  const latest = await rows<{
    runId: string;
    competition: string;
    season: string;
    status: string;
    failedStage: string | null;
    error: string | null;
    trigger: string;
    counters: Record<string, unknown> | null;
    finishedAt: number;
  }>(
    db,
    sql`SELECT DISTINCT ON (scope->>'competitionId', scope->>'season')
          run_id AS "runId", scope->>'competitionId' AS competition, scope->>'season' AS season, status,
          failed_stage AS "failedStage", error, trigger, counters,
          extract(epoch FROM finished_at)::float8 * 1000 AS "finishedAt"
        FROM ops.pipeline_runs
        WHERE status <> 'running' AND finished_at IS NOT NULL
        ORDER BY scope->>'competitionId', scope->>'season', finished_at DESC, run_id DESC`,
  );
  const problems: Problem[] = [];
  for (const run of latest) {
    const scope = `${run.competition}.${run.season}`;
    if (!tracked.has(scope) || (run.status !== 'failed' && run.status !== 'partial')) continue;
    const finishedAt = new Date(Number(run.finishedAt)).toISOString();
    if (run.status === 'failed') {
      problems.push({
        key: `run-failed:${scope}`,
        kind: 'run-failed',
        severity: 'critical',
        summary: `Run failed: ${scope} at ${run.failedStage ?? 'an unknown stage'}`,
        details: {
          runId: run.runId,
          status: run.status,
          failedStage: run.failedStage ?? undefined,
          trigger: run.trigger,
          finishedAt,
          error: truncate(run.error),
        },
      });
      continue;
    }
    const failedMatches = Array.isArray(run.counters?.failedMatches) ? (run.counters.failedMatches as unknown[]) : [];
    problems.push({
      key: `run-failed:${scope}`,
      kind: 'run-failed',
      severity: 'warning',
      summary: `Run partial: ${scope}, ${failedMatches.length} match${failedMatches.length === 1 ? '' : 'es'} failed`,
      details: {
        runId: run.runId,
        status: run.status,
        trigger: run.trigger,
        finishedAt,
        failedMatches: failedMatches.length,
        ...(failedMatches.length > 0 ? { matches: failedMatches.slice(0, MAX_LISTED).join(', ') } : {}),
      },
    });
  }
  return problems;
}

/**
 * `stage-failed:<stage>`: open while the latest finished run of a standalone stage over its
 * default scope (`matchflow stage run`, its schedule) ended `failed` (warning: the data it adds
 * is late, nothing published is wrong); a later run that does not fail clears it. Runs over
 * another scope (`--scope`) are one-offs and raise nothing.
 */
export async function stageFailedProblems(db: Db): Promise<Problem[]> {
  const latest = await rows<{
    runId: string;
    stage: string;
    status: string;
    error: string | null;
    trigger: string;
    finishedAt: number;
  }>(
    db,
    sql`SELECT DISTINCT ON (scope->>'stage')
          run_id AS "runId", scope->>'stage' AS stage, status, error, trigger,
          extract(epoch FROM finished_at)::float8 * 1000 AS "finishedAt"
        FROM ops.pipeline_runs
        WHERE scope->>'stage' IS NOT NULL AND scope->>'scope' = 'all'
          AND status <> 'running' AND finished_at IS NOT NULL
        ORDER BY scope->>'stage', finished_at DESC, run_id DESC`,
  );
  return latest
    .filter((run) => run.status === 'failed')
    .map((run) => ({
      key: `stage-failed:${run.stage}`,
      kind: 'stage-failed' as const,
      severity: 'warning' as const,
      summary: `Stage failed: ${run.stage}`,
      details: {
        runId: run.runId,
        trigger: run.trigger,
        finishedAt: new Date(Number(run.finishedAt)).toISOString(),
        error: truncate(run.error),
      },
    }));
}

/**
 * `quality-fail:<competition>.<season>`: open while the scope's latest quality evaluation (the
 * newest run with quality results) has a check at status `fail`; a later build without one clears it.
 */
export async function qualityProblems(db: Db, config: AlertConfig): Promise<Problem[]> {
  const tracked = trackedScopes(config);
  const failed = await rows<{
    runId: string;
    competition: string;
    season: string;
    check: string;
    scope: string;
    observed: number;
    threshold: number;
  }>(
    db,
    sql`WITH latest AS (
          SELECT DISTINCT ON (r.scope->>'competitionId', r.scope->>'season')
            r.run_id, r.scope->>'competitionId' AS competition, r.scope->>'season' AS season
          FROM ops.quality_results q JOIN ops.pipeline_runs r ON r.run_id = q.run_id
          ORDER BY r.scope->>'competitionId', r.scope->>'season', q.checked_at DESC, r.run_id DESC
        )
        SELECT l.run_id AS "runId", l.competition, l.season, q."check", q.scope, q.observed, q.threshold
        FROM latest l JOIN ops.quality_results q ON q.run_id = l.run_id AND q.status = 'fail'
        ORDER BY l.competition, l.season, q."check", q.scope`,
  );
  const byScope = new Map<string, typeof failed>();
  for (const row of failed) {
    const scope = `${row.competition}.${row.season}`;
    if (!tracked.has(scope)) continue;
    byScope.set(scope, [...(byScope.get(scope) ?? []), row]);
  }
  return [...byScope].map(([scope, checks]) => {
    const names = [...new Set(checks.map((check) => check.check))];
    return {
      key: `quality-fail:${scope}`,
      kind: 'quality-fail' as const,
      severity: 'critical' as const,
      summary: `Quality FAIL: ${scope}: ${names.join(', ')} (publishing blocked)`,
      details: {
        runId: checks[0]?.runId,
        checks: checks
          .slice(0, MAX_LISTED)
          .map((check) => `${check.check} on ${check.scope}: ${round(check.observed)} vs ${round(check.threshold)}`)
          .join('; '),
      },
    };
  });
}

/**
 * `stuck-run:<run id>`: open while a run is still `running` more than `alerts.stuckRunMs` after it
 * started; cleared when it closes (or the stale-run reaper closes it).
 */
export async function stuckRunProblems(db: Db, config: AlertConfig, now: Date): Promise<Problem[]> {
  const cutoff = new Date(now.getTime() - config.alerts.stuckRunMs).toISOString();
  const stuck = await rows<{
    runId: string;
    competition: string | null;
    season: string | null;
    stage: string | null;
    trigger: string;
    startedAt: number;
  }>(
    db,
    sql`SELECT run_id AS "runId", scope->>'competitionId' AS competition, scope->>'season' AS season,
          scope->>'stage' AS stage, trigger,
          extract(epoch FROM started_at)::float8 * 1000 AS "startedAt"
        FROM ops.pipeline_runs
        WHERE status = 'running' AND started_at < ${cutoff}::timestamptz
        ORDER BY started_at, run_id`,
  );
  return stuck.map((run) => {
    const startedAt = Number(run.startedAt);
    const scope = run.stage ? `stage ${run.stage}` : `${run.competition}.${run.season}`;
    return {
      key: `stuck-run:${run.runId}`,
      kind: 'stuck-run' as const,
      severity: 'warning' as const,
      // Summaries stay the same while a problem lasts (no running clock): a changed one is rewritten.
      summary: `Run stuck: ${scope} still running since ${new Date(startedAt).toISOString()}`,
      details: {
        runId: run.runId,
        scope,
        trigger: run.trigger,
        startedAt: new Date(startedAt).toISOString(),
        limit: formatDuration(config.alerts.stuckRunMs),
      },
    };
  });
}

/** How fresh a tracked competition is, by the rule of the `stale` alert. */
export interface CompetitionFreshness {
  competitionId: string;
  /** When its last run that fetched (not a rebuild) ended `ok` or `partial` (ms since epoch); undefined: never. */
  lastSuccessMs: number | undefined;
  /** What its age counts from: the last success, or (never refreshed) its first run's start. */
  sinceMs: number;
  /** `now` - `sinceMs` (ms). */
  ageMs: number;
  /** `quality.freshnessMaxAgeHours` (ms). */
  limitMs: number;
  /** Older than the limit: the `stale` alert is open. */
  stale: boolean;
}

/**
 * Per tracked competition with at least one run: the age of its last run that fetched from the
 * upstream (not a rebuild) and ended `ok` or `partial`, or, when none ever did, of its first run's
 * start, against `quality.freshnessMaxAgeHours`. A competition with no run at all is left out:
 * nothing says since when it has been tracked. The rule of the `stale` alert and of the
 * `freshness.age_hours` samples.
 */
export async function competitionFreshness(
  db: Db,
  config: Pick<Config, 'competitions' | 'quality'>,
  now: Date,
): Promise<CompetitionFreshness[]> {
  const limitMs = config.quality.freshnessMaxAgeHours * 3_600_000;
  const ages = await rows<{ competition: string; lastSuccess: number | null; firstStarted: number }>(
    db,
    sql`SELECT scope->>'competitionId' AS competition,
          extract(epoch FROM max(finished_at) FILTER (WHERE status IN ('ok', 'partial') AND trigger <> ${REBUILD_TRIGGER}))::float8 * 1000 AS "lastSuccess",
          extract(epoch FROM min(started_at))::float8 * 1000 AS "firstStarted"
        FROM ops.pipeline_runs GROUP BY 1`,
  );
  const byCompetition = new Map(ages.map((row) => [row.competition, row]));
  return config.competitions.flatMap((competition): CompetitionFreshness[] => {
    const row = byCompetition.get(competition.id);
    if (!row) return [];
    const lastSuccessMs = row.lastSuccess === null ? undefined : Number(row.lastSuccess);
    const sinceMs = lastSuccessMs ?? Number(row.firstStarted);
    const ageMs = now.getTime() - sinceMs;
    return [{ competitionId: competition.id, lastSuccessMs, sinceMs, ageMs, limitMs, stale: ageMs > limitMs }];
  });
}

/**
 * `stale:<competition>`: open while a tracked competition's last run that fetched from the
 * upstream (not a rebuild) and ended `ok` or `partial` finished more than
 * `quality.freshnessMaxAgeHours` ago, or none ever did and its first run started that long ago
 * (`competitionFreshness`). A competition with no run at all is not judged.
 */
export async function staleProblems(db: Db, config: AlertConfig, now: Date): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const entry of await competitionFreshness(db, config, now)) {
    if (!entry.stale) continue;
    const lastSuccess = entry.lastSuccessMs;
    problems.push({
      key: `stale:${entry.competitionId}`,
      kind: 'stale',
      severity: 'warning',
      summary:
        lastSuccess === undefined
          ? `Stale: ${entry.competitionId} never refreshed successfully (runs since ${new Date(entry.sinceMs).toISOString()})`
          : `Stale: ${entry.competitionId} not refreshed since ${new Date(lastSuccess).toISOString()}`,
      details: {
        lastSuccessAt: lastSuccess === undefined ? 'never' : new Date(lastSuccess).toISOString(),
        limit: `${config.quality.freshnessMaxAgeHours}h`,
      },
    });
  }
  return problems;
}

/**
 * `blocked:<source>` (critical): a 403 challenge tripped the source's breaker, until a probe
 * succeeds and closes it. `breaker-open:<source>` (critical): the breaker has been open or
 * half-open for longer than `alerts.breakerOpenMs` (failed probes do not restart the clock); not
 * raised while the source is blocked, which says more.
 */
export async function breakerProblems(redis: Redis, config: AlertConfig, now: Date): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const [source, settings] of Object.entries(config.sources)) {
    const breaker = new FleetBreaker({ redis, prefix: config.redis.prefix, source, settings: settings.breaker });
    const state = await breaker.state();
    if (state.state === 'closed') continue;
    if (state.blockedAt !== undefined) {
      problems.push({
        key: `blocked:${source}`,
        kind: 'blocked',
        severity: 'critical',
        summary: `Source blocked: ${source} refused us (403 challenge); its requests are stopped`,
        details: {
          source,
          blockedAt: new Date(state.blockedAt).toISOString(),
          state: state.state,
          ...(state.openUntil ? { nextProbeAt: new Date(state.openUntil).toISOString() } : {}),
        },
      });
      continue;
    }
    const openedAt = state.openedAt ?? now.getTime();
    if (now.getTime() - openedAt < config.alerts.breakerOpenMs) continue;
    problems.push({
      key: `breaker-open:${source}`,
      kind: 'breaker-open',
      severity: 'critical',
      summary: `Circuit breaker open: ${source} since ${new Date(openedAt).toISOString()}`,
      details: {
        source,
        openedAt: new Date(openedAt).toISOString(),
        state: state.state,
        reason: state.reason,
        limit: formatDuration(config.alerts.breakerOpenMs),
      },
    });
  }
  return problems;
}

/** The newest run of each tracked scope that ended `ok` and fetched from the upstream. */
export async function lastSuccesses(db: Db, config: AlertConfig): Promise<ScopeSuccess[]> {
  const tracked = trackedScopes(config);
  const latest = await rows<{ runId: string; competition: string; season: string; finishedAt: number }>(
    db,
    sql`SELECT DISTINCT ON (scope->>'competitionId', scope->>'season')
          run_id AS "runId", scope->>'competitionId' AS competition, scope->>'season' AS season,
          extract(epoch FROM finished_at)::float8 * 1000 AS "finishedAt"
        FROM ops.pipeline_runs
        WHERE status = 'ok' AND trigger <> ${REBUILD_TRIGGER} AND finished_at IS NOT NULL
        ORDER BY scope->>'competitionId', scope->>'season', finished_at DESC, run_id DESC`,
  );
  return latest
    .map((run) => ({
      scope: `${run.competition}.${run.season}`,
      runId: run.runId,
      finishedAt: new Date(Number(run.finishedAt)),
    }))
    .filter((success) => tracked.has(success.scope));
}

function truncate(text: string | null): string | undefined {
  if (!text) return undefined;
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 1)}…` : text;
}

function round(value: number): number {
  return Math.round(Number(value) * 1000) / 1000;
}
