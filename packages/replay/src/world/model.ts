import type { Country } from './names.js';

/**
 * The simulated world. Everything is decided when the world is built from its seed; the
 * clock only reveals it. Times are Unix seconds, as in the upstream.
 */

export type Sport = 'football' | 'tennis';

export interface Venue {
  id: number;
  name: string;
  slug: string;
  capacity: number;
  city: { id: number; name: string };
  latitude: number;
  longitude: number;
}

export interface Manager {
  id: number;
  name: string;
  slug: string;
  shortName: string;
  country: Country;
}

export type Position = 'G' | 'D' | 'M' | 'F';

export interface Player {
  id: number;
  name: string;
  firstName: string;
  lastName: string;
  slug: string;
  shortName: string;
  position: Position;
  shirtNumber: number;
  height: number;
  country: Country;
  dateOfBirthTimestamp: number;
  marketValueEur: number;
  userCount: number;
  teamId: number;
}

/** A football club, or (for tennis, as Sofascore models it) a player as a one-person team. */
export interface Team {
  id: number;
  sport: Sport;
  name: string;
  slug: string;
  shortName: string;
  nameCode: string;
  /** 0 for clubs, 1 for a tennis player. */
  type: number;
  /** Standing by hidden strength (clubs) or tour ranking (players); 1 is best. */
  ranking: number;
  country: Country;
  colours: { primary: string; secondary: string; text: string };
  userCount: number;
  foundationDateTimestamp: number;
  manager: Manager | undefined;
  venue: Venue | undefined;
  squad: Player[];
  /** Hidden strength: log goal-rate offsets for football, skill for tennis. */
  attack: number;
  defence: number;
  tennis: TennisProfile | undefined;
}

export interface TennisProfile {
  plays: 'right-handed' | 'left-handed';
  heightM: number;
  weightKg: number;
  birthDateTimestamp: number;
  birthCity: { id: number; name: string };
  prizeTotalEur: number;
  turnedPro: string;
}

export interface Category {
  id: number;
  name: string;
  slug: string;
  flag: string;
  country: Country | undefined;
}

export type CompetitionKind = 'league' | 'cup' | 'tour';

export interface Competition {
  uniqueTournamentId: number;
  tournamentId: number;
  name: string;
  slug: string;
  sport: Sport;
  kind: CompetitionKind;
  category: Category;
  colours: { primary: string; secondary: string };
  userCount: number;
  /** Where a tennis tournament is played (football matches use the home club's ground). */
  venue: Venue | undefined;
  seasons: Season[];
}

export interface Season {
  id: number;
  name: string;
  /** `24/25` for football, `2025` for tennis. */
  year: string;
  startTimestamp: number;
  endTimestamp: number;
  competition: Competition;
  matches: Match[];
}

export interface RoundInfo {
  round: number;
  name?: string;
  slug?: string;
  cupRoundType?: number;
}

export type Fate = 'played' | 'postponed' | 'canceled' | 'walkover';

export interface Match {
  id: number;
  customId: string;
  slug: string;
  season: Season;
  round: RoundInfo;
  startTimestamp: number;
  home: Team;
  away: Team;
  fate: Fate;
  /** When a postponement, cancellation or walkover became known (before kick-off). */
  fateKnownAt: number | undefined;
  /** A postponed match is given a new date at `at`, and then played at `to`. */
  reschedule: { at: number; to: number } | undefined;
  football: FootballPlay | undefined;
  tennis: TennisPlay | undefined;
  /** A later change to the final result (score correction). */
  correction: Correction | undefined;
  referee: Referee | undefined;
  attendance: number | undefined;
}

export interface Referee {
  id: number;
  name: string;
  slug: string;
  country: Country;
  games: number;
  yellowCards: number;
  redCards: number;
  yellowRedCards: number;
}

export type Side = 'home' | 'away';

export interface Goal {
  id: number;
  /** Match minute (1..90 regulation, 91..120 extra time); stoppage goals keep 45/90 plus addedTime. */
  minute: number;
  addedTime: number;
  /** Seconds after kick-off when it happened (wall clock, breaks included). */
  atOffset: number;
  side: Side;
  scorerId: number;
  assistId: number | undefined;
  kind: 'regular' | 'penalty' | 'ownGoal';
}

export interface Card {
  id: number;
  minute: number;
  atOffset: number;
  side: Side;
  playerId: number;
  colour: 'yellow' | 'yellowRed' | 'red';
  reason: string;
}

export interface Substitution {
  id: number;
  minute: number;
  atOffset: number;
  side: Side;
  playerInId: number;
  playerOutId: number;
  injury: boolean;
}

export interface ShootoutKick {
  id: number;
  side: Side;
  playerId: number;
  scored: boolean;
  atOffset: number;
}

export interface Lineup {
  formation: string;
  starters: Player[];
  substitutes: Player[];
  missing: Array<{ player: Player; reason: number }>;
}

/** Phases of a football match as offsets (seconds) from kick-off. */
export interface FootballTimeline {
  firstHalfEnd: number;
  secondHalfStart: number;
  secondHalfEnd: number;
  extraFirstStart: number | undefined;
  extraFirstEnd: number | undefined;
  extraSecondStart: number | undefined;
  extraSecondEnd: number | undefined;
  penaltiesStart: number | undefined;
  end: number;
  addedTime1: number;
  addedTime2: number;
}

export interface FootballPlay {
  timeline: FootballTimeline;
  goals: Goal[];
  cards: Card[];
  substitutions: Substitution[];
  shootout: ShootoutKick[];
  lineups: { home: Lineup; away: Lineup };
  /** Home share of possession, 0..1, drawn once so every view agrees. */
  possessionHome: number;
  statsSeed: number;
}

export interface TennisSet {
  home: number;
  away: number;
  tiebreak: { home: number; away: number } | undefined;
  startOffset: number;
  endOffset: number;
}

export interface TennisPlay {
  sets: TennisSet[];
  /** Who retired, if the match ended early. */
  retired: Side | undefined;
  /** Who withdrew before the match (fate `walkover`). */
  withdrew: Side | undefined;
  firstToServe: 1 | 2;
  end: number;
}

export interface Correction {
  /** When the correction is published (Unix seconds). */
  at: number;
  /** The goal that is struck off. */
  goalId: number;
}
