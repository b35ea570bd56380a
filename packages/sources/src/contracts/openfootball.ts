import { z } from 'zod';

/*
 * openfootball football.json season files (`/2024-25/en.1.json`): the fields our adapter reads.
 * Checked against every league file from 2010-11 to 2025-26 (en.1, de.1, es.1):
 * - all use `{name, matches: [...]}`; no file uses the older `rounds: [{matches}]` layout;
 * - `score` is `{}` for a match not yet played (never absent in these files, but allowed);
 * - `ht` is missing on some played matches (we do not read it);
 * - `time` is missing for fixtures whose kick-off is not yet fixed (90 in es.1 2025-26);
 * - a few matches carry `status`: `awarded` (de.1 2024-25, Union Berlin v Bochum) and
 *   `postponed` (en.1 2025-26, Manchester City v Crystal Palace).
 * Other openfootball files (worldcup.json) append the venue's offset to the time, `13:00 UTC-6`.
 */

/** `[home, away]` goals. */
const GoalPair = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]);

/**
 * `20:00`, or with the venue's offset: `13:00 UTC-6`, `19:30 UTC+5:30`, `16:00 UTC`.
 * Groups: 1 hour, 2 minute, 3 `UTC` when an offset is given, 4 sign, 5 offset hours, 6 offset minutes.
 */
export const OPENFOOTBALL_TIME = /^([01]?\d|2[0-3]):([0-5]\d)(?:\s*(UTC)(?:([+-])(\d{1,2})(?::?([0-5]\d))?)?)?$/;

export const OpenfootballScore = z.object({
  /** After 90 minutes. */
  ft: GoalPair.optional(),
  /** After extra time, cumulative (includes `ft`). */
  et: GoalPair.optional(),
  /** Shoot-out goals only. */
  p: GoalPair.optional(),
});
export type OpenfootballScore = z.infer<typeof OpenfootballScore>;

export const OpenfootballMatch = z.object({
  /** `Matchday 12` in league files; free text elsewhere (`Round of 16`, `Final`). */
  round: z.string(),
  /** Local date of kick-off, `2024-08-16`. */
  date: z.iso.date(),
  /** Local kick-off time; see OPENFOOTBALL_TIME. */
  time: z.string().regex(OPENFOOTBALL_TIME, 'must look like 20:00 or 13:00 UTC-6').optional(),
  team1: z.string().trim().min(1),
  team2: z.string().trim().min(1),
  score: OpenfootballScore.optional(),
  /** Only on exceptions: `awarded`, `postponed`. */
  status: z.string().optional(),
});
export type OpenfootballMatch = z.infer<typeof OpenfootballMatch>;

/** `GET /{season}/{competition}.json` */
export const OpenfootballSeason = z.object({
  /** `English Premier League 2024/25` */
  name: z.string(),
  matches: z.array(OpenfootballMatch),
});
export type OpenfootballSeason = z.infer<typeof OpenfootballSeason>;
