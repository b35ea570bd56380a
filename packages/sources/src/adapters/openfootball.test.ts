import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CanonicalBatch, CanonicalMatch } from '../canonical.js';
import { ContractViolation } from '../errors.js';
import { mapOpenfootballSeason, OPENFOOTBALL_PATHS, openfootballTeamId } from './openfootball.js';

// Real season files live outside the repo (../shared/fixtures); a fresh clone has none.
const FIXTURES = fileURLToPath(new URL('../../../../../shared/fixtures/openfootball/', import.meta.url));
const haveFixtures = existsSync(FIXTURES);
if (!haveFixtures) console.info(`openfootball adapter tests skipped: no season files at ${FIXTURES}`);

const SOURCE = 'openfootball';

/** Where each competition's matches are played, for its local kick-off times. */
const ZONES: Record<string, string> = { 'en.1': 'Europe/London', 'de.1': 'Europe/Berlin', 'es.1': 'Europe/Madrid' };

function readSeason(season: string, competition: string): unknown {
  return JSON.parse(readFileSync(`${FIXTURES}${season}/${competition}.json`, 'utf8'));
}

function mapSeason(season: string, competition: string, body = readSeason(season, competition)): CanonicalBatch {
  return mapOpenfootballSeason(body, { source: SOURCE, competition, season, timezone: ZONES[competition] ?? 'UTC' });
}

/** Every `{season}/{competition}.json` in the fixtures. */
function seasonFiles(): Array<{ season: string; competition: string }> {
  return readdirSync(FIXTURES, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((folder) =>
      readdirSync(`${FIXTURES}${folder.name}`)
        .filter((file) => file.endsWith('.json'))
        .map((file) => ({ season: folder.name, competition: file.replace(/\.json$/, '') })),
    );
}

/** A league season pairs two teams once at each ground, so home and away find one match. */
function findMatch(batch: CanonicalBatch, home: string, away: string): CanonicalMatch {
  const homeId = openfootballTeamId(home);
  const awayId = openfootballTeamId(away);
  const found = batch.matches.filter((match) => match.homeSourceId === homeId && match.awaySourceId === awayId);
  if (found.length !== 1) throw new Error(`${found.length} matches ${home} v ${away} in batch`);
  return found[0] as CanonicalMatch;
}

/** Just enough shape to edit a real season file in a test. */
interface EditableSeason {
  name: string;
  matches: Array<Record<string, unknown> & { score: Record<string, unknown> }>;
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

describe('OPENFOOTBALL_PATHS', () => {
  it('points at a season file', () => {
    expect(OPENFOOTBALL_PATHS.season('2024-25', 'en.1')).toBe('/2024-25/en.1.json');
  });
});

describe('openfootballTeamId', () => {
  it('ignores case, accents, punctuation and the FC/AFC/CF that 2020-21 added to most names', () => {
    expect(openfootballTeamId('Manchester United')).toBe('manchester-united');
    expect(openfootballTeamId('Manchester United FC')).toBe('manchester-united');
    expect(openfootballTeamId('AFC Bournemouth')).toBe('bournemouth');
    expect(openfootballTeamId('Brighton & Hove Albion FC')).toBe('brighton-and-hove-albion');
    expect(openfootballTeamId('1. FC Köln')).toBe('1-koln');
    expect(openfootballTeamId('Atlético Madrid')).toBe('atletico-madrid');
    expect(openfootballTeamId('FC')).toBe('fc');
  });

  it('does not link other renames (a documented limitation)', () => {
    expect(openfootballTeamId('Bayer Leverkusen')).not.toBe(openfootballTeamId('Bayer 04 Leverkusen'));
    expect(openfootballTeamId('Bor. Mönchengladbach')).not.toBe(openfootballTeamId('Borussia Mönchengladbach'));
  });
});

describe('mapOpenfootballSeason with explicit offsets and cup scores', () => {
  const cupFinal = {
    name: 'Some Cup 2026',
    matches: [
      {
        round: 'Final',
        date: '2026-06-11',
        time: '13:00 UTC-6',
        team1: 'Mexico',
        team2: 'South Africa',
        score: { ht: [1, 0], ft: [1, 1], et: [2, 2], p: [4, 3] },
      },
      { round: 'Round 3', date: '2026-06-12', time: '19:30 UTC+5:30', team1: 'India', team2: 'Nepal', score: {} },
    ],
  };

  it('uses the offset in the time over the source zone, and splits 90 minutes, extra time and penalties', () => {
    const batch = mapOpenfootballSeason(cupFinal, {
      source: SOURCE,
      competition: 'cup',
      season: '2026',
      timezone: 'Europe/London',
    });
    const [final, groupGame] = batch.matches;
    expect(final).toMatchObject({
      startTime: new Date('2026-06-11T19:00:00Z'),
      status: 'finished',
      statusDetail: 'after-penalties',
      score: { home: 2, away: 2 },
      regularTimeScore: { home: 1, away: 1 },
      penalties: { home: 4, away: 3 },
      winner: 'home',
      round: undefined,
      roundName: 'Final',
    });
    expect(groupGame).toMatchObject({
      startTime: new Date('2026-06-12T14:00:00Z'),
      status: 'notstarted',
      round: 3,
    });
    expect(batch.competitions).toEqual([
      { source: SOURCE, sourceId: 'cup', name: 'Some Cup', sport: 'football', country: undefined },
    ]);
  });
});

describe.skipIf(!haveFixtures)('openfootball adapter on real season files', () => {
  it('maps every season file, each match once, with match ids unique in the file and overall', () => {
    const files = seasonFiles();
    // 16 seasons of en.1 and de.1, 14 of es.1 (its files start in 2012-13).
    expect(files.length).toBe(46);
    const allIds = new Set<string>();
    let matchCount = 0;
    for (const { season, competition } of files) {
      const body = readSeason(season, competition) as { matches: unknown[] };
      const batch = mapSeason(season, competition, body);
      const ids = batch.matches.map((match) => match.sourceId);
      expect(ids.length, `${season}/${competition}`).toBe(body.matches.length);
      expect(new Set(ids).size, `${season}/${competition}`).toBe(ids.length);
      for (const id of ids) allIds.add(id);
      matchCount += ids.length;
      expect(batch.seasons.map((record) => record.sourceId)).toEqual([season]);
      expect(batch.matches.every((match) => !Number.isNaN(match.startTime.getTime()))).toBe(true);
      expect(batch.participants.length, `${season}/${competition}`).toBe(competition === 'de.1' ? 18 : 20);
    }
    expect(allIds.size).toBe(matchCount);
  });

  it('gives the same ids on every run', () => {
    const first = mapSeason('2024-25', 'en.1').matches.map((match) => match.sourceId);
    const second = mapSeason('2024-25', 'en.1').matches.map((match) => match.sourceId);
    expect(second).toEqual(first);
    expect(first[0]).toMatch(/^[0-9a-f]{16}$/);
  });

  describe('en.1 2024-25 (Premier League, complete)', () => {
    const batch = () => mapSeason('2024-25', 'en.1');

    it('has 380 finished matches between 20 teams', () => {
      const { matches, participants, competitions, seasons } = batch();
      expect(matches).toHaveLength(380);
      expect(matches.every((match) => match.status === 'finished' && match.score !== undefined)).toBe(true);
      expect(participants).toHaveLength(20);
      expect(competitions).toEqual([
        { source: SOURCE, sourceId: 'en.1', name: 'English Premier League', sport: 'football', country: 'EN' },
      ]);
      expect(seasons).toEqual([
        { source: SOURCE, sourceId: '2024-25', competitionSourceId: 'en.1', name: '2024/25', year: '2024-25' },
      ]);
    });

    it('maps the opener, Manchester United 1-0 Fulham, 20:00 BST = 19:00 UTC', () => {
      const match = findMatch(batch(), 'Manchester United FC', 'Fulham FC');
      expect(match).toEqual({
        source: SOURCE,
        sourceId: match.sourceId,
        competitionSourceId: 'en.1',
        seasonSourceId: '2024-25',
        sport: 'football',
        startTime: new Date('2024-08-16T19:00:00Z'),
        status: 'finished',
        statusDetail: 'regular',
        homeSourceId: 'manchester-united',
        awaySourceId: 'fulham',
        score: { home: 1, away: 0 },
        regularTimeScore: { home: 1, away: 0 },
        penalties: undefined,
        periods: [],
        winner: 'home',
        neutral: false,
        round: 1,
        roundName: 'Matchday 1',
        sourceChangedAt: undefined,
      });
      expect(batch().participants.find((team) => team.sourceId === 'manchester-united')).toEqual({
        source: SOURCE,
        sourceId: 'manchester-united',
        kind: 'team',
        name: 'Manchester United FC',
        shortName: undefined,
        country: undefined,
      });
    });

    it('converts local kick-offs either side of both clock changes', () => {
      const season = batch();
      // Clocks went back at 01:00 UTC on Sunday 27 October 2024.
      expect(findMatch(season, 'Everton FC', 'Fulham FC').startTime).toEqual(new Date('2024-10-26T16:30:00Z'));
      expect(findMatch(season, 'Arsenal FC', 'Liverpool FC').startTime).toEqual(new Date('2024-10-27T16:30:00Z'));
      expect(findMatch(season, 'Liverpool FC', 'Leicester City FC').startTime).toEqual(
        new Date('2024-12-26T20:00:00Z'),
      );
      // Clocks went forward at 01:00 UTC on Sunday 30 March 2025.
      expect(findMatch(season, 'Arsenal FC', 'Fulham FC').startTime).toEqual(new Date('2025-04-01T18:45:00Z'));
    });
  });

  it('keeps a team id across the 2020-21 renaming (Manchester United -> Manchester United FC)', () => {
    const before = mapSeason('2019-20', 'en.1').participants.find((team) => team.name === 'Manchester United');
    const after = mapSeason('2020-21', 'en.1').participants.find((team) => team.name === 'Manchester United FC');
    expect(before?.sourceId).toBe('manchester-united');
    expect(after?.sourceId).toBe('manchester-united');
  });

  it('maps an awarded match (de.1 2024-25, Union Berlin v Bochum, awarded 0-2)', () => {
    const match = findMatch(mapSeason('2024-25', 'de.1'), '1. FC Union Berlin', 'VfL Bochum 1848');
    expect(match).toMatchObject({
      startTime: new Date('2024-12-14T14:30:00Z'),
      status: 'finished',
      statusDetail: 'awarded',
      score: { home: 0, away: 2 },
      winner: 'away',
      round: 14,
    });
  });

  describe('en.1 2025-26 (in progress)', () => {
    it('has played, unplayed and postponed matches', () => {
      const { matches } = mapSeason('2025-26', 'en.1');
      expect(matches).toHaveLength(380);
      const counts = { finished: 0, notstarted: 0, postponed: 0 };
      for (const match of matches) counts[match.status as keyof typeof counts] += 1;
      expect(counts).toEqual({ finished: 291, notstarted: 88, postponed: 1 });
      for (const match of matches.filter((candidate) => candidate.status !== 'finished')) {
        expect([match.score, match.regularTimeScore, match.winner, match.statusDetail]).toEqual([
          undefined,
          undefined,
          undefined,
          undefined,
        ]);
      }
    });

    it('puts a fixture without a time at 15:00 local (Manchester City v Crystal Palace, postponed)', () => {
      const match = findMatch(mapSeason('2025-26', 'en.1'), 'Manchester City FC', 'Crystal Palace FC');
      expect(match).toMatchObject({
        status: 'postponed',
        startTime: new Date('2026-03-21T15:00:00Z'),
        round: 31,
      });
    });

    it('puts the 90 untimed es.1 fixtures at 15:00 in Madrid', () => {
      const body = readSeason('2025-26', 'es.1') as { matches: Array<{ time?: string }> };
      const untimed = new Set(body.matches.flatMap((match, index) => (match.time === undefined ? [index] : [])));
      expect(untimed.size).toBe(90);
      const matches = mapSeason('2025-26', 'es.1', body).matches.filter((_, index) => untimed.has(index));
      const madridHours = matches.map((match) =>
        new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Madrid', hour: '2-digit', minute: '2-digit' }).format(
          match.startTime,
        ),
      );
      expect(new Set(madridHours)).toEqual(new Set(['15:00']));
    });
  });

  it('leaves es.1 2024-25 matchday 38 unplayed: the file has no results for it', () => {
    const { matches } = mapSeason('2024-25', 'es.1');
    const unplayed = matches.filter((match) => match.status === 'notstarted');
    expect(unplayed).toHaveLength(10);
    expect(new Set(unplayed.map((match) => match.round))).toEqual(new Set([38]));
  });

  it('names the path of a missing team', () => {
    const body = readSeason('2024-25', 'en.1') as EditableSeason;
    delete body.matches[5]?.team2;
    const violation = contractViolation(() => mapSeason('2024-25', 'en.1', body));
    expect(violation.path).toBe('matches[5].team2');
    expect(violation.endpoint).toBe('season');
    expect(violation.source).toBe(SOURCE);
  });

  it('names the path of a score that is no longer a pair of numbers', () => {
    const body = readSeason('2024-25', 'en.1') as EditableSeason;
    const first = body.matches[0];
    if (first !== undefined) first.score.ft = '1-0';
    expect(contractViolation(() => mapSeason('2024-25', 'en.1', body)).path).toBe('matches[0].score.ft');
  });
});

describe('openfootball match ids across a reschedule', () => {
  const options = { source: 'openfootball', competition: 'en.1', season: '2024-25', timezone: 'Europe/London' };
  const season = (date: string) => ({
    name: 'English Premier League 2024/25',
    matches: [
      { round: 'Matchday 1', date, team1: 'Arsenal FC', team2: 'Chelsea FC' },
      { round: 'Matchday 20', date: '2025-01-04', team1: 'Chelsea FC', team2: 'Arsenal FC' },
    ],
  });

  it('keeps a match id when the file moves it to a new date', () => {
    const before = mapOpenfootballSeason(season('2024-08-17'), options).matches.map((match) => match.sourceId);
    const after = mapOpenfootballSeason(season('2024-09-21'), options).matches.map((match) => match.sourceId);
    expect(after).toEqual(before);
    expect(new Set(before).size).toBe(2);
  });

  it('tells apart a second meeting of the same home and away sides in one file', () => {
    const body = season('2024-08-17');
    body.matches.push({ round: 'Play-off', date: '2025-05-30', team1: 'Arsenal FC', team2: 'Chelsea FC' });
    const ids = mapOpenfootballSeason(body, options).matches.map((match) => match.sourceId);
    expect(new Set(ids).size).toBe(3);
  });
});
