import { z } from 'zod';

/*
 * What matchflow reads from Sofascore, and nothing more. Objects are loose (extra keys are
 * fine); a field is optional where the real recordings show it absent (scores are `{}` before
 * kick-off, `winnerCode` is absent until decided, `changes.changes` is absent until something
 * changed). docs/api-contract.md lists these fields per endpoint.
 */

const id = z.number().int().nonnegative();

/**
 * Unix seconds within 1900..9999: a timestamp beyond what a Date holds would map to an Invalid
 * Date (and on to the database) instead of failing the contract.
 */
const unixSeconds = z.number().int().min(-2_208_988_800).max(253_402_300_799);

const SofascoreTeam = z.looseObject({
  id,
  name: z.string().min(1),
  shortName: z.string().optional(),
  country: z.looseObject({ alpha2: z.string().optional() }).optional(),
});

/** Goals, games or points: a count (a negative one would pass into results and ratings). */
const tally = z.number().int().nonnegative();

/** A score object: keys appear as periods are played; tennis adds `periodNTieBreak`. */
const SofascoreScore = z.looseObject({
  current: tally.optional(),
  display: tally.optional(),
  normaltime: tally.optional(),
  penalties: tally.optional(),
  period1: tally.optional(),
  period2: tally.optional(),
  period3: tally.optional(),
  period4: tally.optional(),
  period5: tally.optional(),
  period1TieBreak: tally.optional(),
  period2TieBreak: tally.optional(),
  period3TieBreak: tally.optional(),
  period4TieBreak: tally.optional(),
  period5TieBreak: tally.optional(),
});

export const SofascoreEventSummary = z.looseObject({
  id,
  /** Unix seconds. */
  startTimestamp: unixSeconds,
  status: z.looseObject({ code: z.number().int(), type: z.string().min(1), description: z.string().optional() }),
  winnerCode: z.number().int().min(0).max(3).optional(),
  homeTeam: SofascoreTeam,
  awayTeam: SofascoreTeam,
  homeScore: SofascoreScore,
  awayScore: SofascoreScore,
  tournament: z.looseObject({
    uniqueTournament: z.looseObject({ id, name: z.string() }),
    category: z.looseObject({ sport: z.looseObject({ slug: z.string() }) }),
  }),
  season: z.looseObject({ id, name: z.string(), year: z.string().optional() }),
  roundInfo: z.looseObject({ round: z.number().int().optional(), name: z.string().optional() }).optional(),
  changes: z.looseObject({ changeTimestamp: unixSeconds.optional() }).optional(),
  /** Tennis court surface, e.g. `Red clay`, `Hardcourt outdoor`, `Grass` (full event only). */
  groundType: z.string().optional(),
});
export type SofascoreEventSummary = z.output<typeof SofascoreEventSummary>;

/** `GET unique-tournament/{id}/seasons` */
export const SofascoreSeasons = z.looseObject({
  seasons: z.array(z.looseObject({ id, name: z.string(), year: z.string().optional() })),
});
export type SofascoreSeasons = z.output<typeof SofascoreSeasons>;

/** `GET unique-tournament/{id}/season/{id}/events/{last|next}/{page}` */
export const SofascoreEventsPage = z.looseObject({
  events: z.array(SofascoreEventSummary),
  hasNextPage: z.boolean(),
});
export type SofascoreEventsPage = z.output<typeof SofascoreEventsPage>;

/** The page envelope alone: events are then checked one by one, so one bad event spoils only itself. */
export const SofascoreEventsPageEnvelope = z.looseObject({
  events: z.array(z.unknown()),
  hasNextPage: z.boolean(),
});

/** `GET event/{id}` */
export const SofascoreEvent = z.looseObject({ event: SofascoreEventSummary });
export type SofascoreEvent = z.output<typeof SofascoreEvent>;

const LineupPlayer = z.looseObject({
  player: z.looseObject({
    id,
    name: z.string().min(1),
    shortName: z.string().optional(),
    position: z.string().optional(),
  }),
  teamId: id.optional(),
  shirtNumber: z.number().int().optional(),
  position: z.string().optional(),
  substitute: z.boolean(),
  statistics: z.looseObject({ minutesPlayed: z.number().int().nonnegative().optional() }).optional(),
});

const LineupSide = z.looseObject({ players: z.array(LineupPlayer) });

/** `GET event/{id}/lineups` */
export const SofascoreLineups = z.looseObject({
  confirmed: z.boolean().optional(),
  home: LineupSide,
  away: LineupSide,
});
export type SofascoreLineups = z.output<typeof SofascoreLineups>;

const IncidentPerson = z.looseObject({ id, name: z.string() });

/** `GET event/{id}/incidents` (newest first). */
export const SofascoreIncidents = z.looseObject({
  incidents: z.array(
    z.looseObject({
      incidentType: z.string().min(1),
      id: id.optional(),
      time: z.number().int().optional(),
      addedTime: z.number().int().optional(),
      isHome: z.boolean().optional(),
      incidentClass: z.string().optional(),
      player: IncidentPerson.optional(),
      assist1: IncidentPerson.optional(),
      playerIn: IncidentPerson.optional(),
      playerOut: IncidentPerson.optional(),
      text: z.string().optional(),
      length: z.number().int().optional(),
      sequence: z.number().int().optional(),
      homeScore: tally.optional(),
      awayScore: tally.optional(),
    }),
  ),
});
export type SofascoreIncidents = z.output<typeof SofascoreIncidents>;

/** `GET event/{id}/statistics` */
export const SofascoreStatistics = z.looseObject({
  statistics: z.array(
    z.looseObject({
      period: z.string(),
      groups: z.array(
        z.looseObject({
          groupName: z.string(),
          statisticsItems: z.array(z.looseObject({ key: z.string(), homeValue: z.number(), awayValue: z.number() })),
        }),
      ),
    }),
  ),
});
export type SofascoreStatistics = z.output<typeof SofascoreStatistics>;
