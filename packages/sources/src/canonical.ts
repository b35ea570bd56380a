/**
 * Canonical records: what every adapter turns its upstream's payloads into, whatever the
 * source. Ids here are the upstream's own, as strings; the pipeline maps them to core ids.
 * Times are Date (UTC).
 */

export type Sport = 'football' | 'tennis';

export type MatchStatus = 'notstarted' | 'inprogress' | 'finished' | 'postponed' | 'canceled';

/** How a finished (or stopped) match ended, beyond the plain status. */
export type StatusDetail =
  | 'regular'
  | 'after-extra-time'
  | 'after-penalties'
  | 'retired'
  | 'walkover'
  | 'awarded'
  | 'abandoned'
  | undefined;

export interface CanonicalCompetition {
  source: string;
  sourceId: string;
  name: string;
  sport: Sport;
  country: string | undefined;
}

export interface CanonicalSeason {
  source: string;
  sourceId: string;
  competitionSourceId: string;
  name: string;
  /** As the upstream labels it: `24/25`, `2024`. */
  year: string | undefined;
}

export interface CanonicalParticipant {
  source: string;
  sourceId: string;
  kind: 'team' | 'player';
  name: string;
  shortName: string | undefined;
  /** ISO-3166 alpha-2 (or the upstream's code) where known. */
  country: string | undefined;
}

export interface Score {
  home: number;
  away: number;
}

/** A tennis set (or any period with its own score). */
export interface PeriodScore extends Score {
  tiebreak: Score | undefined;
}

export interface CanonicalMatch {
  source: string;
  sourceId: string;
  competitionSourceId: string;
  seasonSourceId: string;
  sport: Sport;
  startTime: Date;
  status: MatchStatus;
  statusDetail: StatusDetail;
  homeSourceId: string;
  awaySourceId: string;
  /**
   * The result as the sport counts it, shoot-outs excluded: goals after regular and extra time
   * in football, sets won in tennis. Undefined until the match has started.
   */
  score: Score | undefined;
  /** Goals after 90 minutes (football), once known. */
  regularTimeScore: Score | undefined;
  /** Shoot-out goals, when there was a shoot-out. */
  penalties: Score | undefined;
  /** Games per set (tennis). */
  periods: PeriodScore[];
  /** Who won, once decided; a draw is `draw`. */
  winner: 'home' | 'away' | 'draw' | undefined;
  neutral: boolean;
  /** Court surface (tennis): `clay`, `grass`, `hard`, `carpet`, or the upstream's own word. */
  surface: string | undefined;
  round: number | undefined;
  roundName: string | undefined;
  /** The upstream's own last-change time, for change detection. */
  sourceChangedAt: Date | undefined;
}

export interface CanonicalAppearance {
  source: string;
  matchSourceId: string;
  playerSourceId: string;
  teamSourceId: string;
  side: 'home' | 'away';
  starter: boolean;
  /** Minutes on the pitch; undefined for an unused substitute or when unknown. */
  minutes: number | undefined;
  position: string | undefined;
  shirtNumber: number | undefined;
}

export type IncidentKind = 'goal' | 'card' | 'substitution' | 'period' | 'shootout-kick' | 'injury-time' | 'other';

export interface CanonicalIncident {
  source: string;
  matchSourceId: string;
  /** Position in match-time order, from 0. */
  seq: number;
  kind: IncidentKind;
  minute: number | undefined;
  addedTime: number | undefined;
  side: 'home' | 'away' | undefined;
  playerSourceId: string | undefined;
  /** Kind-specific: `{ class: 'penalty' }`, `{ colour: 'yellow' }`, `{ playerInSourceId }`, ... */
  detail: Record<string, unknown>;
}

export interface CanonicalStatistic {
  source: string;
  matchSourceId: string;
  /** `ALL`, `1ST`, `2ND`. */
  period: string;
  key: string;
  home: number;
  away: number;
}

/** Everything one upstream call can yield, for adapters that return mixed records. */
export interface CanonicalBatch {
  competitions: CanonicalCompetition[];
  seasons: CanonicalSeason[];
  participants: CanonicalParticipant[];
  matches: CanonicalMatch[];
  appearances: CanonicalAppearance[];
  incidents: CanonicalIncident[];
  statistics: CanonicalStatistic[];
}

export function emptyBatch(): CanonicalBatch {
  return {
    competitions: [],
    seasons: [],
    participants: [],
    matches: [],
    appearances: [],
    incidents: [],
    statistics: [],
  };
}
