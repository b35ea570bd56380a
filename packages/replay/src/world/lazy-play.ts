import { type IdSource, simulateFootball } from './football.js';
import type { Correction, Fate, FootballPlay, Match, Referee, RoundInfo, Season, Team } from './model.js';
import { Random } from './random.js';

/*
 * Lazy play for the scale leagues (`WorldOptions.scale`): a world of 100,000 matches keeps each
 * match's fixture (teams, kick-off, fate, referee) but simulates its play — lineups, incidents,
 * statistics seed — only when a request looks at it, from a random stream of its own (seed and
 * event id) with incident ids from a block of its own. So the play does not depend on the order
 * in which matches are asked for, and an evicted play comes back identical.
 */

/** Incident ids per match: a league match has no shoot-out, so it never gets near this many. */
export const INCIDENTS_PER_MATCH = 200;

/** The play of lazily simulated matches, with a bounded cache of the most recently used. */
export class PlayCache {
  private readonly plays = new Map<number, FootballPlay>();
  /** Plays simulated so far (cache misses), for tests and the state endpoint. */
  simulated = 0;

  constructor(
    private readonly seed: number,
    /** Event id -> first incident id of its block. */
    private readonly incidentBase: (eventId: number) => number,
    /** Plays kept; the least recently used goes first. */
    readonly capacity = 4_096,
  ) {}

  playOf(match: LazyFootballMatch): FootballPlay {
    const cached = this.plays.get(match.id);
    if (cached) {
      // Map keeps insertion order: re-inserting makes it the most recently used.
      this.plays.delete(match.id);
      this.plays.set(match.id, cached);
      return cached;
    }
    const play = simulateFootball(Random.from(this.seed, `scale.match.${match.id}`), {
      home: match.home,
      away: match.away,
      knockout: false,
      incidentIds: incidentBlock(this.incidentBase(match.id), match.id),
    });
    this.simulated += 1;
    this.plays.set(match.id, play);
    if (this.plays.size > this.capacity) {
      const oldest = this.plays.keys().next().value;
      if (oldest !== undefined) this.plays.delete(oldest);
    }
    return play;
  }

  get size(): number {
    return this.plays.size;
  }
}

function incidentBlock(base: number, eventId: number): IdSource {
  let used = 0;
  return {
    next: () => {
      if (used >= INCIDENTS_PER_MATCH) throw new Error(`event ${eventId}: more than ${INCIDENTS_PER_MATCH} incidents`);
      used += 1;
      return base + used;
    },
  };
}

/**
 * A league match whose `football` play is simulated on first use (and again after eviction,
 * identically). Fields as on `Match`; `slug` is derived rather than stored, to keep 100,000 of
 * them small.
 */
export class LazyFootballMatch implements Match {
  readonly id: number;
  customId: string;
  season: Season;
  round: RoundInfo;
  startTimestamp: number;
  home: Team;
  away: Team;
  fate: Fate;
  fateKnownAt: number | undefined;
  reschedule: { at: number; to: number } | undefined;
  tennis: undefined;
  correction: Correction | undefined;
  referee: Referee | undefined;
  attendance: number | undefined;
  private readonly plays: PlayCache;

  constructor(fields: Match, plays: PlayCache) {
    this.id = fields.id;
    this.customId = fields.customId;
    this.season = fields.season;
    this.round = fields.round;
    this.startTimestamp = fields.startTimestamp;
    this.home = fields.home;
    this.away = fields.away;
    this.fate = fields.fate;
    this.fateKnownAt = fields.fateKnownAt;
    this.reschedule = fields.reschedule;
    this.tennis = undefined;
    this.correction = fields.correction;
    this.referee = fields.referee;
    this.attendance = fields.attendance;
    this.plays = plays;
  }

  get slug(): string {
    return `${this.home.slug}-${this.away.slug}`;
  }

  /** A cancelled match is never played. */
  get football(): FootballPlay | undefined {
    return this.fate === 'canceled' ? undefined : this.plays.playOf(this);
  }
}
