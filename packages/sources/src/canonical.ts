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

/** A player's profile (the upstream's player endpoint): what enrichment fills in. Absent = the upstream does not say. */
export interface CanonicalPlayerProfile {
  source: string;
  sourceId: string;
  name: string;
  shortName: string | undefined;
  /** `G`, `D`, `M`, `F` (football). */
  position: string | undefined;
  /** ISO 3166-1 alpha-3 when the upstream gives it, else alpha-2 (upper case). */
  nationality: string | undefined;
  /** `YYYY-MM-DD` (UTC) */
  dateOfBirth: string | undefined;
  heightCm: number | undefined;
  preferredFoot: 'right' | 'left' | 'both' | undefined;
  shirtNumber: number | undefined;
  /** The upstream id of the player's current team. */
  teamSourceId: string | undefined;
  marketValueEur: number | undefined;
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

/** Which way a price last moved: 1 lengthened (drifted), -1 shortened, 0 unchanged or just opened. */
export type PriceChange = -1 | 0 | 1;

/** One outcome of a market with its opening price and the price in force when fetched. */
export interface CanonicalOddsChoice {
  /** As the upstream names it: `1`, `X`, `2` in a full-time result (1X2) market. */
  name: string;
  /** Fractional prices as quoted: `13/10`. */
  openingFractional: string;
  currentFractional: string;
  /** The same as decimal prices, stake included: 13/10 is 2.3. */
  openingDecimal: number;
  currentDecimal: number;
  change: PriceChange;
}

export interface CanonicalOddsMarket {
  /** The upstream's market type: 1 is the full-time result. */
  marketId: number;
  marketName: string;
  /** `1X2` for the full-time result. */
  marketGroup: string;
  /** In-play prices rather than pre-match ones. */
  isLive: boolean;
  suspended: boolean;
  choices: CanonicalOddsChoice[];
}

/** A match's odds markets as one fetch saw them. */
export interface CanonicalOdds {
  source: string;
  matchSourceId: string;
  markets: CanonicalOddsMarket[];
}
