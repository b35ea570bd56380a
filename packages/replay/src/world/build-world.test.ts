import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_NOW } from '../server.js';
import { handleApi } from '../sofascore/api.js';
import { renderIncidents } from '../sofascore/match-details.js';
import {
  buildWorld,
  DEMO_IDS,
  SCALE_SEASON_MATCHES,
  scaleLeagueIds,
  scaleProblems,
  type World,
} from './build-world.js';
import { LazyFootballMatch, PlayCache } from './lazy-play.js';
import type { Competition, Match } from './model.js';
import { viewMatch } from './view.js';

const unix = (iso: string) => Date.parse(iso) / 1000;
/** The default clock; a Saturday afternoon with matches in progress and corrections pending. */
const TIMES = [unix(DEFAULT_NOW), unix('2025-11-08T16:10:00Z')];
/**
 * `hashResponses(buildWorld({ seed: 7 }), [time])` for each of TIMES, as computed before the
 * scale leagues existed: the default world must stay byte-identical.
 */
const DEFAULT_WORLD_HASHES = [
  '8d5c7d6332ba8de810417a853ace8d32347b8b41e3e1378b866ea0f57e13c004',
  '058f4a991abb70e6d225b74db7780d08e10888e3db02202e804ae7054f3baacd',
];

function answer(world: World, now: number, path: string) {
  return handleApi({ world, now, drift: undefined }, `/api/v1${path}`);
}

/** Every answer about `competitions` (seasons, every listing page, every match's four endpoints) at `times`, hashed. */
function hashResponses(
  world: World,
  times: number[],
  competitions: Competition[] = world.competitions.slice(0, 3),
  scheduledDays = ['2024-01-15', '2025-01-14', '2026-01-13', '2025-11-08'],
  seasonLists = true,
): string {
  const hash = createHash('sha256');
  const add = (now: number, path: string) => {
    const response = answer(world, now, path);
    hash.update(`${path} ${response.status} ${JSON.stringify(response.body)}\n`);
    return response.status;
  };
  for (const now of times) {
    for (const competition of competitions) {
      if (seasonLists) add(now, `/unique-tournament/${competition.uniqueTournamentId}/seasons`);
      for (const season of competition.seasons) {
        for (const direction of ['last', 'next']) {
          for (let page = 0; ; page += 1) {
            const path = `/unique-tournament/${competition.uniqueTournamentId}/season/${season.id}/events/${direction}/${page}`;
            if (add(now, path) !== 200) break;
          }
        }
        for (const match of season.matches) {
          for (const suffix of ['', '/lineups', '/incidents', '/statistics']) add(now, `/event/${match.id}${suffix}`);
        }
      }
    }
    for (const day of scheduledDays) {
      add(now, `/sport/football/scheduled-events/${day}`);
      add(now, `/sport/tennis/scheduled-events/${day}`);
    }
  }
  return hash.digest('hex');
}

const scaleCompetitions = (world: World) => world.competitions.slice(3);

/** Incident ids a match's play uses (goals, cards, substitutions, shoot-out kicks). */
function incidentIds(match: Match): number[] {
  const play = match.football;
  if (!play) return [];
  return [...play.goals, ...play.cards, ...play.substitutions, ...play.shootout].map((incident) => incident.id);
}

describe('buildWorld without scale', () => {
  it('answers byte for byte as it did before the scale option existed', () => {
    const world = buildWorld({ seed: 7 });
    expect(world.plays).toBeUndefined();
    expect(TIMES.map((now) => hashResponses(world, [now]))).toEqual(DEFAULT_WORLD_HASHES);
  }, 60_000);
});

describe('buildWorld with scale', () => {
  it('adds leagues × seasons Bench League seasons of 380 matches, under the ids scaleLeagueIds gives', () => {
    const scale = { leagues: 3, seasons: 2 };
    const world = buildWorld({ seed: 7, scale });
    const demo = buildWorld({ seed: 7 });
    const added = scaleCompetitions(world);
    const ids = scaleLeagueIds(scale);

    expect(added.map((competition) => competition.name)).toEqual([
      'Bench League 1',
      'Bench League 2',
      'Bench League 3',
    ]);
    expect(
      added.map((competition) => ({
        league: Number(competition.name.split(' ').at(-1)),
        uniqueTournamentId: competition.uniqueTournamentId,
        tournamentId: competition.tournamentId,
        seasonIds: competition.seasons.map((season) => season.id),
      })),
    ).toEqual(ids);
    expect(added.flatMap((competition) => competition.seasons.map((season) => season.year))).toEqual([
      '23/24',
      '24/25',
      '23/24',
      '24/25',
      '23/24',
      '24/25',
    ]);
    for (const season of added.flatMap((competition) => competition.seasons)) {
      expect(season.matches).toHaveLength(SCALE_SEASON_MATCHES);
      expect(season.matches.filter((match) => match.fate === 'canceled')).toHaveLength(1);
      expect(season.matches.filter((match) => match.fate === 'postponed')).toHaveLength(5);
    }
    expect(world.matches.size).toBe(demo.matches.size + 3 * 2 * SCALE_SEASON_MATCHES);
    expect(world.teams.size).toBe(demo.teams.size + 3 * 20);
    expect(world.players.size).toBe(demo.players.size + 3 * 20 * 25);

    // No id of the scale leagues is one of the demo's.
    const demoCompetitionIds = Object.values(DEMO_IDS).flatMap((demoIds) => [
      demoIds.uniqueTournamentId,
      demoIds.tournamentId,
      ...demoIds.seasonIds,
    ]);
    const scaleIds = ids.flatMap((league) => [league.uniqueTournamentId, league.tournamentId, ...league.seasonIds]);
    expect(new Set([...demoCompetitionIds, ...scaleIds]).size).toBe(demoCompetitionIds.length + scaleIds.length);
    // Incident ids are unique across the whole world, demo matches included.
    const incidents = [...world.matches.values()].flatMap(incidentIds);
    expect(new Set(incidents).size).toBe(incidents.length);
    expect(incidents.length).toBeGreaterThan(3 * 2 * SCALE_SEASON_MATCHES * 8);
  });

  it('leaves the demo competitions as they are', () => {
    const world = buildWorld({ seed: 7, scale: { leagues: 2, seasons: 2 } });
    // Without the football days: those list the scale leagues' matches of the day as well.
    const demoOnly = (target: World) => hashResponses(target, [TIMES[0] as number], undefined, []);
    expect(demoOnly(world)).toBe(demoOnly(buildWorld({ seed: 7 })));
  }, 30_000);

  it('is deterministic: same seed and scale, same answers; a league-season is the same at any scale', () => {
    const now = [TIMES[0] as number];
    const first = buildWorld({ seed: 7, scale: { leagues: 1, seasons: 1 } });
    const second = buildWorld({ seed: 7, scale: { leagues: 1, seasons: 1 } });
    const other = buildWorld({ seed: 8, scale: { leagues: 1, seasons: 1 } });
    const hash = (world: World) => hashResponses(world, now, scaleCompetitions(world), ['2024-09-14']);
    expect(hash(first)).toBe(hash(second));
    expect(hash(first)).not.toBe(hash(other));

    // League 1, 2024/25 in a 1x1 world and in a 2x3 one: same ids, same answers (but for the list of seasons).
    const small = buildWorld({ seed: 7, scale: { leagues: 1, seasons: 1 } });
    const large = buildWorld({ seed: 7, scale: { leagues: 2, seasons: 3 } });
    const season = (world: World) => {
      const league = scaleCompetitions(world)[0] as Competition;
      return { ...league, seasons: league.seasons.filter((candidate) => candidate.year === '24/25') };
    };
    const smallSeason = season(small);
    expect(smallSeason.seasons).toHaveLength(1);
    expect(season(large).seasons.map((candidate) => candidate.id)).toEqual(smallSeason.seasons.map((s) => s.id));
    expect(hashResponses(large, now, [season(large)], [], false)).toBe(
      hashResponses(small, now, [smallSeason], [], false),
    );
  }, 30_000);

  it('simulates play lazily, in any order, and the same again after the cache let it go', () => {
    const world = buildWorld({ seed: 7, scale: { leagues: 1, seasons: 1 } });
    const plays = world.plays;
    if (!plays) throw new Error('a scaled world has a play cache');
    expect(plays.simulated).toBe(0);
    const matches = scaleCompetitions(world).flatMap((competition) =>
      competition.seasons.flatMap((season) => season.matches),
    );
    const now = TIMES[0] as number;
    const incidents = (match: Match) => JSON.stringify(renderIncidents(viewMatch(match, now)) ?? null);
    const asServed = new Map(matches.map((match) => [match.id, incidents(match)]));
    expect(plays.simulated).toBe(SCALE_SEASON_MATCHES - 1);

    // The same matches behind a cache of 50: every play is simulated again, in the other order.
    const small = new PlayCache(world.seed, (eventId) => 1_000_000_000 + (eventId - 20_000_000) * 200, 50);
    const again = [...matches].reverse().map((match) => new LazyFootballMatch(match as Match, small));
    const reversed = new Map(again.map((match) => [match.id, incidents(match)]));
    expect(small.size).toBe(50);
    expect(small.simulated).toBe(SCALE_SEASON_MATCHES - 1);
    expect(reversed).toEqual(asServed);
    // A cancelled match has no play and no incidents.
    expect(again.filter((match) => match.football === undefined).map((match) => match.fate)).toEqual(['canceled']);
  });

  it('has every scale match over at the default clock', () => {
    const world = buildWorld({ seed: 7, scale: { leagues: 1, seasons: 3 } });
    const views = scaleCompetitions(world)
      .flatMap((competition) => competition.seasons.flatMap((season) => season.matches))
      .map((match) => viewMatch(match, TIMES[0] as number));
    const statuses = new Set(views.map((view) => view.status.type));
    expect([...statuses].sort()).toEqual(['canceled', 'finished']);
  });

  it('refuses a scale out of range', () => {
    expect(scaleProblems({ leagues: 27, seasons: 10 })).toEqual([]);
    expect(scaleProblems({ leagues: 0, seasons: 41 })).toEqual([
      'leagues must be a whole number from 1 to 200, not 0',
      'seasons must be a whole number from 1 to 40, not 41',
    ]);
    expect(() => buildWorld({ seed: 7, scale: { leagues: 1.5, seasons: 1 } })).toThrow(
      /leagues must be a whole number/,
    );
  });
});
