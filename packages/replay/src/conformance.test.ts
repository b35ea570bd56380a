import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplayServer, startReplay } from './server.js';
import { drawSeeds } from './sofascore/event.js';
import { shapeOf, shortfalls } from './testing/shape.js';
import type { Match } from './world/model.js';
import { viewMatch } from './world/view.js';

/*
 * Conformance: for each endpoint, every key path and value type in a real recorded Sofascore
 * response must appear in the replay's response for a comparable match. Fixtures live outside
 * the repository (../shared); without them these tests skip, saying so.
 */

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/sofascore/', import.meta.url));
const haveFixtures = existsSync(FIXTURES);
if (!haveFixtures) console.info(`[replay conformance] ${FIXTURES} not found: conformance tests skipped`);

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(`${FIXTURES}${name}`, 'utf8')) as Record<string, unknown>;
}

/**
 * Keys the recordings have that our simulated world has no occasion for, each with why.
 * Keep this short: everything else must match.
 */
const NOT_IN_OUR_WORLD = {
  /** Group stages (groupName "Group A"): the simulated competitions have none. */
  groups: [/^events\[\]\.tournament\.group(Name|Sign)$/],
};

describe.skipIf(!haveFixtures)('replay conformance with recorded Sofascore responses', () => {
  let replay: ReplayServer;
  let matches: Match[];
  const now = () => replay.clock.now();

  beforeAll(async () => {
    replay = await startReplay({ port: 0, seed: 7 });
    matches = [...(replay.world?.matches.values() ?? [])];
  });
  afterAll(async () => {
    await replay?.close();
  });

  async function get(path: string): Promise<unknown> {
    const response = await fetch(`${replay.apiUrl}${path}`);
    expect(response.status, path).toBe(200);
    return response.json();
  }

  function finished(predicate: (match: Match) => boolean): Match {
    const found = matches.find((match) => predicate(match) && viewMatch(match, now()).finished);
    if (!found) throw new Error('no finished match of the kind needed');
    return found;
  }

  const decidedOnPenalties = () => finished((match) => (match.football?.shootout.length ?? 0) > 0);
  const leagueMatch = () => finished((match) => match.season.competition.kind === 'league' && match.fate === 'played');

  function expectConforms(real: unknown, replayed: unknown, ignore: RegExp[] = []) {
    expect(shortfalls(shapeOf(real), shapeOf(replayed), ignore)).toEqual([]);
  }

  it('unique-tournament/{id}/seasons', async () => {
    expectConforms(
      fixture('unique-tournament_17_seasons__tunjayoff.json'),
      await get('/unique-tournament/1001/seasons'),
    );
  });

  it('unique-tournament/{id}/season/{id}/events/last/{page}', async () => {
    const real = fixture('unique-tournament_season_events_last_TRIMMED__tunjayoff.json').body;
    expectConforms(real, await get('/unique-tournament/1001/season/50003/events/last/0'));
  });

  it('event/{id}: a knockout match decided on penalties', async () => {
    const real = { event: fixture('event_status-sample_finished-120-AP-penalties__tunjayoff.json').event };
    const body = (await get(`/event/${decidedOnPenalties().id}`)) as { event: { status: { code: number } } };
    expect(body.event.status.code).toBe(120);
    expectConforms(real, body);
  });

  it('event/{id}: a league match with venue, referee and attendance', async () => {
    expectConforms(fixture('event__nietonchique_php-roundtrip.json'), await get(`/event/${leagueMatch().id}`));
  });

  it('event/{id}: a tennis match finished normally, and one ended by retirement', async () => {
    // Seed labels are printed only for seeded players; pick matches with them where the recordings have them.
    const regular = finished(
      (match) =>
        match.tennis !== undefined &&
        match.tennis.retired === undefined &&
        match.fate === 'played' &&
        drawSeeds(match).away !== undefined,
    );
    const retired = finished((match) => match.tennis?.retired !== undefined && drawSeeds(match).home !== undefined);
    expectConforms(
      { event: fixture('tennis_event_status-sample_finished-100-regular__tunjayoff.json').event },
      await get(`/event/${regular.id}`),
    );
    const body = (await get(`/event/${retired.id}`)) as { event: { status: { code: number } } };
    expect(body.event.status.code).toBe(92);
    expectConforms({ event: fixture('tennis_event_status-sample_finished-92-retired__tunjayoff.json').event }, body);
  });

  it('event/{id}/lineups', async () => {
    const withAbsentees = finished(
      (match) =>
        match.season.competition.kind === 'league' &&
        (match.football?.lineups.home.missing.length ?? 0) > 0 &&
        (match.football?.lineups.away.missing.length ?? 0) > 0,
    );
    expectConforms(fixture('event_lineups__stefanordc.json'), await get(`/event/${withAbsentees.id}/lineups`));
  });

  it('event/{id}/incidents, shoot-out included', async () => {
    const real = fixture('event_incidents_TRIMMED__tunjayoff.json').body;
    expectConforms(real, await get(`/event/${decidedOnPenalties().id}/incidents`));
  });

  it('event/{id}/statistics', async () => {
    expectConforms(fixture('event_statistics__stefanordc.json'), await get(`/event/${leagueMatch().id}/statistics`));
  });

  it('sport/{sport}/scheduled-events/{date}: finished, live, postponed and upcoming matches', async () => {
    const real = fixture('sport_football_scheduled-events__moisuc.json');
    // A Saturday afternoon: the early kick-off is over, the 15:00 games are at half-time,
    // Sunday's game is still to come; and a day with a postponed match.
    const postponed = matches.find((match) => match.fate === 'postponed' && match.startTimestamp < now());
    if (!postponed) throw new Error('no postponed match before now');
    const saturday = new Date('2025-10-18T00:00:00Z');
    const bodies: unknown[] = [];
    const original = now();
    try {
      replay.clock.set(Date.parse('2025-10-18T15:50:00Z') / 1000);
      bodies.push(await get('/sport/football/scheduled-events/2025-10-18'));
      bodies.push(await get('/sport/football/scheduled-events/2025-10-19'));
      replay.clock.set(postponed.startTimestamp + 3_600);
      bodies.push(
        await get(
          `/sport/football/scheduled-events/${new Date(postponed.startTimestamp * 1000).toISOString().slice(0, 10)}`,
        ),
      );
    } finally {
      replay.clock.set(original);
    }
    expect(saturday.getUTCDay()).toBe(6);
    const statuses = new Set(
      bodies.flatMap((body) =>
        (body as { events: Array<{ status: { type: string } }> }).events.map((event) => event.status.type),
      ),
    );
    expect([...statuses].sort()).toEqual(['finished', 'inprogress', 'notstarted', 'postponed']);
    expect(shortfalls(shapeOf(real), shapeOf(...bodies), NOT_IN_OUR_WORLD.groups)).toEqual([]);
  });
});
