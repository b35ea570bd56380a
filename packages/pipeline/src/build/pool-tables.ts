import { core, curated, type Db, ratings } from '@matchflow/db';
import { calibrate } from '@matchflow/ratings';
import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import { chunks } from '../store/chunks.js';

const THIRTY_DAYS_MS = 30 * 86_400_000;

/** Rating order, ids compared byte-wise as the ratings stage does. */
const inRatingOrder = [asc(ratings.matchRatings.startTime), asc(sql`${ratings.matchRatings.matchId} COLLATE "C"`)];

/**
 * Brier score and log loss of the pool's pre-match expected scores, summed in rating order so
 * the figures are reproducible to the bit. Returns the matches behind them.
 */
export async function writeCalibration(tx: Db, pool: string): Promise<number> {
  const table = ratings.matchRatings;
  const rated = await tx
    .select({
      expectedHome: table.expectedHome,
      actualHome: table.actualHome,
      counted: table.counted,
      startTime: table.startTime,
    })
    .from(table)
    .where(eq(table.poolId, pool))
    .orderBy(...inRatingOrder);
  const figures = calibrate(rated);
  const row = {
    matches: figures.matches,
    brier: figures.matches > 0 ? figures.brier : null,
    logLoss: figures.matches > 0 ? figures.logLoss : null,
    asOf: rated.at(-1)?.startTime ?? null,
  };
  await tx
    .insert(curated.ratingCalibration)
    .values({ poolId: pool, ...row })
    .onConflictDoUpdate({ target: curated.ratingCalibration.poolId, set: row });
  return figures.matches;
}

/**
 * The pool's leaderboard: current ratings ranked (rating, then id), with each participant's
 * change over the 30 days up to the pool's last rated match: its rating now minus its rating
 * before its first counted match in that window (0 when it played none). Returns the rows.
 */
export async function writeLeaderboard(tx: Db, pool: string): Promise<number> {
  const current = await tx
    .select({
      participantId: ratings.currentRatings.participantId,
      name: core.participants.name,
      rating: ratings.currentRatings.rating,
      games: ratings.currentRatings.games,
      lastMatchId: ratings.currentRatings.lastMatchId,
    })
    .from(ratings.currentRatings)
    .innerJoin(core.participants, eq(core.participants.id, ratings.currentRatings.participantId))
    .where(eq(ratings.currentRatings.poolId, pool));
  const [last] = await tx
    .select({ startTime: ratings.matchRatings.startTime })
    .from(ratings.matchRatings)
    .where(eq(ratings.matchRatings.poolId, pool))
    .orderBy(desc(ratings.matchRatings.startTime), desc(sql`${ratings.matchRatings.matchId} COLLATE "C"`))
    .limit(1);

  const ratingBeforeWindow = new Map<string, number>();
  if (last) {
    const table = ratings.matchRatings;
    const recent = await tx
      .select({ homeId: table.homeId, awayId: table.awayId, homePre: table.homePre, awayPre: table.awayPre })
      .from(table)
      .where(
        and(
          eq(table.poolId, pool),
          eq(table.counted, true),
          gt(table.startTime, new Date(last.startTime.getTime() - THIRTY_DAYS_MS)),
        ),
      )
      .orderBy(...inRatingOrder);
    for (const match of recent) {
      if (!ratingBeforeWindow.has(match.homeId)) ratingBeforeWindow.set(match.homeId, match.homePre);
      if (!ratingBeforeWindow.has(match.awayId)) ratingBeforeWindow.set(match.awayId, match.awayPre);
    }
  }

  const ranked = current.sort(
    (a, b) =>
      b.rating - a.rating || (a.participantId < b.participantId ? -1 : a.participantId > b.participantId ? 1 : 0),
  );
  await tx.delete(curated.ratingLeaderboard).where(eq(curated.ratingLeaderboard.poolId, pool));
  const rows = ranked.map((entry, index) => ({
    poolId: pool,
    rank: index + 1,
    ...entry,
    change30d: entry.rating - (ratingBeforeWindow.get(entry.participantId) ?? entry.rating),
  }));
  for (const chunk of chunks(rows)) await tx.insert(curated.ratingLeaderboard).values(chunk);
  return rows.length;
}
