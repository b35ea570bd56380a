import { core, curated, type Db, ratings } from '@matchflow/db';
import { and, eq } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { chunks } from '../store/chunks.js';

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
