import { type ReplayServer, startReplay } from '@matchflow/replay';
import {
  ContractViolation,
  mapFootballDataCompetitions,
  mapFootballDataMatch,
  mapFootballDataMatches,
  mapOpenfootballSeason,
  mapSofascoreEvent,
  mapSofascoreEventsPage,
  mapSofascoreEventsPageTolerant,
  mapSofascoreIncidents,
  mapSofascoreLineups,
  mapSofascoreSeasons,
  mapSofascoreStatistics,
} from '@matchflow/sources';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

/*
 * Upstream payloads, mutated (fast-check): real-shaped bodies — Sofascore's as the replay upstream
 * serves them, football-data's and openfootball's written here after their contracts — with keys
 * dropped, values retyped, nulls, huge numbers, odd strings and nested garbage put in. Whatever
 * comes in, an adapter either throws a ContractViolation (which the worker edge turns into a
 * quarantined payload and an unrecoverable job) or returns records that are valid canonical
 * records. Anything else thrown would fail the job for the wrong reason, or crash the worker.
 */

const SOURCE = 'fuzz';
/**
 * Per property; the suite has a time budget, and each run clones and maps a whole body. (Raised
 * to 3,000 by hand, every property passed several seeds in a row.)
 */
const NUM_RUNS = 150;

// ---- Canonical records, as packages/sources/src/canonical.ts describes them ----------------

const sourceId = z.string().min(1);
const instant = z.date().refine((date) => Number.isFinite(date.getTime()), 'must be a valid Date');
const goals = z.number().int().nonnegative();
const score = z.strictObject({ home: goals, away: goals });
const optional = <Schema extends z.ZodType>(schema: Schema) => schema.optional();

const CanonicalCompetition = z.strictObject({
  source: sourceId,
  sourceId,
  name: z.string(),
  sport: z.enum(['football', 'tennis']),
  country: optional(z.string()),
});
const CanonicalSeason = z.strictObject({
  source: sourceId,
  sourceId,
  competitionSourceId: sourceId,
  name: z.string(),
  year: optional(z.string()),
});
const CanonicalParticipant = z.strictObject({
  source: sourceId,
  sourceId,
  kind: z.enum(['team', 'player']),
  name: z.string().min(1),
  shortName: optional(z.string()),
  country: optional(z.string()),
});
const CanonicalMatch = z.strictObject({
  source: sourceId,
  sourceId,
  competitionSourceId: sourceId,
  seasonSourceId: sourceId,
  sport: z.enum(['football', 'tennis']),
  startTime: instant,
  status: z.enum(['notstarted', 'inprogress', 'finished', 'postponed', 'canceled']),
  statusDetail: optional(
    z.enum(['regular', 'after-extra-time', 'after-penalties', 'retired', 'walkover', 'awarded', 'abandoned']),
  ),
  homeSourceId: sourceId,
  awaySourceId: sourceId,
  score: optional(score),
  regularTimeScore: optional(score),
  penalties: optional(score),
  periods: z.array(score.extend({ tiebreak: optional(score) })),
  winner: optional(z.enum(['home', 'away', 'draw'])),
  neutral: z.boolean(),
  surface: optional(z.string()),
  round: optional(z.number().int()),
  roundName: optional(z.string()),
  sourceChangedAt: optional(instant),
});
const CanonicalAppearance = z.strictObject({
  source: sourceId,
  matchSourceId: sourceId,
  playerSourceId: sourceId,
  teamSourceId: sourceId,
  side: z.enum(['home', 'away']),
  starter: z.boolean(),
  minutes: optional(z.number().int().nonnegative()),
  position: optional(z.string()),
  shirtNumber: optional(z.number().int()),
});
const CanonicalIncident = z.strictObject({
  source: sourceId,
  matchSourceId: sourceId,
  seq: z.number().int().nonnegative(),
  kind: z.enum(['goal', 'card', 'substitution', 'period', 'shootout-kick', 'injury-time', 'other']),
  minute: optional(z.number().int()),
  addedTime: optional(z.number().int()),
  side: optional(z.enum(['home', 'away'])),
  playerSourceId: optional(sourceId),
  detail: z.record(z.string(), z.unknown()),
});
const CanonicalStatistic = z.strictObject({
  source: sourceId,
  matchSourceId: sourceId,
  period: z.string(),
  key: z.string(),
  home: z.number().refine(Number.isFinite),
  away: z.number().refine(Number.isFinite),
});
const CanonicalBatch = z.strictObject({
  competitions: z.array(CanonicalCompetition),
  seasons: z.array(CanonicalSeason),
  participants: z.array(CanonicalParticipant),
  matches: z.array(CanonicalMatch),
  appearances: z.array(CanonicalAppearance),
  incidents: z.array(CanonicalIncident),
  statistics: z.array(CanonicalStatistic),
});

// ---- Mutations -------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = Array<string | number>;

/** Keys the adapters read: mutations aim at them half of the time (the rest land anywhere). */
const READ_KEYS = new Set([
  ...['events', 'hasNextPage', 'event', 'id', 'name', 'shortName', 'startTimestamp', 'status', 'type', 'code'],
  ...['description', 'winnerCode', 'homeTeam', 'awayTeam', 'homeScore', 'awayScore', 'current', 'display'],
  ...['normaltime', 'penalties', 'period1', 'period2', 'period1TieBreak', 'tournament', 'uniqueTournament'],
  ...['category', 'sport', 'slug', 'season', 'year', 'roundInfo', 'round', 'changes', 'changeTimestamp'],
  ...['groundType', 'country', 'alpha2', 'seasons', 'home', 'away', 'players', 'player', 'teamId', 'position'],
  ...['shirtNumber', 'substitute', 'statistics', 'minutesPlayed', 'incidents', 'incidentType', 'time'],
  ...['addedTime', 'isHome', 'incidentClass', 'assist1', 'playerIn', 'playerOut', 'text', 'length', 'sequence'],
  ...['period', 'groups', 'groupName', 'statisticsItems', 'key', 'homeValue', 'awayValue', 'competitions'],
  ...['area', 'competition', 'startDate', 'endDate', 'utcDate', 'matchday', 'stage', 'lastUpdated', 'score'],
  ...['winner', 'duration', 'fullTime', 'regularTime', 'extraTime', 'matches', 'date', 'team1', 'team2'],
  ...['ft', 'et', 'p'],
]);

const oddNumber = fc.constantFrom(
  0,
  -1,
  -0,
  0.5,
  -2.5,
  999,
  1e21,
  1e308,
  -1e308,
  2 ** 31,
  2 ** 53,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  Number.MIN_VALUE,
);
const oddString = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  '\uFEFF',
  'null',
  'NaN',
  '1e400',
  '-1',
  '__proto__',
  'constructor',
  '💥🏳️‍🌈',
  'x'.repeat(1_000),
  '<script>alert(1)</script>',
  '../../etc/passwd',
  'finished',
  'football',
  '2024-02-30',
  '2024-13-45',
  '2024-01-01T25:61:00Z',
  '99:99',
  '24:00 UTC+99',
);
/** What a JSON body may hold in place of any value. */
const garbage: fc.Arbitrary<Json> = fc.oneof<fc.Arbitrary<Json>[]>(
  fc.constant(null),
  fc.boolean(),
  oddNumber,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  oddString,
  fc.string({ maxLength: 20 }),
  fc.constant<Json>([]),
  fc.constant<Json>({}),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);

type Mutation =
  | { op: 'delete'; at: number }
  | { op: 'replace'; at: number; value: Json }
  | { op: 'insert'; at: number; key: string; value: Json }
  | { op: 'wrap'; at: number; inList: boolean }
  | { op: 'repeat'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  { weight: 3, arbitrary: fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: garbage }) },
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    key: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'id', 'extra'), fc.string({ maxLength: 8 })),
    value: garbage,
  }),
  fc.record({ op: fc.constant('wrap' as const), at: fc.nat(), inList: fc.boolean() }),
  fc.record({ op: fc.constant('repeat' as const), at: fc.nat() }),
);

function paths(value: Json, at: Path = [], into: Path[] = []): Path[] {
  into.push(at);
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) paths(item, [...at, index], into);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) paths(item, [...at, key], into);
  }
  return into;
}

/** Where to mutate: half the time a key an adapter reads, else anywhere. */
function pickPath(body: Json, at: number): Path | undefined {
  const all = paths(body);
  const read = all.filter((path) => READ_KEYS.has(String(path[path.length - 1])));
  const pool = at % 2 === 0 && read.length > 0 ? read : all;
  return pool[Math.floor(at / 2) % pool.length];
}

function parentOf(body: Json, path: Path): Record<string | number, Json> | undefined {
  let node: Json = body;
  for (const segment of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, Json>)[segment] as Json;
  }
  return node !== null && typeof node === 'object' ? (node as Record<string | number, Json>) : undefined;
}

/** Set a key as JSON.parse would: an own property even for `__proto__`. */
function define(target: object, key: string | number, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function mutate(seed: Json, mutations: Mutation[]): Json {
  let body = structuredClone(seed);
  for (const generated of mutations) {
    // Values generated once may be shared between mutations: a copy each, or a list could end up
    // inside itself.
    const change = structuredClone(generated);
    const path = pickPath(body, change.at);
    if (!path) continue;
    if (path.length === 0) {
      if (change.op === 'replace') body = change.value;
      else if (change.op === 'wrap') body = change.inList ? [body] : { body };
      continue;
    }
    const parent = parentOf(body, path);
    const key = path[path.length - 1] as string | number;
    if (!parent) continue;
    const current = parent[key] as Json;
    switch (change.op) {
      case 'delete':
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key];
        break;
      case 'replace':
        define(parent, key, change.value);
        break;
      case 'insert':
        if (current !== null && typeof current === 'object' && !Array.isArray(current)) {
          define(current, change.key, change.value);
        } else if (Array.isArray(current)) current.push(change.value);
        break;
      case 'wrap':
        define(parent, key, change.inList ? [current] : { value: current });
        break;
      case 'repeat':
        if (Array.isArray(current) && current.length > 0) current.push(structuredClone(current[0] as Json));
        break;
    }
  }
  // As a body reaches an adapter: parsed from JSON text (no undefined, no sparse lists).
  return JSON.parse(JSON.stringify(body) ?? 'null') as Json;
}

// ---- Seeds -----------------------------------------------------------------------------------

let replay: ReplayServer;
const seeds: Record<string, Json> = {};

async function fetchJson(path: string): Promise<Json> {
  const response = await fetch(`${replay.apiUrl}${path}`);
  expect(response.status, path).toBe(200);
  return (await response.json()) as Json;
}

type Item = { [key: string]: Json };

beforeAll(async () => {
  replay = await startReplay({ port: 0, seed: 7 });
  // Real shapes, trimmed to a few entries so mutations land on what adapters read.
  const league = (await fetchJson('/unique-tournament/1001/season/50002/events/last/0')) as {
    events: Item[];
    hasNextPage: boolean;
  };
  const finished = league.events.filter((event) => (event.status as Item).type === 'finished');
  const football = finished[0]?.id as number;
  const tennisPage = (await fetchJson('/unique-tournament/1003/season/50023/events/last/0')) as { events: Item[] };
  const tennis = tennisPage.events.find((event) => (event.status as Item).type === 'finished')?.id as number;
  seeds.seasons = await fetchJson('/unique-tournament/1001/seasons');
  seeds.eventsPage = { ...league, events: [...finished.slice(0, 2), ...tennisPage.events.slice(0, 1)] };
  seeds.footballEvent = await fetchJson(`/event/${football}`);
  seeds.tennisEvent = await fetchJson(`/event/${tennis}`);
  const lineups = (await fetchJson(`/event/${football}/lineups`)) as { home: Item; away: Item };
  seeds.lineups = {
    ...lineups,
    home: { ...lineups.home, players: (lineups.home.players as Json[]).slice(0, 3) },
    away: { ...lineups.away, players: (lineups.away.players as Json[]).slice(-2) },
  };
  const incidents = (await fetchJson(`/event/${football}/incidents`)) as { incidents: Json[] };
  seeds.incidents = { incidents: incidents.incidents.slice(0, 8) };
  const statistics = (await fetchJson(`/event/${football}/statistics`)) as { statistics: Item[] };
  seeds.statistics = {
    statistics: statistics.statistics
      .slice(0, 2)
      .map((period) => ({ ...period, groups: (period.groups as Json[]).slice(0, 2) })),
  };
  for (const [name, seed] of Object.entries(seeds)) expect(seed, name).toBeTruthy();
});

afterAll(async () => {
  await replay?.close();
});

// football-data.org v4 and openfootball, written after their contracts (packages/sources/src/contracts).
const fdCompetition = { id: 2015, name: 'Ligue 1', code: 'FL1' };
const fdMatch = (id: number, home: [number, string], away: [number, string], goals: [number, number]): Json => ({
  id,
  area: { id: 2081, name: 'France', code: 'FRA' },
  competition: fdCompetition,
  season: { id: 1490, startDate: '2022-08-05', endDate: '2023-06-03', currentMatchday: 38 },
  utcDate: '2022-09-04T13:00:00Z',
  status: 'FINISHED',
  matchday: 7,
  stage: 'REGULAR_SEASON',
  group: null,
  lastUpdated: '2022-09-05T08:20:00Z',
  homeTeam: { id: home[0], name: home[1], shortName: home[1].split(' ')[0] ?? home[1], tla: 'HOM' },
  awayTeam: { id: away[0], name: away[1], shortName: null },
  score: {
    winner: goals[0] > goals[1] ? 'HOME_TEAM' : goals[0] < goals[1] ? 'AWAY_TEAM' : 'DRAW',
    duration: 'REGULAR',
    fullTime: { home: goals[0], away: goals[1] },
    halfTime: { home: 0, away: 0 },
  },
  odds: { msg: 'Activate Odds-Package in User-Panel to retrieve odds.' },
  referees: [],
});
const knockout: Json = {
  ...(fdMatch(391_000, [65, 'Manchester City FC'], [5, 'FC Bayern München'], [5, 4]) as Item),
  stage: 'QUARTER_FINALS',
  matchday: null,
  score: {
    winner: 'AWAY_TEAM',
    duration: 'PENALTY_SHOOTOUT',
    fullTime: { home: 5, away: 6 },
    regularTime: { home: 1, away: 1 },
    extraTime: { home: 0, away: 0 },
    penalties: { home: 4, away: 5 },
  },
};
const FOOTBALL_DATA = {
  competitions: {
    count: 2,
    competitions: [
      {
        id: 2021,
        name: 'Premier League',
        code: 'PL',
        type: 'LEAGUE',
        area: { id: 2072, name: 'England', code: 'ENG' },
      },
      { id: 2001, name: 'UEFA Champions League', code: null, area: { id: 2077, name: 'Europe', code: 'EUR' } },
    ],
  } as Json,
  match: fdMatch(417_211, [512, 'Stade Brestois 29'], [576, 'RC Strasbourg Alsace'], [1, 1]),
  matches: {
    competition: fdCompetition,
    matches: [fdMatch(417_211, [512, 'Stade Brestois 29'], [576, 'RC Strasbourg Alsace'], [1, 1]), knockout],
  } as Json,
};
const OPENFOOTBALL: Json = {
  name: 'English Premier League 2024/25',
  matches: [
    {
      round: 'Matchday 1',
      date: '2024-08-16',
      time: '20:00',
      team1: 'Manchester United FC',
      team2: 'Fulham FC',
      score: { ht: [0, 0], ft: [1, 0] },
    },
    {
      round: 'Matchday 1',
      date: '2024-08-17',
      time: '12:30',
      team1: 'Ipswich Town FC',
      team2: 'Liverpool FC',
      score: { ft: [0, 2] },
    },
    {
      round: 'Round of 16',
      date: '2024-08-18',
      time: '13:00 UTC-6',
      team1: 'Fulham FC',
      team2: 'Liverpool FC',
      score: { ft: [1, 1], et: [2, 2], p: [4, 3] },
    },
    { round: 'Matchday 38', date: '2025-05-25', team1: 'Liverpool FC', team2: 'Ipswich Town FC', score: {} },
    { round: 'Matchday 20', date: '2025-01-04', team1: 'Fulham FC', team2: 'Ipswich Town FC', status: 'postponed' },
  ],
};

// ---- Targets ---------------------------------------------------------------------------------

const eventContext = { source: SOURCE, matchSourceId: '11', homeSourceId: '21', awaySourceId: '22' };

interface Target {
  name: string;
  seed: () => Json;
  /** Map the body; the result must satisfy `schema`. */
  map: (body: unknown) => unknown;
  schema: z.ZodType;
}

const TARGETS: Target[] = [
  {
    name: 'sofascore seasons',
    seed: () => seeds.seasons as Json,
    map: (body) => mapSofascoreSeasons(body, { source: SOURCE, competitionSourceId: '1001' }),
    schema: z.array(CanonicalSeason),
  },
  {
    name: 'sofascore events page',
    seed: () => seeds.eventsPage as Json,
    map: (body) => mapSofascoreEventsPage(body, SOURCE),
    schema: z.strictObject({ batch: CanonicalBatch, hasNextPage: z.boolean() }),
  },
  {
    name: 'sofascore events page, event by event (discover)',
    seed: () => seeds.eventsPage as Json,
    map: (body) => {
      const page = mapSofascoreEventsPageTolerant(body, SOURCE);
      for (const rejected of page.rejected) expect(rejected.violation).toBeInstanceOf(ContractViolation);
      return { batch: page.batch, hasNextPage: page.hasNextPage };
    },
    schema: z.strictObject({ batch: CanonicalBatch, hasNextPage: z.boolean() }),
  },
  {
    name: 'sofascore football event (ingest, rebuild from raw)',
    seed: () => seeds.footballEvent as Json,
    map: (body) => mapSofascoreEvent(body, SOURCE),
    schema: CanonicalBatch,
  },
  {
    name: 'sofascore tennis event',
    seed: () => seeds.tennisEvent as Json,
    map: (body) => mapSofascoreEvent(body, SOURCE),
    schema: CanonicalBatch,
  },
  {
    name: 'sofascore lineups',
    seed: () => seeds.lineups as Json,
    map: (body) => mapSofascoreLineups(body, eventContext),
    schema: z.strictObject({ participants: z.array(CanonicalParticipant), appearances: z.array(CanonicalAppearance) }),
  },
  {
    name: 'sofascore incidents',
    seed: () => seeds.incidents as Json,
    map: (body) => mapSofascoreIncidents(body, eventContext),
    schema: z.array(CanonicalIncident),
  },
  {
    name: 'sofascore statistics',
    seed: () => seeds.statistics as Json,
    map: (body) => mapSofascoreStatistics(body, eventContext),
    schema: z.array(CanonicalStatistic),
  },
  {
    name: 'football-data competitions',
    seed: () => FOOTBALL_DATA.competitions,
    map: (body) => mapFootballDataCompetitions(body, SOURCE),
    schema: z.array(CanonicalCompetition),
  },
  {
    name: 'football-data match',
    seed: () => FOOTBALL_DATA.match,
    map: (body) => mapFootballDataMatch(body, SOURCE),
    schema: CanonicalBatch,
  },
  {
    name: 'football-data season matches',
    seed: () => FOOTBALL_DATA.matches,
    map: (body) => mapFootballDataMatches(body, SOURCE),
    schema: CanonicalBatch,
  },
  {
    name: 'openfootball season file',
    seed: () => OPENFOOTBALL,
    map: (body) =>
      mapOpenfootballSeason(body, {
        source: SOURCE,
        competition: 'en.1',
        season: '2024-25',
        timezone: 'Europe/London',
      }),
    schema: CanonicalBatch,
  },
];

/** Map a body: a ContractViolation is a fine answer; anything else thrown fails the property. */
function mapOrViolation(target: Target, body: unknown): void {
  let mapped: unknown;
  try {
    mapped = target.map(body);
  } catch (error) {
    if (!(error instanceof ContractViolation)) throw error;
    expect(error.problems.length).toBeGreaterThan(0);
    expect(error.code).toBe('contract-violation');
    expect(error.retryable).toBe(false);
    return;
  }
  const checked = target.schema.safeParse(mapped);
  if (!checked.success) {
    throw new Error(
      `not a canonical record: ${z.prettifyError(checked.error)}\n${JSON.stringify(body).slice(0, 2000)}`,
    );
  }
}

describe.each(TARGETS)('$name, fuzzed', (target) => {
  it('maps the unmutated body to canonical records', () => {
    const mapped = target.map(target.seed());
    expect(target.schema.safeParse(mapped).error).toBeUndefined();
  });

  it('throws nothing but a ContractViolation on a mutated body, and maps the rest to canonical records', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        mapOrViolation(target, mutate(target.seed(), mutations));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('throws nothing but a ContractViolation on a body that is any JSON at all', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (body) => mapOrViolation(target, body)),
      { numRuns: 50 },
    );
  });
});
