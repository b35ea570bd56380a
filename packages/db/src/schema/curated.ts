import { doublePrecision, integer, pgSchema, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/** Curated zone: consumption-ready tables rebuilt per competition-season by the build stage. */
export const curatedZone = pgSchema('curated');

export const standings = curatedZone.table(
  'standings',
  {
    competitionId: text('competition_id').notNull(),
    seasonId: text('season_id').notNull(),
    participantId: text('participant_id').notNull(),
    position: integer('position').notNull(),
    played: integer('played').notNull(),
    won: integer('won').notNull(),
    drawn: integer('drawn').notNull(),
    lost: integer('lost').notNull(),
    goalsFor: integer('goals_for').notNull(),
    goalsAgainst: integer('goals_against').notNull(),
    points: integer('points').notNull(),
    /** Points added (negative: deducted) by the competition; already included in `points`. */
    adjustment: integer('adjustment').notNull().default(0),
    /** Last five results, oldest first: `W`, `D`, `L`. */
    form: text('form').notNull().default(''),
  },
  (table) => [primaryKey({ columns: [table.seasonId, table.participantId] })],
);

/**
 * How well a rating pool's pre-match expected scores predicted results (Brier score, log loss),
 * so parameter sets can be compared. Recomputed by the build.
 */
export const ratingCalibration = curatedZone.table('rating_calibration', {
  poolId: text('pool_id').primaryKey(),
  matches: integer('matches').notNull(),
  brier: doublePrecision('brier'),
  logLoss: doublePrecision('log_loss'),
  /** Start time of the last rated match: the figures are as of then. */
  asOf: timestamp('as_of', { withTimezone: true, mode: 'date' }),
});
