import { z } from 'zod';

/*
 * What matchflow reads from Sofascore, and nothing more. Objects are loose (extra keys are
 * fine); a field is optional where the real recordings show it absent (scores are `{}` before
 * kick-off, `winnerCode` is absent until decided, `changes.changes` is absent until something
 * changed). docs/api-contract.md lists these fields per endpoint.
 */

const id = z.number().int().nonnegative();

const SofascoreTeam = z.looseObject({
  id,
  name: z.string().min(1),
  shortName: z.string().optional(),
  country: z.looseObject({ alpha2: z.string().optional() }).optional(),
});

/** A score object: keys appear as periods are played; tennis adds `periodNTieBreak`. */
const SofascoreScore = z.looseObject({
  current: z.number().int().optional(),
  display: z.number().int().optional(),
  normaltime: z.number().int().optional(),
  penalties: z.number().int().optional(),
  period1: z.number().int().optional(),
  period2: z.number().int().optional(),
  period3: z.number().int().optional(),
  period4: z.number().int().optional(),
  period5: z.number().int().optional(),
  period1TieBreak: z.number().int().optional(),
  period2TieBreak: z.number().int().optional(),
  period3TieBreak: z.number().int().optional(),
  period4TieBreak: z.number().int().optional(),
  period5TieBreak: z.number().int().optional(),
});

export const SofascoreEventSummary = z.looseObject({
  id,
  /** Unix seconds. */
  startTimestamp: z.number().int(),
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
  changes: z.looseObject({ changeTimestamp: z.number().int().optional() }).optional(),
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
  player: z.looseObject({ id, name: z.string(), shortName: z.string().optional(), position: z.string().optional() }),
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
      homeScore: z.number().int().optional(),
      awayScore: z.number().int().optional(),
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
