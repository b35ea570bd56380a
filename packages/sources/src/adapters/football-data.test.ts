import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CanonicalBatch, CanonicalMatch } from '../canonical.js';
import { ContractViolation } from '../errors.js';
import {
  FOOTBALL_DATA_PATHS,
  mapFootballDataCompetitions,
  mapFootballDataMatch,
  mapFootballDataMatches,
} from './football-data.js';

// Real recordings live outside the repo (../shared/fixtures); a fresh clone has none.
const FIXTURES = fileURLToPath(new URL('../../../../../shared/fixtures/football-data/', import.meta.url));
const haveFixtures = existsSync(FIXTURES);
if (!haveFixtures) console.info(`football-data adapter tests skipped: no recordings at ${FIXTURES}`);

const SOURCE = 'football-data';

/** The response body of a `recorded__*.json` envelope, exactly as the API sent it. */
function recordedBody(name: string): unknown {
  const envelope = JSON.parse(readFileSync(`${FIXTURES}recorded__${name}.json`, 'utf8')) as {
    status: number;
    body: string;
  };
  expect(envelope.status).toBe(200);
  return JSON.parse(envelope.body);
}

/** Just enough shape to edit a recorded match in a test. */
interface EditableMatch {
  id: number;
  status: unknown;
  utcDate: unknown;
  homeTeam: Record<string, unknown>;
  awayTeam: Record<string, unknown>;
  score: Record<string, unknown>;
}

function recordedMatches(name: string): { matches: EditableMatch[] } {
  return recordedBody(name) as { matches: EditableMatch[] };
}

function matchById(batch: CanonicalBatch, id: string): CanonicalMatch {
  const match = batch.matches.find((candidate) => candidate.sourceId === id);
  if (match === undefined) throw new Error(`no match ${id} in batch`);
  return match;
}

function contractViolation(run: () => unknown): ContractViolation {
  try {
    run();
  } catch (error) {
    if (error instanceof ContractViolation) return error;
    throw error;
  }
  throw new Error('expected a ContractViolation');
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

describe('FOOTBALL_DATA_PATHS', () => {
  it('builds the v4 request paths', () => {
    expect(FOOTBALL_DATA_PATHS.competitions()).toBe('/competitions');
    expect(FOOTBALL_DATA_PATHS.matches('PL', '2022')).toBe('/competitions/PL/matches?season=2022');
    expect(FOOTBALL_DATA_PATHS.match('417211')).toBe('/matches/417211');
  });
});

describe.skipIf(!haveFixtures)('football-data adapter on real recordings', () => {
  describe('GET /competitions', () => {
    it('maps every competition, keyed by its code', () => {
      const competitions = mapFootballDataCompetitions(recordedBody('Competitions'), SOURCE);
      expect(competitions).toHaveLength(13);
      expect(competitions.map((competition) => competition.sourceId)).toEqual([
        'BSA',
        'ELC',
        'PL',
        'CL',
        'EC',
        'FL1',
        'BL1',
        'SA',
        'DED',
        'PPL',
        'CLI',
        'PD',
        'WC',
      ]);
      expect(competitions.find((competition) => competition.sourceId === 'PL')).toEqual({
        source: SOURCE,
        sourceId: 'PL',
        name: 'Premier League',
        sport: 'football',
        country: 'ENG',
      });
    });

    it('gives competitions of a region (Europe, South America, World) no country', () => {
      const competitions = mapFootballDataCompetitions(recordedBody('Competitions'), SOURCE);
      const countries = Object.fromEntries(
        competitions.map((competition) => [competition.sourceId, competition.country]),
      );
      expect(countries).toMatchObject({ CL: undefined, EC: undefined, CLI: undefined, WC: undefined, BL1: 'DEU' });
    });
  });

  describe('GET /matches/417211', () => {
    it('maps Brest v Strasbourg, a 1-1 draw in Ligue 1', () => {
      const batch = mapFootballDataMatch(recordedBody('Match-417211'), SOURCE);
      expect(batch.competitions).toEqual([
        { source: SOURCE, sourceId: 'FL1', name: 'Ligue 1', sport: 'football', country: 'FRA' },
      ]);
      expect(batch.seasons).toEqual([
        { source: SOURCE, sourceId: '2022', competitionSourceId: 'FL1', name: '2022/23', year: '2022' },
      ]);
      expect(batch.participants).toEqual([
        {
          source: SOURCE,
          sourceId: '512',
          kind: 'team',
          name: 'Stade Brestois 29',
          shortName: 'Brest',
          country: undefined,
        },
        {
          source: SOURCE,
          sourceId: '576',
          kind: 'team',
          name: 'RC Strasbourg Alsace',
          shortName: 'Strasbourg',
          country: undefined,
        },
      ]);
      expect(batch.matches).toEqual([
        {
          source: SOURCE,
          sourceId: '417211',
          competitionSourceId: 'FL1',
          seasonSourceId: '2022',
          sport: 'football',
          startTime: new Date('2022-09-04T13:00:00Z'),
          status: 'finished',
          statusDetail: 'regular',
          homeSourceId: '512',
          awaySourceId: '576',
          score: { home: 1, away: 1 },
          regularTimeScore: { home: 1, away: 1 },
          penalties: undefined,
          periods: [],
          winner: 'draw',
          neutral: false,
          round: 6,
          roundName: undefined,
          sourceChangedAt: new Date('2022-09-13T00:20:09Z'),
        },
      ]);
      expect(batch.appearances).toEqual([]);
      expect(batch.incidents).toEqual([]);
      expect(batch.statistics).toEqual([]);
    });

    it('maps every upstream status', () => {
      const expected = {
        SCHEDULED: ['notstarted', undefined],
        TIMED: ['notstarted', undefined],
        IN_PLAY: ['inprogress', undefined],
        PAUSED: ['inprogress', undefined],
        LIVE: ['inprogress', undefined],
        FINISHED: ['finished', 'regular'],
        AWARDED: ['finished', 'awarded'],
        POSTPONED: ['postponed', undefined],
        SUSPENDED: ['postponed', undefined],
        CANCELLED: ['canceled', undefined],
      } as const;
      for (const [upstream, [status, statusDetail]] of Object.entries(expected)) {
        const body = recordedBody('Match-417211') as EditableMatch;
        body.status = upstream;
        const [match] = mapFootballDataMatch(body, SOURCE).matches;
        expect({ upstream, status: match?.status, statusDetail: match?.statusDetail }).toEqual({
          upstream,
          status,
          statusDetail,
        });
      }
    });

    it('keeps a running score but no 90-minute score or winner while the match is in play', () => {
      const body = recordedBody('Match-417211') as EditableMatch;
      body.status = 'IN_PLAY';
      body.score = { winner: 'HOME_TEAM', duration: 'REGULAR', fullTime: { home: 1, away: 0 } };
      const [match] = mapFootballDataMatch(body, SOURCE).matches;
      expect(match).toMatchObject({
        status: 'inprogress',
        score: { home: 1, away: 0 },
        regularTimeScore: undefined,
        winner: undefined,
      });
    });

    it('names the offending JSON path when a field we read changes type', () => {
      const body = recordedBody('Match-417211') as EditableMatch;
      body.utcDate = 1_662_296_400;
      const violation = contractViolation(() => mapFootballDataMatch(body, SOURCE));
      expect(violation.path).toBe('utcDate');
      expect(violation.source).toBe(SOURCE);
      expect(violation.endpoint).toBe('match');
      expect(violation.retryable).toBe(false);
    });

    it('refuses a status it does not know rather than guess', () => {
      const body = recordedBody('Match-417211') as EditableMatch;
      body.status = 'ABANDONED';
      expect(contractViolation(() => mapFootballDataMatch(body, SOURCE)).path).toBe('status');
    });

    it('leaves out a fixture whose teams are not known yet', () => {
      const body = recordedBody('Match-417211') as EditableMatch;
      body.status = 'TIMED';
      body.homeTeam = { id: null, name: null, shortName: null, tla: null, crest: null };
      const batch = mapFootballDataMatch(body, SOURCE);
      expect(batch.matches).toEqual([]);
      expect(batch.participants).toEqual([]);
      expect(batch.competitions.map((competition) => competition.sourceId)).toEqual(['FL1']);
    });
  });

  describe('GET /competitions/CL/matches?season=2022 (knockout football)', () => {
    const map = () => mapFootballDataMatches(recordedBody('Competition-2001-Matches'), SOURCE);

    it('maps all 185 matches of one season, with the teams in them', () => {
      const batch = map();
      expect(batch.matches).toHaveLength(185);
      expect(countBy(batch.matches, (match) => `${match.status}/${match.statusDetail}`)).toEqual({
        'finished/regular': 94,
        'finished/after-extra-time': 8,
        'finished/after-penalties': 3,
        'notstarted/undefined': 80,
      });
      expect(batch.competitions).toEqual([
        { source: SOURCE, sourceId: 'CL', name: 'UEFA Champions League', sport: 'football', country: undefined },
      ]);
      expect(batch.seasons).toEqual([
        { source: SOURCE, sourceId: '2022', competitionSourceId: 'CL', name: '2022/23', year: '2022' },
      ]);
      const teamIds = batch.participants.map((participant) => participant.sourceId);
      expect(new Set(teamIds).size).toBe(teamIds.length);
      const inMatches = new Set(batch.matches.flatMap((match) => [match.homeSourceId, match.awaySourceId]));
      expect(new Set(teamIds)).toEqual(inMatches);
    });

    it('takes shoot-out goals out of the score (RFS v HJK: fullTime 6-6 is 2-1 plus 4-5 on penalties)', () => {
      expect(matchById(map(), '418518')).toMatchObject({
        status: 'finished',
        statusDetail: 'after-penalties',
        score: { home: 2, away: 1 },
        regularTimeScore: { home: 2, away: 1 },
        penalties: { home: 4, away: 5 },
        winner: 'away',
        roundName: 'QUALIFICATION_ROUND_1',
        round: 1,
      });
      // CFR Cluj v Pyunik: fullTime 5-6 = 1-1 after 90, 1-1 in extra time, 3-4 on penalties.
      expect(matchById(map(), '418504')).toMatchObject({
        score: { home: 2, away: 2 },
        regularTimeScore: { home: 1, away: 1 },
        penalties: { home: 3, away: 4 },
      });
    });

    it('keeps extra-time goals in the score and derives the 90-minute score from them', () => {
      // Žalgiris v Ballkani: fullTime 1-0 with extraTime 1-0; regularTime is all nulls upstream.
      expect(matchById(map(), '418516')).toMatchObject({
        statusDetail: 'after-extra-time',
        score: { home: 1, away: 0 },
        regularTimeScore: { home: 0, away: 0 },
        penalties: undefined,
        winner: 'home',
      });
      // Zürich v Qarabağ: fullTime 2-2 with extraTime 0-1.
      expect(matchById(map(), '418489')).toMatchObject({
        score: { home: 2, away: 2 },
        regularTimeScore: { home: 2, away: 1 },
        winner: 'draw',
      });
    });

    it('falls back on regularTime + extraTime when a shoot-out comes without its goals', () => {
      const body = recordedMatches('Competition-2001-Matches');
      const rfsHjk = body.matches.find((match) => match.id === 418518);
      if (rfsHjk === undefined) throw new Error('418518 missing from the recording');
      rfsHjk.score = { ...rfsHjk.score, penalties: { home: null, away: null }, regularTime: { home: 2, away: 1 } };
      expect(matchById(mapFootballDataMatches(body, SOURCE), '418518')).toMatchObject({
        score: { home: 2, away: 1 },
        penalties: undefined,
      });

      rfsHjk.score = { ...rfsHjk.score, regularTime: { home: null, away: null } };
      expect(matchById(mapFootballDataMatches(body, SOURCE), '418518').score).toBeUndefined();
    });

    it('has a 90-minute score for every finished match, never above the final score', () => {
      for (const match of map().matches.filter((candidate) => candidate.status === 'finished')) {
        expect(match.regularTimeScore, match.sourceId).toBeDefined();
        expect(match.regularTimeScore?.home).toBeLessThanOrEqual(match.score?.home ?? -1);
        expect(match.regularTimeScore?.away).toBeLessThanOrEqual(match.score?.away ?? -1);
      }
    });

    it('copes with clubs that have no short name and rounds with no matchday', () => {
      const batch = map();
      expect(batch.participants.find((participant) => participant.sourceId === '10062')).toEqual({
        source: SOURCE,
        sourceId: '10062',
        kind: 'team',
        name: 'Ballkani',
        shortName: undefined,
        country: undefined,
      });
      const playoffs = batch.matches.filter((match) => match.roundName === 'PLAYOFF_ROUND');
      expect(playoffs).toHaveLength(12);
      expect(playoffs.every((match) => match.round === undefined)).toBe(true);
    });

    it('names the path of a missing team id', () => {
      const body = recordedMatches('Competition-2001-Matches');
      delete body.matches[3]?.homeTeam.id;
      const violation = contractViolation(() => mapFootballDataMatches(body, SOURCE));
      expect(violation.path).toBe('matches[3].homeTeam.id');
      expect(violation.endpoint).toBe('competition.matches');
    });
  });

  describe('GET /competitions/BL1/matches?season=2022 (a league early in its season)', () => {
    it('maps 306 matches between 18 teams, unplayed ones without a score', () => {
      const batch = mapFootballDataMatches(recordedBody('Competition-2002-Matches'), SOURCE);
      expect(batch.matches).toHaveLength(306);
      expect(batch.participants).toHaveLength(18);
      expect(countBy(batch.matches, (match) => match.status)).toEqual({ finished: 54, notstarted: 252 });
      for (const match of batch.matches.filter((candidate) => candidate.status === 'notstarted')) {
        expect([match.score, match.regularTimeScore, match.winner]).toEqual([undefined, undefined, undefined]);
      }
      expect(new Set(batch.matches.map((match) => match.round))).toEqual(
        new Set(Array.from({ length: 34 }, (_, i) => i + 1)),
      );
      expect(batch.matches.every((match) => match.roundName === undefined)).toBe(true);
      expect(batch.competitions).toEqual([
        { source: SOURCE, sourceId: 'BL1', name: 'Bundesliga', sport: 'football', country: 'DEU' },
      ]);
      // Eintracht Frankfurt 1-6 Bayern, the season's opener.
      expect(matchById(batch, '416393')).toMatchObject({
        startTime: new Date('2022-08-05T18:35:00Z'),
        homeSourceId: '19',
        awaySourceId: '5',
        score: { home: 1, away: 6 },
        winner: 'away',
        round: 1,
      });
    });
  });

  describe('GET /matches?dateFrom=...&dateTo=... (not an endpoint we map)', () => {
    it('is refused as a competition match list: it has no top-level competition', () => {
      const violation = contractViolation(() => mapFootballDataMatches(recordedBody('Matches'), SOURCE));
      expect(violation.path).toBe('competition');
    });
  });
});
