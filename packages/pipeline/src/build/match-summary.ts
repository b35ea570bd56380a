import { core, curated, type Db, ratings } from '@matchflow/db';
import { and, eq, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { chunks } from '../store/chunks.js';
import { rows } from '../store/sql-rows.js';

/**
 * Replaces the season's match summaries: every match of the competition-season with both sides'
 * names, its result, and (once rated in `pool`) the pre-match ratings and expected score.
 */
export async function writeMatchSummary(tx: Db, seasonId: string, pool: string | undefined): Promise<number> {
  const home = alias(core.participants, 'home');
  const away = alias(core.participants, 'away');
  const matches = core.matches;
  const rated = ratings.matchRatings;
  const rows = await tx
    .select({
      matchId: matches.id,
      competitionId: matches.competitionId,
      seasonId: matches.seasonId,
      startTime: matches.startTime,
      status: matches.status,
      statusDetail: matches.statusDetail,
      round: matches.round,
      homeId: matches.homeId,
      homeName: home.name,
      awayId: matches.awayId,
      awayName: away.name,
      homeScore: matches.homeScore,
      awayScore: matches.awayScore,
      homePenalties: matches.homePenalties,
      awayPenalties: matches.awayPenalties,
      winner: matches.winner,
      homeRatingPre: rated.homePre,
      awayRatingPre: rated.awayPre,
      expectedHome: rated.expectedHome,
    })
    .from(matches)
    .innerJoin(home, eq(home.id, matches.homeId))
    .innerJoin(away, eq(away.id, matches.awayId))
    .leftJoin(rated, and(eq(rated.matchId, matches.id), eq(rated.poolId, pool ?? '')))
    .where(eq(matches.seasonId, seasonId));
  await tx.delete(curated.matchSummary).where(eq(curated.matchSummary.seasonId, seasonId));
  const values = rows.map((row) => ({ ...row, poolId: pool ?? null }));
  for (const chunk of chunks(values)) await tx.insert(curated.matchSummary).values(chunk);
  return values.length;
}

/**
 * Bring the pre-match ratings of every summarised match of `pool`, whatever its season, in line
 * with `ratings.match_ratings`. A ratings run that rewinds the pool (a correction, or seasons
 * finishing out of date order) rewrites the ratings of matches in seasons built before it; the
 * next build of any season of the pool brings them back in line, so a snapshot never pairs one
 * season's current ratings with another's stale ones. Touches only the rows that differ; returns
 * how many.
 */
export async function refreshPoolRatings(tx: Db, pool: string): Promise<number> {
  const refreshed = await rows<{ match_id: string }>(
    tx,
    sql`UPDATE curated.match_summary s
        SET home_rating_pre = current.home_pre, away_rating_pre = current.away_pre,
            expected_home = current.expected_home
        FROM (
          SELECT m.match_id, r.home_pre, r.away_pre, r.expected_home
          FROM curated.match_summary m
          LEFT JOIN ratings.match_ratings r ON r.match_id = m.match_id AND r.pool_id = m.pool_id
          WHERE m.pool_id = ${pool}
        ) AS current
        WHERE s.match_id = current.match_id AND s.pool_id = ${pool}
          AND (s.home_rating_pre, s.away_rating_pre, s.expected_home)
            IS DISTINCT FROM (current.home_pre, current.away_pre, current.expected_home)
        RETURNING s.match_id`,
  );
  return refreshed.length;
}
