import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ContractViolation } from '../errors.js';
import {
  mapSofascoreEvent,
  mapSofascoreEventsPage,
  mapSofascoreEventsPageTolerant,
  mapSofascoreIncidents,
  mapSofascoreLineups,
  mapSofascoreSeasons,
  mapSofascoreStatistics,
} from './sofascore.js';

const FIXTURES = fileURLToPath(new URL('../../../../../shared/fixtures/sofascore/', import.meta.url));
const haveFixtures = existsSync(FIXTURES);
if (!haveFixtures) console.info(`[sofascore adapter] ${FIXTURES} not found: tests on real recordings skipped`);

function load(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(`${FIXTURES}${name}`, 'utf8')) as Record<string, unknown>;
}

/** The recorders cut data out and left markers; the API never sends them. */
function withoutTrimMarkers(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value
      .filter((item) => !(typeof item === 'object' && item !== null && '__trimmed__' in item))
      .map(withoutTrimMarkers);
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== '__trimmed_keys__')
        .map(([key, item]) => [key, withoutTrimMarkers(item)]),
    );
  }
  return value;
}

const source = 'sofascore';

describe.skipIf(!haveFixtures)('sofascore adapter on real recordings', () => {
  it('maps a knockout match decided on penalties: winner, score after extra time, regular time, shoot-out', () => {
    const body = { event: load('event_status-sample_finished-120-AP-penalties__tunjayoff.json').event };
    const batch = mapSofascoreEvent(body, source);
    expect(batch.matches).toHaveLength(1);
    expect(batch.matches[0]).toMatchObject({
      sourceId: '17090707',
      sport: 'football',
      status: 'finished',
      statusDetail: 'after-penalties',
      startTime: new Date(1_789_563_600 * 1000),
      score: { home: 1, away: 1 },
      regularTimeScore: { home: 1, away: 1 },
      penalties: { home: 5, away: 4 },
      winner: 'home',
      round: 5,
      roundName: 'Round of 16',
      sourceChangedAt: new Date(1_789_573_621 * 1000),
    });
    expect(batch.participants.map((participant) => participant.kind)).toEqual(['team', 'team']);
    expect(batch.seasons[0]).toMatchObject({ sourceId: '95169', year: '2026' });
  });

  it('maps tennis: players as participants, sets and games, retirement and a regular finish', () => {
    const retired = mapSofascoreEvent(
      { event: load('tennis_event_status-sample_finished-92-retired__tunjayoff.json').event },
      source,
    );
    expect(retired.matches[0]).toMatchObject({
      sourceId: '17083330',
      sport: 'tennis',
      status: 'finished',
      statusDetail: 'retired',
      score: { home: 0, away: 0 },
      periods: [{ home: 1, away: 5, tiebreak: undefined }],
      winner: 'away',
      neutral: true,
      surface: 'clay', // "Red clay"
      roundName: 'Round of 32',
    });
    expect(retired.participants[0]).toMatchObject({ kind: 'player', name: 'Dušan Lajović', country: 'RS' });

    const regular = mapSofascoreEvent(
      { event: load('tennis_event_status-sample_finished-100-regular__tunjayoff.json').event },
      source,
    );
    expect(regular.matches[0]).toMatchObject({
      sourceId: '17206241',
      statusDetail: 'regular',
      surface: 'hard', // "Hardcourt outdoor"
      score: { home: 0, away: 2 },
      periods: [
        { home: 3, away: 6 },
        { home: 4, away: 6 },
      ],
      winner: 'away',
    });
  });

  it('maps a finished league match (through the PHP re-encoded recording)', () => {
    const batch = mapSofascoreEvent(load('event__nietonchique_php-roundtrip.json'), source);
    expect(batch.matches[0]).toMatchObject({ status: 'finished', winner: 'away', statusDetail: 'regular' });
    expect(batch.matches[0]?.score?.away).toBeGreaterThan(batch.matches[0]?.score?.home ?? Number.POSITIVE_INFINITY);
  });

  it('maps the season list and a season events page', () => {
    const seasons = mapSofascoreSeasons(load('unique-tournament_17_seasons__tunjayoff.json'), {
      source,
      competitionSourceId: '17',
    });
    expect(seasons[0]).toEqual({
      source,
      sourceId: '76986',
      competitionSourceId: '17',
      name: 'Premier League 25/26',
      year: '25/26',
    });
    expect(seasons.map((season) => season.sourceId)).toContain('52186');

    const page = mapSofascoreEventsPage(
      withoutTrimMarkers(load('unique-tournament_season_events_last_TRIMMED__tunjayoff.json').body),
      source,
    );
    expect(page.hasNextPage).toBe(true);
    expect(page.batch.matches.length).toBeGreaterThan(0);
    expect(page.batch.competitions).toEqual([expect.objectContaining({ sourceId: '851', sport: 'football' })]);
  });

  it('sets aside one malformed event of a page, with its id and path, and maps the rest', () => {
    const { events } = load('sport_football_scheduled-events__moisuc.json') as {
      events: Array<Record<string, unknown>>;
    };
    const broken = structuredClone(events);
    const victim = broken[5] as { id: number; startTimestamp: unknown };
    victim.startTimestamp = 'soon';
    const page = mapSofascoreEventsPageTolerant({ events: broken, hasNextPage: false }, source);
    expect(page.batch.matches).toHaveLength(107);
    expect(page.rejected).toHaveLength(1);
    expect(page.rejected[0]?.sourceId).toBe(String(victim.id));
    expect(page.rejected[0]?.violation.path).toBe('events[5].startTimestamp');
    expect(() => mapSofascoreEventsPage({ events: broken, hasNextPage: false }, source)).toThrow(ContractViolation);
  });

  it('maps every event of a scheduled-events day, whatever its status', () => {
    const { events } = load('sport_football_scheduled-events__moisuc.json') as { events: unknown[] };
    const { batch } = mapSofascoreEventsPage({ events, hasNextPage: false }, source);
    expect(batch.matches).toHaveLength(108);
    const statuses = new Set(batch.matches.map((match) => match.status));
    expect([...statuses].sort()).toEqual(['finished', 'inprogress', 'notstarted', 'postponed']);
    for (const match of batch.matches.filter((candidate) => candidate.status === 'notstarted'))
      expect(match.score).toBeUndefined();
  });

  it('maps lineups to players and appearances with minutes', () => {
    const { participants, appearances } = mapSofascoreLineups(load('event_lineups__stefanordc.json'), {
      source,
      matchSourceId: '1',
      homeSourceId: '1977',
      awaySourceId: '999',
    });
    const home = appearances.filter((appearance) => appearance.side === 'home');
    expect(home).toHaveLength(22);
    expect(home.filter((appearance) => appearance.starter)).toHaveLength(11);
    expect(home[0]).toMatchObject({
      playerSourceId: '870748',
      teamSourceId: '1977',
      position: 'G',
      shirtNumber: 22,
      minutes: 90,
      starter: true,
    });
    expect(appearances.filter((appearance) => appearance.side === 'away')).toHaveLength(23);
    expect(participants.every((participant) => participant.kind === 'player')).toBe(true);
  });

  it('maps incidents in match-time order, shoot-out kicks included', () => {
    const incidents = mapSofascoreIncidents(withoutTrimMarkers(load('event_incidents_TRIMMED__tunjayoff.json').body), {
      source,
      matchSourceId: '17118211',
    });
    expect(incidents.map((incident) => [incident.seq, incident.kind, incident.side, incident.playerSourceId])).toEqual([
      [0, 'shootout-kick', 'home', '873106'],
      [1, 'shootout-kick', 'away', '983816'],
      [2, 'period', undefined, undefined],
    ]);
    expect(incidents[1]?.detail).toMatchObject({ scored: true, sequence: 7, score: { home: 3, away: 3 } });
    expect(incidents[2]?.detail).toMatchObject({ text: 'PEN' });
    expect(incidents[2]?.minute).toBeUndefined();
  });

  it('maps statistics once per period and key', () => {
    const statistics = mapSofascoreStatistics(load('event_statistics__stefanordc.json'), {
      source,
      matchSourceId: '1',
    });
    expect(statistics.find((item) => item.period === 'ALL' && item.key === 'ballPossession')).toMatchObject({
      home: 70,
      away: 30,
    });
    expect(statistics.find((item) => item.period === 'ALL' && item.key === 'totalShotsOnGoal')).toMatchObject({
      home: 25,
      away: 4,
    });
    const keys = statistics.map((item) => `${item.period}.${item.key}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('names the JSON path when a field we use is missing or of the wrong type', () => {
    const event = structuredClone(load('event_status-sample_finished-120-AP-penalties__tunjayoff.json').event) as {
      status: { type?: string };
      homeTeam: { id: unknown };
    };
    delete event.status.type;
    event.homeTeam.id = '5';
    try {
      mapSofascoreEvent({ event }, source);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ContractViolation);
      const violation = error as ContractViolation;
      expect(violation.path).toBe('event.status.type');
      expect(violation.problems).toEqual(
        expect.arrayContaining([expect.stringMatching(/^event\.homeTeam\.id: expected number/)]),
      );
      expect(violation.retryable).toBe(false);
    }
  });
});
