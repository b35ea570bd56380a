import type { Db } from '@matchflow/db';
import { sqlRows as rows } from '@matchflow/pipeline';
import { type SQL, sql } from 'drizzle-orm';

/*
 * What the ratings pages show, read straight from the ratings zone (`ratings.pools`,
 * `ratings.match_ratings`, `ratings.current_ratings`) with names from `core.participants`. A few
 * queries per page whatever the pool's size: the sparklines of a whole leaderboard are one query
 * (a window function), the calibration bins one more. Times come back as epoch milliseconds so
 * both drivers give the same values. Matches are ordered as the ratings stage rates them: start
 * time, then match id byte-wise.
 */

/** Calibration bins over the expected home score: [0, 0.1), [0.1, 0.2), ..., [0.9, 1]. */
export const CALIBRATION_BINS = 10;
/** Points in a leaderboard sparkline: the participant's newest rated matches. */
export const SPARKLINE_MATCHES = 30;

/** Expected scores are clamped this far from 0 and 1 for log loss, as `calibrate()` in @matchflow/ratings does. */
const EPSILON = 1e-15;

const num = (value: unknown): number => Number(value ?? 0);
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const textOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

export interface PoolSummary {
  poolId: string;
  /** Participants with a current rating. */
  participants: number;
  /** Rows in `ratings.match_ratings`, counted or not. */
  matches: number;
  /** Matches that moved ratings (`counted`): what Brier is over. */
  counted: number;
  lastMatchMs: number | null;
  /** Mean squared error of the expected home score over counted matches; null without any. */
  brier: number | null;
}

/** Every rating pool, by id. */
export function ratingPools(db: Db): Promise<PoolSummary[]> {
  return pools(db, sql`true`);
}

/** One pool's summary; undefined when there is no such pool. */
export async function ratingPool(db: Db, poolId: string): Promise<PoolSummary | undefined> {
  return (await pools(db, sql`p.id = ${poolId}`))[0];
}

async function pools(db: Db, where: SQL): Promise<PoolSummary[]> {
  const found = await rows<Record<string, unknown>>(
    db,
    sql`SELECT p.id,
          (SELECT count(*)::int FROM ratings.current_ratings c WHERE c.pool_id = p.id) AS participants,
          m.matches, m.counted, m.last_ms, m.brier
        FROM ratings.pools p
        LEFT JOIN LATERAL (
          SELECT count(*)::int AS matches,
            (count(*) FILTER (WHERE counted))::int AS counted,
            extract(epoch FROM max(start_time))::float8 * 1000 AS last_ms,
            (avg((expected_home - actual_home) ^ 2) FILTER (WHERE counted))::float8 AS brier
          FROM ratings.match_ratings r WHERE r.pool_id = p.id
        ) m ON true
        WHERE ${where}
        ORDER BY p.id COLLATE "C"`,
  );
  return found.map((row) => ({
    poolId: String(row.id),
    participants: num(row.participants),
    matches: num(row.matches),
    counted: num(row.counted),
    lastMatchMs: numOrNull(row.last_ms),
    brier: numOrNull(row.brier),
  }));
}

export interface SparkPoint {
  matchId: string;
  startMs: number;
  /** The rating after the match. */
  post: number;
}

export interface LeaderboardRow {
  rank: number;
  participantId: string;
  /** From `core.participants`; null when core has no such participant. */
  name: string | null;
  rating: number;
  games: number;
  lastMatchId: string | null;
  lastMatchMs: number | null;
  /** The newest `SPARKLINE_MATCHES` rated matches (counted or not), oldest first. */
  history: SparkPoint[];
}

/**
 * The pool's best `limit` participants by current rating (ties by id, byte-wise), with each
 * one's sparkline history: two queries, the second a window over the pool's rows of those
 * participants.
 */
export async function poolLeaderboard(db: Db, poolId: string, limit: number): Promise<LeaderboardRow[]> {
  const top = sql`SELECT participant_id, rating, games, last_match_id FROM ratings.current_ratings
    WHERE pool_id = ${poolId} ORDER BY rating DESC, participant_id COLLATE "C" LIMIT ${limit}`;
  const [board, history] = await Promise.all([
    rows<Record<string, unknown>>(
      db,
      sql`SELECT t.participant_id, t.rating, t.games, t.last_match_id, p.name,
            extract(epoch FROM lm.start_time)::float8 * 1000 AS last_ms
          FROM (${top}) t
          LEFT JOIN core.participants p ON p.id = t.participant_id
          LEFT JOIN ratings.match_ratings lm ON lm.pool_id = ${poolId} AND lm.match_id = t.last_match_id
          ORDER BY t.rating DESC, t.participant_id COLLATE "C"`,
    ),
    rows<Record<string, unknown>>(
      db,
      sql`WITH top AS (${top}),
          sides AS (
            SELECT r.home_id AS participant_id, r.match_id, r.start_time, r.home_post AS post
            FROM ratings.match_ratings r JOIN top ON top.participant_id = r.home_id WHERE r.pool_id = ${poolId}
            UNION ALL
            SELECT r.away_id, r.match_id, r.start_time, r.away_post
            FROM ratings.match_ratings r JOIN top ON top.participant_id = r.away_id WHERE r.pool_id = ${poolId}
          ),
          numbered AS (
            SELECT participant_id, match_id, start_time, post,
              row_number() OVER (PARTITION BY participant_id ORDER BY start_time DESC, match_id COLLATE "C" DESC) AS n
            FROM sides
          )
          SELECT participant_id, match_id, extract(epoch FROM start_time)::float8 * 1000 AS start_ms, post
          FROM numbered WHERE n <= ${SPARKLINE_MATCHES}
          ORDER BY participant_id, start_time, match_id COLLATE "C"`,
    ),
  ]);
  const byParticipant = new Map<string, SparkPoint[]>();
  for (const row of history) {
    const id = String(row.participant_id);
    const list = byParticipant.get(id) ?? [];
    list.push({ matchId: String(row.match_id), startMs: num(row.start_ms), post: num(row.post) });
    byParticipant.set(id, list);
  }
  return board.map((row, index) => {
    const participantId = String(row.participant_id);
    return {
      rank: index + 1,
      participantId,
      name: textOrNull(row.name),
      rating: num(row.rating),
      games: num(row.games),
      lastMatchId: textOrNull(row.last_match_id),
      lastMatchMs: numOrNull(row.last_ms),
      history: byParticipant.get(participantId) ?? [],
    };
  });
}

export interface CalibrationBin {
  /** 0 .. CALIBRATION_BINS - 1: expected home score in [index / 10, (index + 1) / 10). */
  index: number;
  from: number;
  to: number;
  matches: number;
  /** Means over the bin's matches; null for an empty bin. */
  meanExpected: number | null;
  meanActual: number | null;
}

export interface PoolCalibration {
  /** Counted matches: those the figures are over. */
  matches: number;
  /** Mean of (expected - actual)^2 of the home side; null without matches. */
  brier: number | null;
  /** Mean cross-entropy in nats (expected clamped 1e-15 from 0 and 1); null without matches. */
  logLoss: number | null;
  /** Every bin, empty ones too, lowest first. */
  bins: CalibrationBin[];
}

/**
 * The pool's calibration over its counted matches: Brier score, log loss (as `calibrate()` in
 * @matchflow/ratings, summed by PostgreSQL so the last digits may differ) and the reliability
 * bins of the expected home score, in one query.
 */
export async function poolCalibration(db: Db, poolId: string): Promise<PoolCalibration> {
  const clamped = sql`greatest(least(expected_home, ${1 - EPSILON}::float8), ${EPSILON}::float8)`;
  const found = await rows<Record<string, unknown>>(
    db,
    sql`SELECT least(floor(expected_home * ${CALIBRATION_BINS})::int, ${CALIBRATION_BINS - 1}) AS bin,
          count(*)::int AS matches,
          sum(expected_home)::float8 AS expected,
          sum(actual_home)::float8 AS actual,
          sum((expected_home - actual_home) ^ 2)::float8 AS squared,
          sum(-(actual_home * ln(${clamped}) + (1 - actual_home) * ln(1 - ${clamped})))::float8 AS entropy
        FROM ratings.match_ratings
        WHERE pool_id = ${poolId} AND counted
        GROUP BY 1`,
  );
  const bins: CalibrationBin[] = Array.from({ length: CALIBRATION_BINS }, (_, index) => ({
    index,
    from: index / CALIBRATION_BINS,
    to: (index + 1) / CALIBRATION_BINS,
    matches: 0,
    meanExpected: null,
    meanActual: null,
  }));
  let matches = 0;
  let squared = 0;
  let entropy = 0;
  for (const row of found) {
    const bin = bins[Math.max(0, num(row.bin))];
    const count = num(row.matches);
    if (!bin || count === 0) continue;
    bin.matches = count;
    bin.meanExpected = num(row.expected) / count;
    bin.meanActual = num(row.actual) / count;
    matches += count;
    squared += num(row.squared);
    entropy += num(row.entropy);
  }
  return {
    matches,
    brier: matches > 0 ? squared / matches : null,
    logLoss: matches > 0 ? entropy / matches : null,
    bins,
  };
}

export interface ParticipantMatch {
  matchId: string;
  startMs: number;
  season: string | null;
  side: 'home' | 'away';
  opponentId: string;
  opponentName: string | null;
  /** The participant's expected score, 0..1, and its actual one (1, 0.5, 0). */
  expected: number;
  actual: number;
  pre: number;
  post: number;
  /** False when the pool skipped the result (a walkover) and the rating did not move. */
  counted: boolean;
}

export interface ParticipantHistory {
  participantId: string;
  name: string | null;
  /** From `ratings.current_ratings`; null when the participant has none in this pool. */
  current: { rating: number; games: number } | null;
  /** Every rated match of the participant in the pool, home or away, oldest first. */
  matches: ParticipantMatch[];
}

/**
 * A participant's rating history in a pool: every row of `ratings.match_ratings` it is in, with
 * its opponents' names. Undefined when the pool has neither a current rating nor a match for it.
 */
export async function participantHistory(
  db: Db,
  poolId: string,
  participantId: string,
): Promise<ParticipantHistory | undefined> {
  const [head, found] = await Promise.all([
    rows<Record<string, unknown>>(
      db,
      sql`SELECT p.name, c.rating, c.games
          FROM (SELECT 1) one
          LEFT JOIN core.participants p ON p.id = ${participantId}
          LEFT JOIN ratings.current_ratings c ON c.pool_id = ${poolId} AND c.participant_id = ${participantId}`,
    ),
    rows<Record<string, unknown>>(
      db,
      sql`SELECT r.match_id, extract(epoch FROM r.start_time)::float8 * 1000 AS start_ms, r.season,
            r.home_id, r.away_id, r.home_pre, r.away_pre, r.home_post, r.away_post,
            r.expected_home, r.actual_home, r.counted, o.name AS opponent_name
          FROM ratings.match_ratings r
          LEFT JOIN core.participants o
            ON o.id = CASE WHEN r.home_id = ${participantId} THEN r.away_id ELSE r.home_id END
          WHERE r.pool_id = ${poolId} AND (r.home_id = ${participantId} OR r.away_id = ${participantId})
          ORDER BY r.start_time, r.match_id COLLATE "C"`,
    ),
  ]);
  const first = head[0];
  const current =
    first && first.rating !== null && first.rating !== undefined
      ? { rating: num(first.rating), games: num(first.games) }
      : null;
  if (!current && found.length === 0) return undefined;
  return {
    participantId,
    name: textOrNull(first?.name),
    current,
    matches: found.map((row) => {
      const home = row.home_id === participantId;
      const expectedHome = num(row.expected_home);
      const actualHome = num(row.actual_home);
      return {
        matchId: String(row.match_id),
        startMs: num(row.start_ms),
        season: textOrNull(row.season),
        side: home ? 'home' : 'away',
        opponentId: String(home ? row.away_id : row.home_id),
        opponentName: textOrNull(row.opponent_name),
        expected: home ? expectedHome : 1 - expectedHome,
        actual: home ? actualHome : 1 - actualHome,
        pre: num(home ? row.home_pre : row.away_pre),
        post: num(home ? row.home_post : row.away_post),
        counted: row.counted === true,
      };
    }),
  };
}
