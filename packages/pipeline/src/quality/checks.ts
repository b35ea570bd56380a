import type { CompetitionSettings, Config, QualityCheckName } from '@matchflow/config';
import { type Db, ops } from '@matchflow/db';
import { type SQL, sql } from 'drizzle-orm';
import { rows } from '../store/sql-rows.js';

/** What one build checks: a competition-season, its rating pool, and the run it belongs to. */
export interface QualityScope {
  runId: string;
  competition: Pick<CompetitionSettings, 'id' | 'ratingPool' | 'standings'>;
  seasonId: string;
  sport: string | undefined;
  /** When the check runs; freshness is measured against it. */
  now: Date;
}

export interface CheckOutcome {
  check: QualityCheckName;
  scope: string;
  severity: 'warn' | 'fail';
  status: 'pass' | 'warn' | 'fail';
  observed: number;
  threshold: number;
  sample: unknown[];
}

export interface QualityReport {
  results: CheckOutcome[];
  /** (passed + half of warned) / checks run, 0..1; 1 when nothing was checked. */
  score: number;
  /** Checks that failed with severity `fail`: any one blocks publishing. */
  failed: string[];
}

type Settings = Config['quality'];

/** A check measures something; `ok` says whether it is within its threshold. */
interface Measure {
  scope: string;
  observed: number;
  threshold: number;
  ok: boolean;
  sample: unknown[];
}

interface Check {
  name: QualityCheckName;
  severity: 'warn' | 'fail';
  measure: (
    tx: Db,
    scope: QualityScope,
    settings: Settings,
    config: Pick<Config, 'competitions'>,
  ) => Promise<Measure[]>;
}

const SAMPLE = 10;

/** A check that passes when no row is offending: observed = number of offending rows. */
function noOffenders(
  name: QualityCheckName,
  severity: 'warn' | 'fail',
  offending: (scope: QualityScope) => SQL | null,
): Check {
  return {
    name,
    severity,
    measure: async (tx, scope) => {
      const query = offending(scope);
      if (query === null) return [];
      const [counted] = await rows<{ count: number }>(
        tx,
        sql`SELECT count(*)::int AS count FROM (${query}) AS offending`,
      );
      const observed = Number(counted?.count ?? 0);
      const sample = observed === 0 ? [] : await rows(tx, sql`SELECT * FROM (${query}) AS offending LIMIT ${SAMPLE}`);
      return [{ scope: scope.seasonId, observed, threshold: 0, ok: observed === 0, sample }];
    },
  };
}

/** The checks, in the order they run and are reported (docs/quality.md). */
export const CHECKS: readonly Check[] = [
  {
    name: 'completeness.results',
    severity: 'fail',
    // Anchored to the season's latest result, not the clock: the same data gives the same answer.
    measure: async (tx, scope, settings) => {
      const [row] = await rows<{ due: number; final: number }>(
        tx,
        sql`WITH latest AS (
              SELECT max(start_time) AS at FROM core.matches WHERE season_id = ${scope.seasonId} AND status = 'finished')
            SELECT count(*)::int AS due, count(*) FILTER (WHERE status IN ('finished', 'canceled'))::int AS final
            FROM core.matches, latest WHERE season_id = ${scope.seasonId} AND start_time < latest.at`,
      );
      const due = Number(row?.due ?? 0);
      const observed = due === 0 ? 1 : Number(row?.final ?? 0) / due;
      const sample = await rows(
        tx,
        sql`WITH latest AS (
              SELECT max(start_time) AS at FROM core.matches WHERE season_id = ${scope.seasonId} AND status = 'finished')
            SELECT id, status FROM core.matches, latest
            WHERE season_id = ${scope.seasonId} AND start_time < latest.at AND status NOT IN ('finished', 'canceled')
            ORDER BY id LIMIT ${SAMPLE}`,
      );
      const threshold = settings.minCompleteness;
      return [{ scope: scope.seasonId, observed, threshold, ok: observed >= threshold, sample }];
    },
  },
  noOffenders(
    'completeness.scores',
    'fail',
    (scope) =>
      sql`SELECT id FROM core.matches WHERE season_id = ${scope.seasonId} AND status = 'finished'
          AND (home_score IS NULL OR away_score IS NULL) AND winner IS NULL ORDER BY id`,
  ),
  noOffenders('completeness.lineups', 'warn', (scope) =>
    scope.sport === 'football'
      ? sql`SELECT m.id FROM core.matches m WHERE m.season_id = ${scope.seasonId} AND m.status = 'finished'
            AND NOT EXISTS (SELECT 1 FROM core.appearances a WHERE a.match_id = m.id) ORDER BY m.id`
      : null,
  ),
  noOffenders(
    'ranges.scores',
    'fail',
    (scope) =>
      sql`SELECT id, home_score, away_score FROM core.matches WHERE season_id = ${scope.seasonId}
          AND (home_score < 0 OR away_score < 0 OR home_penalties < 0 OR away_penalties < 0) ORDER BY id`,
  ),
  noOffenders(
    'ranges.minutes',
    'fail',
    (scope) =>
      sql`SELECT a.match_id, a.player_id, a.minutes FROM core.appearances a JOIN core.matches m ON m.id = a.match_id
          WHERE m.season_id = ${scope.seasonId} AND (a.minutes < 0 OR a.minutes > 130) ORDER BY a.match_id, a.player_id`,
  ),
  noOffenders('consistency.standings', 'fail', (scope) => {
    const { win, draw, loss } = scope.competition.standings.points;
    // The table against the results it was built from: points, games, and goals that balance.
    return sql`SELECT participant_id, points, won, drawn, lost, adjustment FROM curated.standings
               WHERE season_id = ${scope.seasonId}
               AND (points <> won * ${win} + drawn * ${draw} + lost * ${loss} + adjustment OR played <> won + drawn + lost)
               UNION ALL
               SELECT 'goals for and against do not balance', sum(goals_for), sum(goals_against), NULL, NULL, NULL
               FROM curated.standings WHERE season_id = ${scope.seasonId}
               HAVING sum(goals_for) <> sum(goals_against)`;
  }),
  noOffenders(
    'consistency.one-side',
    'fail',
    // A player appears once per match (the key says so); here: for the team on his side of it.
    (scope) =>
      sql`SELECT a.match_id, a.player_id, a.side, a.team_id FROM core.appearances a JOIN core.matches m ON m.id = a.match_id
          WHERE m.season_id = ${scope.seasonId}
          AND a.team_id <> CASE a.side WHEN 'home' THEN m.home_id ELSE m.away_id END
          ORDER BY a.match_id, a.player_id`,
  ),
  noOffenders(
    'uniqueness.matches',
    'fail',
    // One fixture under two upstream ids would count twice everywhere.
    (scope) =>
      sql`SELECT home_id, away_id, start_time::text AS start_time, count(*)::int AS copies FROM core.matches
          WHERE season_id = ${scope.seasonId} AND status <> 'canceled'
          GROUP BY home_id, away_id, start_time HAVING count(*) > 1 ORDER BY home_id, away_id, start_time`,
  ),
  {
    name: 'ratings.coverage',
    severity: 'fail',
    measure: async (tx, scope, settings) => {
      const terminal = sql`FROM core.matches m
        WHERE m.season_id = ${scope.seasonId} AND m.status = 'finished'
        AND ((m.home_score IS NOT NULL AND m.away_score IS NOT NULL) OR m.winner IS NOT NULL)`;
      const unrated = sql`NOT EXISTS (SELECT 1 FROM ratings.match_ratings r
        WHERE r.pool_id = ${scope.competition.ratingPool} AND r.match_id = m.id)`;
      const [row] = await rows<{ total: number; rated: number }>(
        tx,
        sql`SELECT count(*)::int AS total, count(*) FILTER (WHERE NOT ${unrated})::int AS rated ${terminal}`,
      );
      const total = Number(row?.total ?? 0);
      const observed = total === 0 ? 1 : Number(row?.rated ?? 0) / total;
      const sample = await rows(tx, sql`SELECT m.id ${terminal} AND ${unrated} ORDER BY m.id LIMIT ${SAMPLE}`);
      const threshold = settings.minRatingsCoverage;
      return [{ scope: scope.competition.ratingPool, observed, threshold, ok: observed >= threshold, sample }];
    },
  },
  {
    name: 'freshness',
    severity: 'warn',
    // Every tracked competition: hours since its last run that ended ok or partial. This run's
    // own competition counts as fresh: it is being refreshed now. A rebuild from raw fetches
    // nothing, so its runs do not count.
    measure: async (tx, scope, settings, config) => {
      const measures: Measure[] = [];
      for (const competition of config.competitions) {
        const threshold = settings.freshnessMaxAgeHours;
        if (competition.id === scope.competition.id) {
          measures.push({ scope: competition.id, observed: 0, threshold, ok: true, sample: [] });
          continue;
        }
        const [row] = await rows<{ finished: number | null }>(
          tx,
          sql`SELECT extract(epoch FROM max(finished_at))::float8 * 1000 AS finished FROM ops.pipeline_runs
              WHERE scope->>'competitionId' = ${competition.id} AND status IN ('ok', 'partial')
                AND trigger <> 'rebuild'`,
        );
        const finished = row?.finished === null || row?.finished === undefined ? null : Number(row.finished);
        const observed = finished === null ? Number.POSITIVE_INFINITY : (scope.now.getTime() - finished) / 3_600_000;
        measures.push({
          scope: competition.id,
          observed: Number.isFinite(observed) ? observed : -1,
          threshold,
          ok: finished !== null && observed <= threshold,
          sample: finished === null ? [{ problem: 'never refreshed successfully' }] : [],
        });
      }
      return measures;
    },
  },
  {
    name: 'quarantine',
    severity: 'fail',
    measure: async (tx, scope, settings) => {
      const [row] = await rows<{ total: number; quarantined: number }>(
        tx,
        sql`SELECT count(*)::int AS total, count(*) FILTER (WHERE quarantined)::int AS quarantined
            FROM raw.payloads WHERE run_id = ${scope.runId}`,
      );
      const total = Number(row?.total ?? 0);
      const observed = total === 0 ? 0 : Number(row?.quarantined ?? 0) / total;
      const sample = await rows(
        tx,
        sql`SELECT endpoint, key, contract_error FROM raw.payloads WHERE run_id = ${scope.runId} AND quarantined
            ORDER BY id LIMIT ${SAMPLE}`,
      );
      const threshold = settings.maxQuarantinedRatio;
      return [{ scope: scope.seasonId, observed, threshold, ok: observed <= threshold, sample }];
    },
  },
];

/**
 * Runs every check that is not `off` and scores the run, recording nothing. Severity comes from
 * `quality.severity` or the check's default.
 */
export async function measureQuality(
  tx: Db,
  config: Pick<Config, 'quality' | 'competitions'>,
  scope: QualityScope,
): Promise<QualityReport> {
  const results: CheckOutcome[] = [];
  for (const check of CHECKS) {
    const setting = config.quality.severity[check.name] ?? check.severity;
    if (setting === 'off') continue;
    for (const measure of await check.measure(tx, scope, config.quality, config)) {
      results.push({
        check: check.name,
        scope: measure.scope,
        severity: setting,
        status: measure.ok ? 'pass' : setting,
        observed: measure.observed,
        threshold: measure.threshold,
        sample: jsonSafe(measure.sample),
      });
    }
  }
  const score = qualityScore(results);
  const failed = results
    .filter((result) => result.status === 'fail')
    .map((result) => `${result.check}:${result.scope}`);
  return { results, score, failed };
}

/** (passed + half of warned) / checks run, 0..1; 1 when nothing was checked. */
export function qualityScore(results: readonly { status: CheckOutcome['status'] }[]): number {
  const weight = { pass: 1, warn: 0.5, fail: 0 } as const;
  return results.length === 0 ? 1 : results.reduce((sum, result) => sum + weight[result.status], 0) / results.length;
}

/**
 * Record outcomes in `ops.quality_results`, replacing this run's earlier outcomes for the same
 * checks and scopes, so a retried build records once. A stage's own checks (named outside
 * `QUALITY_CHECKS`) are recorded the same way.
 */
export async function recordQualityResults(
  db: Db,
  runId: string,
  checkedAt: Date,
  results: readonly (Omit<CheckOutcome, 'check'> & { check: string })[],
): Promise<void> {
  for (const result of results) {
    const row = { runId, ...result, checkedAt };
    await db
      .insert(ops.qualityResults)
      .values(row)
      .onConflictDoUpdate({
        target: [ops.qualityResults.runId, ops.qualityResults.check, ops.qualityResults.scope],
        set: {
          severity: row.severity,
          status: row.status,
          observed: row.observed,
          threshold: row.threshold,
          sample: row.sample,
          checkedAt: row.checkedAt,
        },
      });
  }
}

/** Measure, then record in the same transaction: the results describe exactly what `tx` sees. */
export async function runQualityChecks(
  tx: Db,
  config: Pick<Config, 'quality' | 'competitions'>,
  scope: QualityScope,
): Promise<QualityReport> {
  const report = await measureQuality(tx, config, scope);
  await recordQualityResults(tx, scope.runId, scope.now, report.results);
  return report;
}

/** Rows from the driver may hold bigints or dates: make the sample plain JSON. */
function jsonSafe(sample: unknown[]): unknown[] {
  return JSON.parse(
    JSON.stringify(sample, (_key, value: unknown) => (typeof value === 'bigint' ? Number(value) : value)),
  );
}
