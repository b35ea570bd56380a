import { z } from 'zod';

/*
 * football-data.org API v4: the fields our adapter reads, nothing more. Objects are not strict,
 * so fields we ignore (crest, tla, referees, odds, halfTime, ...) may come, go or change shape
 * without breaking us. What recordings from the real API show, and the schema allows:
 * - every score number is null until kick-off (`fullTime: {home: null, away: null}`);
 * - `regularTime`, `extraTime`, `penalties` appear only for knockout matches, and `regularTime`
 *   may hold nulls even after a shoot-out;
 * - `matchday` is null for some cup rounds, `shortName` for some small clubs.
 * Not in our recordings but seen in other public ones: team `id` and `name` are null while a
 * knockout fixture's teams are not yet known, and older API versions sent a `penalties` node of
 * nulls on every match. We also let a competition's `code` be null (the adapter then falls back
 * to the numeric id) rather than fail a whole listing over one obscure competition.
 */

const upstreamId = z.number().int().nonnegative();

/** `2022-09-04T13:00:00Z` */
const utcInstant = z.iso.datetime();

/** `2022-08-07` */
const calendarDate = z.iso.date();

export const FootballDataArea = z.object({
  name: z.string(),
  /** Mostly ISO 3166 alpha-3 (`FRA`), `ENG` for England, region codes (`EUR`, `INT`) for the rest. */
  code: z.string().nullable(),
});
export type FootballDataArea = z.infer<typeof FootballDataArea>;

export const FootballDataCompetitionRef = z.object({
  id: upstreamId,
  name: z.string(),
  code: z.string().nullable(),
});
export type FootballDataCompetitionRef = z.infer<typeof FootballDataCompetitionRef>;

export const FootballDataSeasonRef = z.object({
  id: upstreamId,
  startDate: calendarDate,
  endDate: calendarDate,
});
export type FootballDataSeasonRef = z.infer<typeof FootballDataSeasonRef>;

export const FootballDataTeam = z.object({
  id: upstreamId.nullable(),
  // Null while a knockout fixture's team is not known; never empty (a participant needs a name).
  name: z.string().min(1).nullable(),
  shortName: z.string().nullable().optional(),
});
export type FootballDataTeam = z.infer<typeof FootballDataTeam>;

/** Goals per side; both null until the period has started. */
export const FootballDataGoals = z.object({
  home: z.number().int().nonnegative().nullable(),
  away: z.number().int().nonnegative().nullable(),
});
export type FootballDataGoals = z.infer<typeof FootballDataGoals>;

export const FootballDataMatchStatus = z.enum([
  'SCHEDULED',
  'TIMED',
  'IN_PLAY',
  'PAUSED',
  'LIVE',
  'FINISHED',
  'AWARDED',
  'POSTPONED',
  'SUSPENDED',
  'CANCELLED',
]);
export type FootballDataMatchStatus = z.infer<typeof FootballDataMatchStatus>;

export const FootballDataScore = z.object({
  winner: z.enum(['HOME_TEAM', 'AWAY_TEAM', 'DRAW']).nullable(),
  duration: z.enum(['REGULAR', 'EXTRA_TIME', 'PENALTY_SHOOTOUT']),
  /** The running score; after a shoot-out it includes the shoot-out goals (see the adapter). */
  fullTime: FootballDataGoals,
  regularTime: FootballDataGoals.optional(),
  /** Goals scored in extra time only. */
  extraTime: FootballDataGoals.optional(),
  /** Goals scored in the shoot-out only. */
  penalties: FootballDataGoals.optional(),
});
export type FootballDataScore = z.infer<typeof FootballDataScore>;

export const FootballDataMatch = z.object({
  id: upstreamId,
  area: FootballDataArea,
  competition: FootballDataCompetitionRef,
  season: FootballDataSeasonRef,
  utcDate: utcInstant,
  status: FootballDataMatchStatus,
  matchday: z.number().int().nullable(),
  /** `REGULAR_SEASON`, `GROUP_STAGE`, `QUALIFICATION_ROUND_1`, `PLAYOFF_ROUND`, ... */
  stage: z.string(),
  lastUpdated: utcInstant,
  homeTeam: FootballDataTeam,
  awayTeam: FootballDataTeam,
  score: FootballDataScore,
});
export type FootballDataMatch = z.infer<typeof FootballDataMatch>;

/** `GET /competitions` */
export const FootballDataCompetitions = z.object({
  competitions: z.array(
    z.object({
      id: upstreamId,
      name: z.string(),
      code: z.string().nullable(),
      area: FootballDataArea,
    }),
  ),
});
export type FootballDataCompetitions = z.infer<typeof FootballDataCompetitions>;

/** `GET /competitions/{code}/matches?season=YYYY` */
export const FootballDataMatches = z.object({
  competition: FootballDataCompetitionRef,
  matches: z.array(FootballDataMatch),
});
export type FootballDataMatches = z.infer<typeof FootballDataMatches>;
