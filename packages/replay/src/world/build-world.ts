import { type IdSource, simulateFootball } from './football.js';
import { INCIDENTS_PER_MATCH, LazyFootballMatch, PlayCache } from './lazy-play.js';
import type { Category, Competition, Correction, Match, Player, Position, Referee, Season, Team } from './model.js';
import { COUNTRIES, clubNames, HOME_COUNTRY, hexColour, nameCode, personName, placeName, slugify } from './names.js';
import { Random } from './random.js';
import { simulateTennis } from './tennis.js';

/** Ids of the simulated competitions: stable across seeds, so configs can name them. */
export const DEMO_IDS = {
  league: { uniqueTournamentId: 1001, tournamentId: 2001, seasonIds: [50001, 50002, 50003] },
  cup: { uniqueTournamentId: 1002, tournamentId: 2002, seasonIds: [50011, 50012, 50013] },
  tour: { uniqueTournamentId: 1003, tournamentId: 2003, seasonIds: [50021, 50022, 50023] },
} as const;

const DAY = 86_400;
const HOUR = 3_600;
const LEAGUE_TEAMS = 20;
const CUP_TEAMS = 16;
const TOUR_PLAYERS = 40;
const DRAW_SIZE = 32;
/** Season openers (Saturdays) and tennis tournament starts (Mondays), UTC. */
const LEAGUE_SEASON_STARTS = ['2023-08-12', '2024-08-17', '2025-08-16'];
const TOUR_SEASON_STARTS = ['2024-01-15', '2025-01-13', '2026-01-12'];

export interface CorrectionOptions {
  /** Share of finished league matches that get a late correction (default 0.02). */
  rate: number;
  /** The correction appears this many hours after the final whistle (range, default 6..72). */
  delayHours: readonly [number, number];
}

/**
 * Extra football leagues for benchmarks at scale: `leagues` × `seasons` league-seasons of
 * 380 matches each (27 × 10 = 102,600 matches), added beside the demo competitions.
 */
export interface WorldScale {
  /** Bench League 1..leagues, 20 clubs each: 1..MAX_SCALE.leagues. */
  leagues: number;
  /** Seasons per league, the newest 2024/25 and each one a year before the next: 1..MAX_SCALE.seasons. */
  seasons: number;
}

/** The largest scale: ids of the scale leagues are laid out for at most this many. */
export const MAX_SCALE = { leagues: 200, seasons: 40 } as const;

export interface WorldOptions {
  seed: number;
  corrections?: Partial<CorrectionOptions>;
  /** Add the scale leagues (none by default; the demo competitions are the same either way). */
  scale?: WorldScale;
}

export interface World {
  seed: number;
  competitions: Competition[];
  /** Every match by event id. */
  matches: Map<number, Match>;
  teams: Map<number, Team>;
  players: Map<number, Player>;
  /** Issues ids for incidents added after the build (runtime corrections). */
  incidentIds: IdSource;
  /** The scale leagues' lazily simulated play (undefined without `scale`). */
  plays: PlayCache | undefined;
}

/** Build the whole world from a seed. Same seed, same world, down to every incident id. */
export function buildWorld(options: WorldOptions): World {
  const seed = options.seed;
  const incidentIds = counter(900_000_000);
  const eventIds = counter(12_000_000);
  const clubs = buildClubs(Random.from(seed, 'clubs'));
  const tennisPlayers = buildTennisPlayers(Random.from(seed, 'tennis-players'));
  const referees = buildReferees(Random.from(seed, 'referees'));
  const demoland: Category = { id: 1801, name: 'Demoland', slug: 'demoland', flag: 'demoland', country: HOME_COUNTRY };

  const league = competition({
    ids: DEMO_IDS.league,
    name: 'Demo League',
    sport: 'football',
    kind: 'league',
    category: demoland,
    random: Random.from(seed, 'league.meta'),
  });
  const cup = competition({
    ids: DEMO_IDS.cup,
    name: 'Demo Cup',
    sport: 'football',
    kind: 'cup',
    category: demoland,
    random: Random.from(seed, 'cup.meta'),
  });
  const tour = competition({
    ids: DEMO_IDS.tour,
    name: 'Demo Open',
    sport: 'tennis',
    kind: 'tour',
    category: { id: 3, name: 'Demo Tour', slug: 'demo-tour', flag: 'demo-tour', country: undefined },
    random: Random.from(seed, 'tour.meta'),
  });

  LEAGUE_SEASON_STARTS.forEach((start, index) => {
    const label = seasonLabel(start);
    const random = Random.from(seed, `league.${label}`);
    const common = { clubs, openingSaturday: isoToUnix(start), eventIds, incidentIds, referees };
    const season = addSeason(league, DEMO_IDS.league.seasonIds[index] as number, `Demo League ${label}`, label);
    scheduleLeague(random, { season, ...common });
    const cupSeason = addSeason(cup, DEMO_IDS.cup.seasonIds[index] as number, `Demo Cup ${label}`, label);
    scheduleCup(Random.from(seed, `cup.${label}`), { season: cupSeason, ...common });
  });
  TOUR_SEASON_STARTS.forEach((start, index) => {
    const year = start.slice(0, 4);
    const season = addSeason(tour, DEMO_IDS.tour.seasonIds[index] as number, `Demo Open Men Singles ${year}`, year);
    scheduleDraw(Random.from(seed, `tour.${year}`), season, tennisPlayers, isoToUnix(start), eventIds);
  });

  const competitions = [league, cup, tour];
  const matches = new Map<number, Match>();
  for (const item of competitions) {
    for (const season of item.seasons) {
      season.matches.sort((first, second) => first.startTimestamp - second.startTimestamp || first.id - second.id);
      season.startTimestamp = season.matches[0]?.startTimestamp ?? 0;
      season.endTimestamp = season.matches.at(-1)?.startTimestamp ?? 0;
      for (const match of season.matches) matches.set(match.id, match);
    }
  }
  addRandomCorrections(Random.from(seed, 'corrections'), league, options.corrections);

  const teams = new Map<number, Team>([...clubs, ...tennisPlayers].map((team) => [team.id, team]));
  const players = new Map<number, Player>(clubs.flatMap((club) => club.squad).map((player) => [player.id, player]));
  const world: World = { seed, competitions, matches, teams, players, incidentIds, plays: undefined };
  // After everything above, from streams of their own: the demo competitions are the same with or without.
  if (options.scale) addScaleLeagues(world, options.scale, { category: demoland, referees });
  return world;
}

/** The ids of one scale league: stable across seeds and scales, so configs can name them. */
export interface ScaleLeagueIds {
  /** 1-based league number: `Bench League ${league}`. */
  league: number;
  uniqueTournamentId: number;
  tournamentId: number;
  /** Oldest first, the last one is 2024/25. */
  seasonIds: number[];
}

/** The newest scale season starts in this year (2024/25): finished at the replay's default clock. */
const SCALE_LAST_YEAR = 2024;
const SCALE_FIRST_YEAR = SCALE_LAST_YEAR - MAX_SCALE.seasons + 1;
/** Matches per scale league-season (double round-robin of 20 clubs). */
export const SCALE_SEASON_MATCHES = 380;

/**
 * Ids of the scale leagues: unique tournament 10_000 + league, tournament 20_000 + league,
 * season 1_000_000 + league × 100 + (year − 1984) (2024/25 is …40). A league-season's id, event
 * ids and content depend only on the seed, its league and its year, not on the scale asked for.
 */
export function scaleLeagueIds(scale: WorldScale): ScaleLeagueIds[] {
  assertScale(scale);
  return Array.from({ length: scale.leagues }, (_unused, index) => {
    const league = index + 1;
    return {
      league,
      uniqueTournamentId: 10_000 + league,
      tournamentId: 20_000 + league,
      seasonIds: scaleYears(scale).map((year) => scaleSeasonId(league, year)),
    };
  });
}

/** Problems with a scale, empty when it is valid. */
export function scaleProblems(scale: WorldScale): string[] {
  const problems: string[] = [];
  const check = (name: 'leagues' | 'seasons') => {
    const value = scale[name];
    if (!Number.isInteger(value) || value < 1 || value > MAX_SCALE[name]) {
      problems.push(`${name} must be a whole number from 1 to ${MAX_SCALE[name]}, not ${value}`);
    }
  };
  check('leagues');
  check('seasons');
  return problems;
}

function assertScale(scale: WorldScale): void {
  const problems = scaleProblems(scale);
  if (problems.length > 0) throw new RangeError(`scale: ${problems.join('; ')}`);
}

function scaleYears(scale: WorldScale): number[] {
  return Array.from({ length: scale.seasons }, (_unused, index) => SCALE_LAST_YEAR - scale.seasons + 1 + index);
}

function scaleSeasonId(league: number, year: number): number {
  return 1_000_000 + league * 100 + (year - SCALE_FIRST_YEAR + 1);
}

/** First event id of a league-season: 400 ids per league-season, 20,000,001 up (the demo's are 12,000,001 up). */
function scaleEventBase(league: number, year: number): number {
  return 20_000_000 + ((league - 1) * MAX_SCALE.seasons + (year - SCALE_FIRST_YEAR)) * 400;
}

/** Incident ids of scale matches: a block per event id from 1,000,000,000 (the demo's count up from 900,000,000). */
function scaleIncidentBase(eventId: number): number {
  return 1_000_000_000 + (eventId - 20_000_000) * INCIDENTS_PER_MATCH;
}

/** The second Saturday of August, or the one after the 8th: how the scale seasons open. */
function augustOpener(year: number): number {
  const eighth = Date.UTC(year, 7, 8) / 1000;
  const weekday = new Date(eighth * 1000).getUTCDay();
  return eighth + ((6 - weekday + 7) % 7) * DAY;
}

function twoDigits(year: number): string {
  return String(year % 100).padStart(2, '0');
}

function addScaleLeagues(world: World, scale: WorldScale, shared: { category: Category; referees: Referee[] }): void {
  const plays = new PlayCache(world.seed, scaleIncidentBase);
  world.plays = plays;
  for (const ids of scaleLeagueIds(scale)) {
    const name = `Bench League ${ids.league}`;
    const label = `scale.${ids.league}`;
    const owner = competition({
      ids,
      name,
      sport: 'football',
      kind: 'league',
      category: shared.category,
      random: Random.from(world.seed, `${label}.meta`),
    });
    const clubs = buildClubs(Random.from(world.seed, `${label}.clubs`), scaleClubIds(ids.league));
    scaleYears(scale).forEach((year, index) => {
      const seasonLabel = `${twoDigits(year)}/${twoDigits(year + 1)}`;
      const season = addSeason(owner, ids.seasonIds[index] as number, `${name} ${seasonLabel}`, seasonLabel);
      scheduleLeague(Random.from(world.seed, `${label}.${year}`), {
        season,
        clubs,
        openingSaturday: augustOpener(year),
        eventIds: counter(scaleEventBase(ids.league, year)),
        incidentIds: { next: () => Number.NaN },
        referees: shared.referees,
        lazy: plays,
      });
      season.matches.sort((first, second) => first.startTimestamp - second.startTimestamp || first.id - second.id);
      season.startTimestamp = season.matches[0]?.startTimestamp ?? 0;
      season.endTimestamp = season.matches.at(-1)?.startTimestamp ?? 0;
      for (const match of season.matches) world.matches.set(match.id, match);
    });
    world.competitions.push(owner);
    for (const club of clubs) {
      world.teams.set(club.id, club);
      for (const player of club.squad) world.players.set(player.id, player);
    }
  }
}

function counter(start: number): IdSource {
  let value = start;
  return {
    next: () => {
      value += 1;
      return value;
    },
  };
}

function isoToUnix(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / 1000;
}

/** `24/25` for a season starting in 2024. */
function seasonLabel(startDate: string): string {
  const year = Number(startDate.slice(2, 4));
  return `${year}/${year + 1}`;
}

function competition(input: {
  ids: { uniqueTournamentId: number; tournamentId: number };
  name: string;
  sport: Competition['sport'];
  kind: Competition['kind'];
  category: Category;
  random: Random;
}): Competition {
  return {
    uniqueTournamentId: input.ids.uniqueTournamentId,
    tournamentId: input.ids.tournamentId,
    name: input.name,
    slug: slugify(input.name),
    sport: input.sport,
    kind: input.kind,
    category: input.category,
    colours: { primary: hexColour(input.random), secondary: hexColour(input.random) },
    userCount: input.random.int(5_000, 500_000),
    venue:
      input.sport === 'tennis'
        ? {
            id: 7901,
            name: 'Demo Open Centre Court',
            slug: 'demo-open-centre-court',
            capacity: 8_000,
            city: { id: 7902, name: 'Harbourton' },
            latitude: 51.4,
            longitude: -0.2,
          }
        : undefined,
    seasons: [],
  };
}

function addSeason(owner: Competition, id: number, name: string, year: string): Season {
  const season: Season = { id, name, year, startTimestamp: 0, endTimestamp: 0, competition: owner, matches: [] };
  owner.seasons.push(season);
  return season;
}

const SQUAD_SHAPE: ReadonlyArray<[Position, number]> = [
  ['G', 3],
  ['D', 8],
  ['M', 8],
  ['F', 6],
];

/** Ids of a league's clubs and what belongs to them, by the club's index in the league. */
interface ClubIds {
  team(index: number): number;
  player(index: number, squadIndex: number): number;
  manager(index: number): number;
  venue(index: number): number;
  city(index: number): number;
}

const DEMO_CLUB_IDS: ClubIds = {
  team: (index) => 3001 + index,
  player: (index, squadIndex) => 100_000 + index * 100 + squadIndex,
  manager: (index) => 6001 + index,
  venue: (index) => 7001 + index,
  city: (index) => 7101 + index,
};

/** The scale leagues' clubs: 20 a league from 200,001; players from 2,000,000; staff and grounds apart. */
function scaleClubIds(league: number): ClubIds {
  const slot = (index: number) => (league - 1) * LEAGUE_TEAMS + index;
  return {
    team: (index) => 200_001 + slot(index),
    player: (index, squadIndex) => 2_000_000 + slot(index) * 100 + squadIndex,
    manager: (index) => 210_001 + slot(index),
    venue: (index) => 220_001 + slot(index),
    city: (index) => 230_001 + slot(index),
  };
}

function buildClubs(random: Random, ids: ClubIds = DEMO_CLUB_IDS): Team[] {
  const names = clubNames(random, LEAGUE_TEAMS);
  const clubs = names.map((name, index): Team => {
    const id = ids.team(index);
    const city = name.split(' ')[0] as string;
    const squad: Player[] = [];
    let shirt = 1;
    for (const [position, count] of SQUAD_SHAPE) {
      for (let k = 0; k < count; k += 1) {
        const person = personName(random);
        const playerId = ids.player(index, squad.length);
        squad.push({
          id: playerId,
          ...person,
          slug: slugify(person.name),
          position,
          shirtNumber: shirt,
          height: random.int(168, 198),
          country: random.chance(0.6) ? HOME_COUNTRY : random.pick(COUNTRIES),
          dateOfBirthTimestamp: isoToUnix('1990-01-01') + random.int(0, 14 * 365) * DAY,
          marketValueEur: random.int(2, 400) * 100_000,
          userCount: random.int(50, 20_000),
          teamId: id,
        });
        shirt += 1;
      }
    }
    const manager = personName(random);
    return {
      id,
      sport: 'football',
      name,
      slug: slugify(name),
      shortName: name.replace(/ (FC|United|City|Athletic|Rovers|Wanderers|Town|Albion|Sporting|Rangers)$/, ''),
      nameCode: nameCode(name),
      type: 0,
      country: HOME_COUNTRY,
      colours: { primary: hexColour(random), secondary: hexColour(random), text: '#ffffff' },
      userCount: random.int(10_000, 900_000),
      foundationDateTimestamp: isoToUnix(`18${random.int(70, 99)}-01-01`),
      manager: {
        id: ids.manager(index),
        name: manager.name,
        slug: slugify(manager.name),
        shortName: manager.shortName,
        country: random.pick(COUNTRIES),
      },
      venue: {
        id: ids.venue(index),
        name: `${city} ${random.pick(['Park', 'Stadium', 'Arena', 'Ground'])}`,
        slug: slugify(`${city} stadium`),
        capacity: random.int(12, 75) * 1000,
        city: { id: ids.city(index), name: city },
        latitude: Math.round((50 + random.next() * 5) * 10_000) / 10_000,
        longitude: Math.round((-3 + random.next() * 5) * 10_000) / 10_000,
      },
      squad,
      ranking: 0,
      attack: random.normal(0, 0.22),
      defence: random.normal(0, 0.18),
      tennis: undefined,
    };
  });
  rankByStrength(clubs, (club) => club.attack + club.defence);
  return clubs;
}

/** Rank 1 for the strongest; ties broken by id so the order is stable. */
function rankByStrength(teams: Team[], strength: (team: Team) => number): void {
  [...teams]
    .sort((first, second) => strength(second) - strength(first) || first.id - second.id)
    .forEach((team, index) => {
      team.ranking = index + 1;
    });
}

function buildTennisPlayers(random: Random): Team[] {
  const players: Team[] = [];
  const usedNames = new Set<string>();
  while (players.length < TOUR_PLAYERS) {
    const person = personName(random);
    if (usedNames.has(person.name)) continue;
    usedNames.add(person.name);
    const country = random.pick(COUNTRIES);
    const skill = random.normal(0, 1);
    players.push({
      id: 4001 + players.length,
      sport: 'tennis',
      name: person.name,
      slug: slugify(person.name),
      shortName: person.shortName,
      nameCode: nameCode(person.lastName),
      type: 1,
      country,
      colours: { primary: '#374df5', secondary: '#374df5', text: '#ffffff' },
      userCount: random.int(100, 50_000),
      foundationDateTimestamp: 0,
      manager: undefined,
      venue: undefined,
      squad: [],
      ranking: 0,
      attack: skill,
      defence: 0,
      tennis: {
        plays: random.chance(0.85) ? 'right-handed' : 'left-handed',
        heightM: random.int(172, 201) / 100,
        weightKg: random.int(68, 95),
        birthDateTimestamp: isoToUnix('1992-01-01') + random.int(0, 12 * 365) * DAY,
        birthCity: { id: 18_000 + players.length, name: placeName(random) },
        prizeTotalEur: random.int(100, 20_000) * 1000,
        turnedPro: String(random.int(2008, 2020)),
      },
    });
  }
  // Rankings follow hidden skill, so the draw's seeds mean something.
  rankByStrength(players, (player) => player.attack);
  for (const player of players) player.ranking = player.ranking * 3 - (player.id % 3);
  return players;
}

function buildReferees(random: Random): Referee[] {
  return Array.from({ length: 12 }, (_unused, index) => {
    const person = personName(random);
    const games = random.int(20, 300);
    return {
      id: 8001 + index,
      name: person.name,
      slug: slugify(person.name),
      country: HOME_COUNTRY,
      games,
      yellowCards: games * random.int(3, 5),
      redCards: Math.round(games * 0.1),
      yellowRedCards: Math.round(games * 0.05),
    };
  });
}

/** Double round-robin by the circle method: every pair meets once at each ground. */
function roundRobin(teams: readonly Team[]): Array<Array<[Team, Team]>> {
  const rotating = [...teams];
  const rounds: Array<Array<[Team, Team]>> = [];
  const count = rotating.length;
  for (let round = 0; round < count - 1; round += 1) {
    const pairs: Array<[Team, Team]> = [];
    for (let index = 0; index < count / 2; index += 1) {
      const first = rotating[index] as Team;
      const second = rotating[count - 1 - index] as Team;
      pairs.push(round % 2 === 0 ? [first, second] : [second, first]);
    }
    rounds.push(pairs);
    rotating.splice(1, 0, rotating.pop() as Team);
  }
  return [...rounds, ...rounds.map((pairs) => pairs.map(([home, away]): [Team, Team] => [away, home]))];
}

/** What scheduling a football season needs besides its randomness. */
interface FootballSeasonPlan {
  season: Season;
  clubs: Team[];
  /** Unix seconds of the season's first Saturday. */
  openingSaturday: number;
  eventIds: IdSource;
  incidentIds: IdSource;
  referees: Referee[];
  /** Simulate each match's play on first use, from its own stream, instead of now (scale leagues). */
  lazy?: PlayCache;
}

function scheduleLeague(random: Random, plan: FootballSeasonPlan): void {
  const { season, clubs, openingSaturday, eventIds, incidentIds, referees } = plan;
  const rounds = roundRobin(random.shuffle(clubs));
  // Every season has exactly one cancelled match and a few postponed (then rescheduled) ones.
  const matchCount = rounds.length * (clubs.length / 2);
  const [canceledIndex, ...postponedIndexes] = random
    .shuffle(Array.from({ length: matchCount }, (_unused, index) => index))
    .slice(0, 6);
  let matchIndex = -1;
  rounds.forEach((pairs, roundIndex) => {
    const saturday = openingSaturday + roundIndex * 7 * DAY;
    pairs.forEach(([home, away], slot) => {
      // Most at 15:00 on Saturday, one early kick-off, one on Sunday afternoon.
      const kickoff =
        slot === 0 ? saturday + 12.5 * HOUR : slot === 1 ? saturday + DAY + 16.5 * HOUR : saturday + 15 * HOUR;
      let match = newMatch(season, eventIds.next(), { round: roundIndex + 1 }, kickoff, home, away, random, referees);
      matchIndex += 1;
      if (matchIndex === canceledIndex) {
        match.fate = 'canceled';
        match.fateKnownAt = kickoff - DAY;
      } else if (postponedIndexes.includes(matchIndex)) {
        match.fate = 'postponed';
        match.fateKnownAt = kickoff - 2 * DAY;
        match.reschedule = { at: kickoff + 7 * DAY, to: kickoff + 18 * DAY + 4.75 * HOUR };
      }
      if (plan.lazy) {
        match = new LazyFootballMatch(match, plan.lazy);
      } else if (match.fate !== 'canceled') {
        match.football = simulateFootball(random.fork(`match.${match.id}`), {
          home,
          away,
          knockout: false,
          incidentIds,
        });
      }
      season.matches.push(match);
    });
  });
}

const CUP_ROUNDS: ReadonlyArray<{ name: string; weeksAfterOpening: number; weekday: number; hour: number }> = [
  { name: 'Round of 16', weeksAfterOpening: 9, weekday: 4, hour: 19.75 },
  { name: 'Quarterfinals', weeksAfterOpening: 17, weekday: 4, hour: 19.75 },
  { name: 'Semifinals', weeksAfterOpening: 26, weekday: 4, hour: 19.75 },
  { name: 'Final', weeksAfterOpening: 40, weekday: 0, hour: 15 },
];

function scheduleCup(random: Random, plan: FootballSeasonPlan): void {
  const { season, clubs, openingSaturday, eventIds, incidentIds, referees } = plan;
  let entrants = random.shuffle(clubs).slice(0, CUP_TEAMS);
  CUP_ROUNDS.forEach((round, roundIndex) => {
    const day = openingSaturday + round.weeksAfterOpening * 7 * DAY + round.weekday * DAY;
    const winners: Team[] = [];
    const pairs = entrants.length / 2;
    for (let index = 0; index < pairs; index += 1) {
      const home = entrants[index * 2] as Team;
      const away = entrants[index * 2 + 1] as Team;
      const roundInfo = { round: roundIndex + 1, name: round.name, slug: slugify(round.name), cupRoundType: pairs };
      const kickoff = day + round.hour * HOUR - (index % 2) * 2 * HOUR;
      const match = newMatch(season, eventIds.next(), roundInfo, kickoff, home, away, random, referees);
      const play = simulateFootball(random.fork(`match.${match.id}`), { home, away, knockout: true, incidentIds });
      match.football = play;
      season.matches.push(match);
      winners.push(footballWinner(play) === 'home' ? home : away);
    }
    entrants = winners;
  });
}

function footballWinner(play: NonNullable<Match['football']>): 'home' | 'away' {
  const goals = { home: 0, away: 0 };
  for (const goal of play.goals) goals[goal.side] += 1;
  if (goals.home !== goals.away) return goals.home > goals.away ? 'home' : 'away';
  const kicks = { home: 0, away: 0 };
  for (const kick of play.shootout) if (kick.scored) kicks[kick.side] += 1;
  return kicks.home > kicks.away ? 'home' : 'away';
}

const DRAW_ROUNDS = ['Round of 32', 'Round of 16', 'Quarterfinals', 'Semifinals', 'Final'];

function scheduleDraw(random: Random, season: Season, pool: Team[], monday: number, eventIds: IdSource): void {
  const entrants = random.shuffle(pool).slice(0, DRAW_SIZE);
  let alive = random.shuffle(entrants);
  // Every draw has one walkover and at least one retirement in its first round.
  const [walkoverIndex, retirementIndex] = random.shuffle(
    Array.from({ length: DRAW_SIZE / 2 }, (_unused, index) => index),
  );
  DRAW_ROUNDS.forEach((name, roundIndex) => {
    const winners: Team[] = [];
    const pairs = alive.length / 2;
    for (let index = 0; index < pairs; index += 1) {
      const home = alive[index * 2] as Team;
      const away = alive[index * 2 + 1] as Team;
      // The first round spreads over two days; later rounds one day each, matches two hours apart.
      const day = monday + (roundIndex === 0 ? Math.floor(index / 8) : roundIndex + 1) * DAY;
      const kickoff = day + (10 + (index % 8) * 1.5) * HOUR;
      const roundInfo = { round: roundIndex + 1, name, slug: slugify(name), cupRoundType: pairs };
      const match = newMatch(season, eventIds.next(), roundInfo, kickoff, home, away, random, []);
      const walkover = roundIndex === 0 && index === walkoverIndex;
      const retirement = roundIndex === 0 && index === retirementIndex ? 'always' : 'sometimes';
      const outcome = simulateTennis(random.fork(`match.${match.id}`), home, away, walkover, retirement);
      if (walkover) {
        match.fate = 'walkover';
        match.fateKnownAt = kickoff - 2 * HOUR;
      }
      match.tennis = outcome.play;
      season.matches.push(match);
      winners.push(outcome.winner === 'home' ? home : away);
    }
    alive = winners;
  });
}

const CUSTOM_ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

function newMatch(
  season: Season,
  id: number,
  round: Match['round'],
  startTimestamp: number,
  home: Team,
  away: Team,
  random: Random,
  referees: Referee[],
): Match {
  return {
    id,
    customId: Array.from({ length: 6 }, () => random.pick([...CUSTOM_ID_ALPHABET])).join(''),
    slug: `${home.slug}-${away.slug}`,
    season,
    round,
    startTimestamp,
    home,
    away,
    fate: 'played',
    fateKnownAt: undefined,
    reschedule: undefined,
    football: undefined,
    tennis: undefined,
    correction: undefined,
    referee: referees.length > 0 ? random.pick(referees) : undefined,
    attendance: home.venue ? Math.round(home.venue.capacity * (0.6 + random.next() * 0.4)) : undefined,
  };
}

function addRandomCorrections(random: Random, league: Competition, options: Partial<CorrectionOptions> = {}): void {
  const rate = options.rate ?? 0.02;
  const [minDelay, maxDelay] = options.delayHours ?? [6, 72];
  for (const season of league.seasons) {
    for (const match of season.matches) {
      const play = match.football;
      if (!play || match.fate !== 'played' || play.goals.length === 0 || !random.chance(rate)) continue;
      match.correction = correctionStrikingLastGoal(match, random.int(minDelay * 3600, maxDelay * 3600));
    }
  }
}

/**
 * A correction that strikes off the match's last goal, `delaySec` after the final whistle
 * (or at `at`, when given). Undefined for a match without goals.
 */
export function correctionStrikingLastGoal(match: Match, delaySec: number, at?: number): Correction | undefined {
  const play = match.football;
  const lastGoal = play?.goals.at(-1);
  if (!play || !lastGoal) return undefined;
  const start = match.reschedule?.to ?? match.startTimestamp;
  return { at: at ?? start + play.timeline.end + delaySec, goalId: lastGoal.id };
}
