import type { Db } from '@matchflow/db';
import { type SQL, sql } from 'drizzle-orm';
import { rows } from '../store/sql-rows.js';

/*
 * `curated.match_odds`: one row per finished football match with pre-match 1X2 prices in
 * `core.odds_snapshots`. Every way of writing it goes through `writeMatchOdds` below with a
 * different set of matches to bring up to date (the `odds` stage's, a season's, a pool's whose
 * ratings moved, or every one), so the incremental table equals `rebuildCuratedOdds` by
 * construction (and a test checks it).
 *
 * The figures, per match:
 * - opening prices: the upstream's opening line, as the closing snapshot's payload quotes it;
 *   closing prices: the latest snapshot (the closing line once a poll at or after kick-off saw
 *   it: `closing_confirmed`);
 * - implied probabilities with the overround removed, `p_i = (1/o_i) / Σ_j 1/o_j`, and the
 *   overround `Σ_j 1/o_j - 1`, at the opening and at the close;
 * - line movement: closing minus opening probability per outcome, and the price changes seen
 *   (one per stored snapshot after the first, plus one when the first already differed from the
 *   opening line);
 * - the market's expected home score `p_home + p_draw / 2` (closing), the Elo pool's pre-match
 *   expected home score (`ratings.match_ratings`, pool from the match's summary), and each one's
 *   squared error against home's actual score (1, 0.5, 0) by the 90-minute result, which is how
 *   the 1X2 market settles.
 *
 * Every number is computed in SQL with IEEE double arithmetic (`+ - * /` only, no `power`), so
 * PostgreSQL and PGlite give the same bits and the published files the same bytes.
 */

export interface MatchOddsWritten {
  /** Matches with a row computed. */
  matches: number;
  /** Rows inserted or changed (rows already right are left alone). */
  written: number;
  /** Rows removed: the match is no longer finished, or lost its snapshots. */
  removed: number;
}

/** The columns of `curated.match_odds`, in table order: one list for the insert, update and comparison. */
const COLUMNS = [
  'match_id',
  'competition_id',
  'season_id',
  'start_time',
  'home_id',
  'away_id',
  'home_goals',
  'away_goals',
  'result',
  'opening_home',
  'opening_draw',
  'opening_away',
  'closing_home',
  'closing_draw',
  'closing_away',
  'opening_prob_home',
  'opening_prob_draw',
  'opening_prob_away',
  'closing_prob_home',
  'closing_prob_draw',
  'closing_prob_away',
  'opening_overround',
  'closing_overround',
  'move_home',
  'move_draw',
  'move_away',
  'price_changes',
  'snapshots',
  'closing_confirmed',
  'market_expected_home',
  'pool_id',
  'elo_expected_home',
  'actual_home',
  'market_error',
  'elo_error',
] as const;

const UPDATED = COLUMNS.filter((column) => column !== 'match_id');

/** The insert's column list, built once at load from the literal COLUMNS above. */
const INSERT_COLUMNS = sql.raw(COLUMNS.join(', '));
/**
 * The insert's conflict clause, built once at load from the literal COLUMNS above: a row is
 * rewritten only when one of its values differs.
 */
const UPSERT = sql.raw(
  `ON CONFLICT (match_id) DO UPDATE SET ${UPDATED.map((column) => `${column} = excluded.${column}`).join(', ')}
  WHERE (${UPDATED.map((column) => `c.${column}`).join(', ')})
    IS DISTINCT FROM (${UPDATED.map((column) => `excluded.${column}`).join(', ')})`,
);

/**
 * Bring the rows of these matches in line with core, the odds snapshots and the ratings. A match
 * that is not finished, or has no snapshot, has no row. In the caller's transaction.
 */
export async function refreshCuratedOdds(tx: Db, matchIds: readonly string[]): Promise<MatchOddsWritten> {
  if (matchIds.length === 0) return { matches: 0, written: 0, removed: 0 };
  return writeMatchOdds(
    tx,
    sql`SELECT DISTINCT value AS match_id FROM jsonb_array_elements_text(${JSON.stringify(matchIds)}::jsonb)`,
  );
}

/**
 * The rows of a competition-season's matches (the build's share: results, corrections and the
 * season's pre-match ratings move with its matches).
 */
export async function refreshSeasonOdds(tx: Db, seasonId: string): Promise<MatchOddsWritten> {
  return writeMatchOdds(
    tx,
    sql`SELECT o.match_id FROM curated.match_odds o WHERE o.season_id = ${seasonId}
        UNION
        SELECT p.match_id FROM core.odds_polls p JOIN core.matches m ON m.id = p.match_id
        WHERE m.season_id = ${seasonId}`,
  );
}

/**
 * The rows of `pool` whose Elo column no longer matches `ratings.match_ratings` (a ratings run
 * that rewound the pool rewrote the pre-match ratings of other seasons' matches too), as
 * `refreshPoolRatings` does for the match summaries. Touches only those rows.
 */
export async function refreshPoolOdds(tx: Db, pool: string): Promise<MatchOddsWritten> {
  return writeMatchOdds(
    tx,
    sql`SELECT o.match_id FROM curated.match_odds o
        JOIN curated.match_summary s ON s.match_id = o.match_id AND s.pool_id = ${pool}
        LEFT JOIN ratings.match_ratings r ON r.match_id = o.match_id AND r.pool_id = s.pool_id
        WHERE (o.pool_id, o.elo_expected_home) IS DISTINCT FROM (s.pool_id, r.expected_home)`,
  );
}

/**
 * The rows of finished matches with snapshots that have none yet: the `odds` stage's sweep
 * after its polls, for matches that finished since (their closing poll came at kick-off, before
 * the result). Driven by the poll state, one row per polled match.
 */
export async function refreshFinishedOdds(tx: Db): Promise<MatchOddsWritten> {
  return writeMatchOdds(
    tx,
    sql`SELECT p.match_id FROM core.odds_polls p
        JOIN core.matches m ON m.id = p.match_id AND m.status = 'finished'
        WHERE NOT EXISTS (SELECT 1 FROM curated.match_odds o WHERE o.match_id = p.match_id)
          AND EXISTS (SELECT 1 FROM core.odds_snapshots s WHERE s.match_id = p.match_id)`,
  );
}

/** Recompute `curated.match_odds` whole: every match with snapshots, and no other. */
export async function rebuildCuratedOdds(db: Db): Promise<MatchOddsWritten> {
  return writeMatchOdds(
    db,
    sql`SELECT match_id FROM curated.match_odds UNION SELECT DISTINCT match_id FROM core.odds_snapshots`,
  );
}

/**
 * One statement: compute the rows of the `target` matches, delete those that have none any
 * more, upsert the rest where they differ (in match order, so concurrent writers of overlapping
 * matches wait for each other instead of deadlocking).
 */
async function writeMatchOdds(tx: Db, target: SQL): Promise<MatchOddsWritten> {
  const [counts] = await rows<MatchOddsWritten>(
    tx,
    sql`
WITH target AS (${target}),
snap AS (
  SELECT s.*,
    row_number() OVER (PARTITION BY s.match_id ORDER BY s.observed_at DESC) AS newest,
    row_number() OVER (PARTITION BY s.match_id ORDER BY s.observed_at) AS oldest,
    count(*) OVER (PARTITION BY s.match_id) AS stored
  FROM core.odds_snapshots s
  WHERE s.market = '1X2' AND s.match_id IN (SELECT match_id FROM target)
),
computed AS (
  SELECT m.id AS match_id, m.competition_id, m.season_id, m.start_time, m.home_id, m.away_id,
    g.home_goals, g.away_goals, r.result,
    c.opening_home_decimal AS opening_home, c.opening_draw_decimal AS opening_draw,
    c.opening_away_decimal AS opening_away,
    c.home_decimal AS closing_home, c.draw_decimal AS closing_draw, c.away_decimal AS closing_away,
    op.home AS opening_prob_home, op.draw AS opening_prob_draw, op.away AS opening_prob_away,
    cp.home AS closing_prob_home, cp.draw AS closing_prob_draw, cp.away AS closing_prob_away,
    op.book - 1 AS opening_overround, cp.book - 1 AS closing_overround,
    cp.home - op.home AS move_home, cp.draw - op.draw AS move_draw, cp.away - op.away AS move_away,
    (c.stored - 1 + CASE WHEN (f.home_fractional, f.draw_fractional, f.away_fractional)
      IS DISTINCT FROM (f.opening_home_fractional, f.opening_draw_fractional, f.opening_away_fractional)
      THEN 1 ELSE 0 END)::int AS price_changes,
    c.stored::int AS snapshots,
    c.last_seen_at >= m.start_time AS closing_confirmed,
    e.market AS market_expected_home,
    ms.pool_id,
    mr.expected_home AS elo_expected_home,
    r.actual_home,
    (e.market - r.actual_home) * (e.market - r.actual_home) AS market_error,
    (mr.expected_home - r.actual_home) * (mr.expected_home - r.actual_home) AS elo_error
  FROM snap c
  JOIN snap f ON f.match_id = c.match_id AND f.oldest = 1
  JOIN core.matches m ON m.id = c.match_id AND m.status = 'finished'
  CROSS JOIN LATERAL (
    SELECT coalesce(m.home_score_regular, m.home_score) AS home_goals,
      coalesce(m.away_score_regular, m.away_score) AS away_goals
  ) g
  CROSS JOIN LATERAL (
    SELECT CASE WHEN g.home_goals > g.away_goals THEN 'home' WHEN g.home_goals = g.away_goals THEN 'draw'
        ELSE 'away' END AS result,
      CASE WHEN g.home_goals > g.away_goals THEN 1 WHEN g.home_goals = g.away_goals THEN 0.5
        ELSE 0 END::float8 AS actual_home
  ) r
  CROSS JOIN LATERAL (
    SELECT i.home / i.book AS home, i.draw / i.book AS draw, i.away / i.book AS away, i.book
    FROM (SELECT x.home, x.draw, x.away, x.home + x.draw + x.away AS book
      FROM (SELECT 1 / c.opening_home_decimal AS home, 1 / c.opening_draw_decimal AS draw,
        1 / c.opening_away_decimal AS away) x) i
  ) op
  CROSS JOIN LATERAL (
    SELECT i.home / i.book AS home, i.draw / i.book AS draw, i.away / i.book AS away, i.book
    FROM (SELECT x.home, x.draw, x.away, x.home + x.draw + x.away AS book
      FROM (SELECT 1 / c.home_decimal AS home, 1 / c.draw_decimal AS draw, 1 / c.away_decimal AS away) x) i
  ) cp
  CROSS JOIN LATERAL (SELECT cp.home + cp.draw / 2 AS market) e
  LEFT JOIN curated.match_summary ms ON ms.match_id = m.id
  LEFT JOIN ratings.match_ratings mr ON mr.match_id = m.id AND mr.pool_id = ms.pool_id
  WHERE c.newest = 1 AND g.home_goals IS NOT NULL AND g.away_goals IS NOT NULL
),
removed AS (
  DELETE FROM curated.match_odds o USING target
  WHERE o.match_id = target.match_id AND NOT EXISTS (SELECT 1 FROM computed WHERE computed.match_id = o.match_id)
  RETURNING o.match_id
),
written AS (
  INSERT INTO curated.match_odds AS c (${INSERT_COLUMNS})
  SELECT ${INSERT_COLUMNS} FROM computed ORDER BY match_id
  ${UPSERT}
  RETURNING c.match_id
)
SELECT (SELECT count(*) FROM computed)::int AS matches, (SELECT count(*) FROM written)::int AS written,
  (SELECT count(DISTINCT match_id) FROM removed)::int AS removed`,
  );
  return {
    matches: Number(counts?.matches ?? 0),
    written: Number(counts?.written ?? 0),
    removed: Number(counts?.removed ?? 0),
  };
}
