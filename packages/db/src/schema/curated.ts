import { integer, pgSchema, primaryKey, text } from 'drizzle-orm/pg-core';

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
  },
  (table) => [primaryKey({ columns: [table.seasonId, table.participantId] })],
);
