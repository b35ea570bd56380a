import { core, curated, type Db, ratings } from '@matchflow/db';
import { and, asc, desc, eq, inArray, or, sql } from 'drizzle-orm';

/*
 * Reading the ratings zone for operators (`matchflow ratings show`): the pools, a pool's
 * leaderboard and one participant's rating history.
 */

export interface PoolOverview {
  poolId: string;
  participants: number;
  /** Matches rated in the pool. */
  matches: number;
  updatedAt: Date;
}

/** Every rating pool with how many participants and rated matches it holds. */
export async function listRatingPools(db: Db): Promise<PoolOverview[]> {
  const rows = await db
    .select({
      poolId: ratings.pools.id,
      updatedAt: ratings.pools.updatedAt,
      participants: sql<number>`(SELECT count(*)::int FROM ${ratings.currentRatings} WHERE ${ratings.currentRatings.poolId} = ${ratings.pools.id})`,
      matches: sql<number>`(SELECT count(*)::int FROM ${ratings.matchRatings} WHERE ${ratings.matchRatings.poolId} = ${ratings.pools.id})`,
    })
    .from(ratings.pools)
    .orderBy(asc(ratings.pools.id));
  return rows.map((row) => ({ ...row, participants: Number(row.participants), matches: Number(row.matches) }));
}

export interface LeaderboardEntry {
  rank: number;
  participantId: string;
  name: string;
  rating: number;
  games: number;
  lastMatchId: string | null;
  /** Change over the 30 days up to the pool's last match; null when read from current ratings. */
  change30d: number | null;
}

export interface Leaderboard {
  poolId: string;
  /**
   * `curated`: the leaderboard of the last passing build (what snapshots publish);
   * `current`: straight from `ratings.current_ratings` (no build has made a leaderboard yet).
   */
  from: 'curated' | 'current';
  /** Participants in the pool (the list may be cut to `limit`). */
  total: number;
  entries: LeaderboardEntry[];
}

/**
 * A pool's leaderboard, best first: the curated one, or the current ratings when no build has
 * written one. Undefined for a pool without ratings.
 */
export async function ratingLeaderboard(
  db: Db,
  poolId: string,
  options: { limit?: number } = {},
): Promise<Leaderboard | undefined> {
  const limit = options.limit ?? 20;
  const board = curated.ratingLeaderboard;
  const [curatedCount] = await db
    .select({ total: sql<number>`count(*)::int` })
    .from(board)
    .where(eq(board.poolId, poolId));
  if (Number(curatedCount?.total ?? 0) > 0) {
    const rows = await db
      .select()
      .from(board)
      .where(eq(board.poolId, poolId))
      .orderBy(asc(board.rank), asc(board.participantId))
      .limit(limit);
    return {
      poolId,
      from: 'curated',
      total: Number(curatedCount?.total),
      entries: rows.map((row) => ({
        rank: row.rank,
        participantId: row.participantId,
        name: row.name,
        rating: row.rating,
        games: row.games,
        lastMatchId: row.lastMatchId,
        change30d: row.change30d,
      })),
    };
  }
  const current = ratings.currentRatings;
  const [currentCount] = await db
    .select({ total: sql<number>`count(*)::int` })
    .from(current)
    .where(eq(current.poolId, poolId));
  const total = Number(currentCount?.total ?? 0);
  if (total === 0) return undefined;
  const rows = await db
    .select({
      participantId: current.participantId,
      name: core.participants.name,
      rating: current.rating,
      games: current.games,
      lastMatchId: current.lastMatchId,
    })
    .from(current)
    .leftJoin(core.participants, eq(core.participants.id, current.participantId))
    .where(eq(current.poolId, poolId))
    .orderBy(desc(current.rating), asc(current.participantId))
    .limit(limit);
  return {
    poolId,
    from: 'current',
    total,
    entries: rows.map((row, index) => ({
      rank: index + 1,
      participantId: row.participantId,
      name: row.name ?? row.participantId,
      rating: row.rating,
      games: row.games,
      lastMatchId: row.lastMatchId,
      change30d: null,
    })),
  };
}

export interface RatingHistoryEntry {
  matchId: string;
  startTime: Date;
  season: string | null;
  side: 'home' | 'away';
  opponentId: string;
  opponentName: string;
  pre: number;
  post: number;
  /** The participant's expected score, 0..1. */
  expected: number;
  /** The participant's actual score: 1, 0.5 or 0. */
  actual: number;
  /** False when the pool skipped the result (a walkover) and the rating did not move. */
  counted: boolean;
}

export interface RatingHistory {
  poolId: string;
  participantId: string;
  name: string;
  /** Rated matches of the participant in the pool (the list may be cut to `limit`). */
  total: number;
  /** Newest first. */
  entries: RatingHistoryEntry[];
}

/** One participant's rated matches in a pool, newest first; undefined when it has none. */
export async function ratingHistory(
  db: Db,
  poolId: string,
  participantId: string,
  options: { limit?: number } = {},
): Promise<RatingHistory | undefined> {
  const rated = ratings.matchRatings;
  const involves = and(eq(rated.poolId, poolId), or(eq(rated.homeId, participantId), eq(rated.awayId, participantId)));
  const [count] = await db.select({ total: sql<number>`count(*)::int` }).from(rated).where(involves);
  const total = Number(count?.total ?? 0);
  if (total === 0) return undefined;
  const rows = await db
    .select()
    .from(rated)
    .where(involves)
    .orderBy(desc(rated.startTime), desc(rated.matchId))
    .limit(options.limit ?? 20);
  const ids = [...new Set([participantId, ...rows.flatMap((row) => [row.homeId, row.awayId])])];
  const names = new Map(
    (
      await db
        .select({ id: core.participants.id, name: core.participants.name })
        .from(core.participants)
        .where(inArray(core.participants.id, ids))
    ).map((row) => [row.id, row.name]),
  );
  return {
    poolId,
    participantId,
    name: names.get(participantId) ?? participantId,
    total,
    entries: rows.map((row) => {
      const home = row.homeId === participantId;
      const opponentId = home ? row.awayId : row.homeId;
      return {
        matchId: row.matchId,
        startTime: row.startTime,
        season: row.season,
        side: home ? 'home' : 'away',
        opponentId,
        opponentName: names.get(opponentId) ?? opponentId,
        pre: home ? row.homePre : row.awayPre,
        post: home ? row.homePost : row.awayPost,
        expected: home ? row.expectedHome : 1 - row.expectedHome,
        actual: home ? row.actualHome : 1 - row.actualHome,
        counted: row.counted,
      };
    }),
  };
}
