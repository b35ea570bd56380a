import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

/** Ratings zone: Elo state per rating pool, replayable from core. */
export const ratingsZone = pgSchema('ratings');

export const pools = ratingsZone.table('pools', {
  id: text('id').primaryKey(),
  /** The pool's parameters when its ratings were last computed; a change forces a full replay. */
  params: jsonb('params').notNull(),
  paramsHash: text('params_hash').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export const matchRatings = ratingsZone.table(
  'match_ratings',
  {
    poolId: text('pool_id')
      .notNull()
      .references(() => pools.id, { onDelete: 'cascade' }),
    matchId: text('match_id').notNull(),
    startTime: timestamp('start_time', { withTimezone: true, mode: 'date' }).notNull(),
    homeId: text('home_id').notNull(),
    awayId: text('away_id').notNull(),
    homePre: doublePrecision('home_pre').notNull(),
    awayPre: doublePrecision('away_pre').notNull(),
    homePost: doublePrecision('home_post').notNull(),
    awayPost: doublePrecision('away_post').notNull(),
    /** Expected score of the home side, 0..1, home advantage included. */
    expectedHome: doublePrecision('expected_home').notNull(),
    /** Home's actual score: 1, 0.5 or 0. */
    actualHome: doublePrecision('actual_home').notNull().default(0.5),
    /** False when the pool skips explicit results (walkovers) and ratings did not move. */
    counted: boolean('counted').notNull().default(true),
    /** Season label the engine saw (for season regression). */
    season: text('season'),
    /** Games each side had played before this match: with the post ratings, the state to resume from. */
    homeGames: integer('home_games').notNull().default(0),
    awayGames: integer('away_games').notNull().default(0),
  },
  (table) => [
    primaryKey({ columns: [table.poolId, table.matchId] }),
    index('match_ratings_order').on(table.poolId, table.startTime, table.matchId),
  ],
);

export const currentRatings = ratingsZone.table(
  'current_ratings',
  {
    poolId: text('pool_id')
      .notNull()
      .references(() => pools.id, { onDelete: 'cascade' }),
    participantId: text('participant_id').notNull(),
    rating: doublePrecision('rating').notNull(),
    games: integer('games').notNull(),
    lastMatchId: text('last_match_id'),
    /** Season label of the participant's last rated match. */
    season: text('season'),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.poolId, table.participantId] })],
);

/**
 * Positions in a pool from which ratings are stale: ingest adds one when a result appears or
 * changes; the ratings stage replays from the earliest and removes the ones it read. A row per
 * mark, never updated: ingests of one pool do not wait for each other on a shared row.
 */
export const dirtyMarkers = ratingsZone.table(
  'dirty_markers',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    poolId: text('pool_id').notNull(),
    fromStartTime: timestamp('from_start_time', { withTimezone: true, mode: 'date' }).notNull(),
    fromMatchId: text('from_match_id').notNull(),
    markedAt: timestamp('marked_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [index('dirty_markers_pool').on(table.poolId)],
);
