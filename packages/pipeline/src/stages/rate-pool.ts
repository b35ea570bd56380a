import type { Config, RatingPoolSettings } from '@matchflow/config';
import { core, type Db, ratings } from '@matchflow/db';
import type { RatingsJob } from '@matchflow/queues';
import { and, eq, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import { computePlainElo, type EloSettings } from '../rate/plain-elo.js';
import { sha256Hex } from '../store/raw-payloads.js';

export interface RateResult {
  matches: number;
  participants: number;
}

/**
 * `ratings(pool)`: recompute the pool from every finished match of its competitions with a
 * plain Elo (the full engine with incremental replay replaces this). One writer per pool: a
 * transaction-scoped advisory lock serialises concurrent jobs. Idempotent: the same matches give
 * the same rows, timestamps included (they are "as of the last match rated").
 */
export async function ratePool(
  deps: { db: Db; config: Pick<Config, 'competitions' | 'ratingPools'> },
  job: RatingsJob,
): Promise<RateResult> {
  const pool = deps.config.ratingPools[job.pool];
  if (!pool) throw new Error(`ratings: pool '${job.pool}' is not configured`);
  const competitionIds = deps.config.competitions
    .filter((competition) => competition.ratingPool === job.pool)
    .map((competition) => competition.id);
  const settings = eloSettings(pool);

  return deps.db.transaction(async (txn) => {
    const tx = txn as unknown as Db;
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`matchflow.ratings.${job.pool}`}))`);
    const rows =
      competitionIds.length === 0
        ? []
        : await tx
            .select()
            .from(core.matches)
            .where(
              and(
                inArray(core.matches.competitionId, competitionIds),
                eq(core.matches.status, 'finished'),
                isNotNull(core.matches.homeScore),
                isNotNull(core.matches.awayScore),
              ),
            );
    const { matchRatings, current } = computePlainElo(
      rows.map((row) => ({
        id: row.id,
        startTime: row.startTime,
        homeId: row.homeId,
        awayId: row.awayId,
        homeScore: row.homeScore as number,
        awayScore: row.awayScore as number,
        neutral: row.neutral,
      })),
      settings,
    );
    const asOf = rows.reduce((latest, row) => (row.startTime > latest ? row.startTime : latest), new Date(0));
    const lastPlayed = new Map(matchRatings.map((rating) => [rating.matchId, rating.startTime]));

    await tx
      .insert(ratings.pools)
      .values({ id: job.pool, params: settings, paramsHash: sha256Hex(JSON.stringify(settings)), updatedAt: asOf })
      .onConflictDoUpdate({
        target: ratings.pools.id,
        set: { params: settings, paramsHash: sha256Hex(JSON.stringify(settings)), updatedAt: asOf },
      });
    await tx.delete(ratings.matchRatings).where(eq(ratings.matchRatings.poolId, job.pool));
    await tx.delete(ratings.currentRatings).where(eq(ratings.currentRatings.poolId, job.pool));
    for (const chunk of chunks(matchRatings, 500)) {
      await tx.insert(ratings.matchRatings).values(chunk.map((rating) => ({ poolId: job.pool, ...rating })));
    }
    for (const chunk of chunks(current, 500)) {
      await tx.insert(ratings.currentRatings).values(
        chunk.map((rating) => ({
          poolId: job.pool,
          ...rating,
          updatedAt: lastPlayed.get(rating.lastMatchId) ?? asOf,
        })),
      );
    }
    // Inside a transaction now() is its start: markers set after that stay, for changes this
    // computation may not have seen.
    await tx
      .delete(ratings.dirtyMarkers)
      .where(and(eq(ratings.dirtyMarkers.poolId, job.pool), lte(ratings.dirtyMarkers.markedAt, sql`now()`)));
    return { matches: matchRatings.length, participants: current.length };
  });
}

function eloSettings(pool: RatingPoolSettings): EloSettings {
  // A K schedule by games played is the full engine's; the plain Elo takes its first step.
  const k = typeof pool.k === 'number' ? pool.k : (pool.k[0]?.k ?? 20);
  return { initialRating: pool.initialRating, k, scale: pool.scale, homeAdvantage: pool.homeAdvantage };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += size) result.push(items.slice(index, index + size));
  return result;
}
