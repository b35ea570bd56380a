import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@matchflow/config';
import { pointLatest, type SnapshotManifest, writeSnapshotDirectory } from '@matchflow/pipeline';
import { createLogger } from '@matchflow/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboardServer, type DashboardServer } from './server.js';

/*
 * The consumer API over real HTTP on loopback, against snapshots written by the publisher's own
 * writer (writeSnapshotDirectory + pointLatest), so the reader and the writer agree on the layout.
 */

type Row = Record<string, unknown>;

const match = (
  id: string,
  season: string,
  start: string,
  home: string,
  away: string,
  status: string,
  score: [number, number] | null,
): Row => ({
  match_id: id,
  competition_id: season.split('.').slice(0, 2).join('.'),
  season_id: season,
  start_time: start,
  status,
  status_detail: null,
  round: 1,
  home_id: home,
  home_name: home.toUpperCase(),
  away_id: away,
  away_name: away.toUpperCase(),
  home_score: score?.[0] ?? null,
  away_score: score?.[1] ?? null,
  home_penalties: null,
  away_penalties: null,
  winner: score ? (score[0] > score[1] ? 'home' : score[0] < score[1] ? 'away' : 'draw') : null,
  pool_id: 'football',
  home_rating_pre: 1500,
  away_rating_pre: 1500,
  expected_home: 0.5,
});

const standing = (season: string, position: number, team: string, points: number): Row => ({
  competition_id: season.split('.').slice(0, 2).join('.'),
  season_id: season,
  position,
  team_id: team,
  team_name: team.toUpperCase(),
  played: 2,
  won: 1,
  drawn: 0,
  lost: 1,
  goals_for: 3,
  goals_against: 2,
  goal_difference: 1,
  points,
  adjustment: 0,
  form: 'WL',
});

const appearance = (player: string, team: string, goals: number): Row => ({
  competition_id: 'fd.pl',
  season_id: 'fd.pl.2025',
  player_id: player,
  player_name: `Player ${player}`,
  team_id: team,
  team_name: team.toUpperCase(),
  appearances: 2,
  starts: 2,
  minutes: 180,
  goals,
  yellow_cards: 0,
  red_cards: 0,
});

const rating = (pool: string, rank: number, participant: string, value: number): Row => ({
  pool_id: pool,
  rank,
  participant_id: participant,
  name: participant.toUpperCase(),
  rating: value,
  games: 4,
  last_match_id: 'm4',
  change_30d: 3.5,
});

const player = (
  id: string,
  team: string,
  profile: { position: string | null; nationality: string | null; complete: boolean },
): Row => ({
  player_id: id,
  name: `Player ${id}`,
  short_name: `P. ${id}`,
  position: profile.position,
  nationality: profile.nationality,
  date_of_birth: profile.complete ? '1999-04-12' : null,
  height_cm: profile.complete ? 181 : null,
  preferred_foot: profile.complete ? 'right' : null,
  team_id: team,
  team_name: team.toUpperCase(),
  appearances: 12,
  minutes: 1_010,
  profile_complete: profile.complete,
});

type Prices = [home: number, draw: number, away: number];

/** Margin-free probabilities and the overround of a 1X2 line, as the odds build computes them. */
function implied(prices: Prices): { probs: Prices; overround: number } {
  const [home, draw, away] = [1 / prices[0], 1 / prices[1], 1 / prices[2]] as const;
  const sum = home + draw + away;
  return { probs: [home / sum, draw / sum, away / sum], overround: sum - 1 };
}

/** A match_odds row, every derived column computed from the prices, the score and Elo's expectation. */
const odds = (
  id: string,
  season: string,
  start: string,
  [home, away]: [string, string],
  [homeGoals, awayGoals]: [number, number],
  opening: Prices,
  closing: Prices,
  eloExpectedHome: number | null,
): Row => {
  const open = implied(opening);
  const close = implied(closing);
  const result = homeGoals > awayGoals ? 'home' : homeGoals < awayGoals ? 'away' : 'draw';
  const actualHome = result === 'home' ? 1 : result === 'draw' ? 0.5 : 0;
  const marketExpectedHome = close.probs[0] + close.probs[1] / 2;
  return {
    match_id: id,
    competition_id: season.split('.').slice(0, 2).join('.'),
    season_id: season,
    start_time: start,
    home_id: home,
    home_name: home.toUpperCase(),
    away_id: away,
    away_name: away.toUpperCase(),
    home_goals: homeGoals,
    away_goals: awayGoals,
    result,
    opening_home: opening[0],
    opening_draw: opening[1],
    opening_away: opening[2],
    closing_home: closing[0],
    closing_draw: closing[1],
    closing_away: closing[2],
    opening_prob_home: open.probs[0],
    opening_prob_draw: open.probs[1],
    opening_prob_away: open.probs[2],
    closing_prob_home: close.probs[0],
    closing_prob_draw: close.probs[1],
    closing_prob_away: close.probs[2],
    opening_overround: open.overround,
    closing_overround: close.overround,
    move_home: close.probs[0] - open.probs[0],
    move_draw: close.probs[1] - open.probs[1],
    move_away: close.probs[2] - open.probs[2],
    price_changes: 3,
    snapshots: 4,
    closing_confirmed: true,
    market_expected_home: marketExpectedHome,
    pool_id: 'football',
    elo_expected_home: eloExpectedHome,
    actual_home: actualHome,
    market_error: (marketExpectedHome - actualHome) ** 2,
    elo_error: eloExpectedHome === null ? null : (eloExpectedHome - actualHome) ** 2,
  };
};

const ODDS_M1 = odds(
  'm1',
  'fd.pl.2025',
  '2025-08-16T14:00:00.000Z',
  ['ars', 'che'],
  [1, 2],
  [2.1, 3.4, 3.6],
  [2.25, 3.3, 3.3],
  0.55,
);
const ODDS_M2 = odds(
  'm2',
  'fd.pl.2025',
  '2025-08-16T16:30:00.000Z',
  ['liv', 'tot'],
  [2, 2],
  [1.6, 4.2, 5.5],
  [1.55, 4.4, 5.8],
  0.62,
);
// Not rated yet: no Elo expectation, no Elo error.
const ODDS_M3 = odds(
  'm3',
  'fd.pl.2025',
  '2025-08-23T14:00:00.000Z',
  ['che', 'liv'],
  [3, 0],
  [2.6, 3.5, 2.7],
  [2.4, 3.5, 2.95],
  null,
);
const ODDS_B1 = odds(
  'b1',
  'fd.bl.2025',
  '2025-08-22T18:30:00.000Z',
  ['fcb', 'bvb'],
  [4, 1],
  [1.45, 5, 6.5],
  [1.4, 5.25, 7],
  0.71,
);

const P1 = player('p1', 'ars', { position: 'F', nationality: 'ENG', complete: true });
const P2 = player('p2', 'che', { position: 'M', nationality: 'FRA', complete: true });
// Moved from ars to che; the profile lacks birth date, height and foot.
const P3 = player('p3', 'che', { position: 'D', nationality: 'ENG', complete: false });
const P9 = player('p9', 'fcb', { position: 'G', nationality: 'GER', complete: true });

/** The tables of a small snapshot; `finishedM5` changes one match, hence the content. */
function tables(finishedM5: boolean): Map<string, Row[]> {
  return new Map<string, Row[]>([
    [
      'competitions',
      [
        { competition_id: 'fd.bl', name: 'Bundesliga', sport: 'football' },
        { competition_id: 'fd.pl', name: 'Premier League', sport: 'football' },
      ],
    ],
    [
      'seasons',
      [
        { season_id: 'fd.bl.2025', competition_id: 'fd.bl', name: 'Bundesliga 25/26', year: '25/26' },
        { season_id: 'fd.pl.2024', competition_id: 'fd.pl', name: 'Premier League 24/25', year: '24/25' },
        { season_id: 'fd.pl.2025', competition_id: 'fd.pl', name: 'Premier League 25/26', year: '25/26' },
      ],
    ],
    [
      'standings',
      [
        // Out of position order on purpose: the API orders by position.
        standing('fd.pl.2025', 2, 'ars', 4),
        standing('fd.pl.2025', 1, 'che', 6),
        standing('fd.pl.2025', 3, 'liv', 1),
        standing('fd.bl.2025', 1, 'fcb', 3),
      ],
    ],
    [
      'matches',
      [
        match('m1', 'fd.pl.2025', '2025-08-16T14:00:00.000Z', 'ars', 'che', 'finished', [1, 2]),
        match('m2', 'fd.pl.2025', '2025-08-16T16:30:00.000Z', 'liv', 'tot', 'finished', [2, 2]),
        match('m3', 'fd.pl.2025', '2025-08-23T14:00:00.000Z', 'che', 'liv', 'finished', [3, 0]),
        match('m4', 'fd.pl.2025', '2025-08-24T23:30:00.000Z', 'tot', 'ars', 'postponed', null),
        finishedM5
          ? match('m5', 'fd.pl.2025', '2025-08-30T14:00:00.000Z', 'ars', 'liv', 'finished', [2, 1])
          : match('m5', 'fd.pl.2025', '2025-08-30T14:00:00.000Z', 'ars', 'liv', 'notstarted', null),
        match('m6', 'fd.pl.2024', '2024-08-17T14:00:00.000Z', 'ars', 'che', 'finished', [0, 0]),
        match('b1', 'fd.bl.2025', '2025-08-22T18:30:00.000Z', 'fcb', 'bvb', 'finished', [4, 1]),
      ],
    ],
    [
      'player_appearances',
      [
        appearance('p1', 'ars', 1),
        appearance('p2', 'che', 2),
        appearance('p3', 'ars', 0),
        appearance('p3', 'che', 1),
        { ...appearance('p9', 'fcb', 3), competition_id: 'fd.bl', season_id: 'fd.bl.2025' },
      ],
    ],
    ['tennis_records', []],
    // Out of player id order on purpose: the API orders by player id.
    ['players', [P9, P1, P3, P2]],
    [
      'ratings',
      [
        rating('football', 1, 'che', 1530),
        rating('football', 2, 'ars', 1512),
        rating('football', 3, 'liv', 1490),
        rating('football', 4, 'tot', 1468),
        rating('tennis', 1, 'p7', 1600),
      ],
    ],
    [
      'rating_calibration',
      [{ pool_id: 'football', matches: 4, brier: 0.21, log_loss: 0.6, as_of: '2025-08-24T23:30:00.000Z' }],
    ],
    // Out of start order on purpose; m6 (finished) and m4 (postponed) have no odds.
    ['match_odds', [ODDS_B1, ODDS_M3, ODDS_M1, ODDS_M2]],
  ]);
}

const QUALITY: SnapshotManifest['quality'] = { score: 1, checks: 0, passed: 0, warned: 0, failed: 0, issues: [] };

async function publish(publishDir: string, version: string, finishedM5: boolean): Promise<SnapshotManifest> {
  const manifest = await writeSnapshotDirectory(publishDir, {
    rows: tables(finishedM5),
    version,
    runId: `run-${version}`,
    createdAt: new Date('2025-09-01T00:00:00.000Z'),
    watermarks: { replay: { last_fetched_at: '2025-08-31T00:00:00.000Z', last_changed_at: null } },
    quality: QUALITY,
  });
  await pointLatest(publishDir, version);
  return manifest;
}

let publishDir: string;
let server: DashboardServer;

/** Bodies are JSON under test; the tests index into them freely. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are arbitrary JSON under test
type Json = any;

async function get(
  pathAndQuery: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string; body: Json }> {
  const response = await fetch(`${server.url}${pathAndQuery}`, { headers });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: text ? JSON.parse(text) : undefined,
  };
}

beforeAll(async () => {
  publishDir = await mkdtemp(path.join(tmpdir(), 'matchflow-dashboard-'));
  const config = loadConfig({}, `publishDir: ${JSON.stringify(publishDir)}\n`);
  server = await createDashboardServer({
    config,
    logger: createLogger({ service: 'dashboard', level: 'silent' }),
    port: 0,
  });
});

afterAll(async () => {
  await server?.close();
  await rm(publishDir, { recursive: true, force: true });
});

// The tests below run in order: nothing published, then v1, then v2 (and a damaged v3).
describe('consumer API', () => {
  it('answers 503 no_snapshot before anything is published, but serves /healthz and the OpenAPI document', async () => {
    for (const url of ['/api/snapshot', '/api/competitions', '/api/matches', '/api/ratings', '/api/players']) {
      const answer = await get(url);
      expect(answer.status, url).toBe(503);
      expect(answer.body).toEqual({ error: 'no_snapshot', message: 'nothing has been published yet' });
      expect(answer.headers.get('etag')).toBeNull();
    }
    expect(await get('/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect((await get('/api/openapi.json')).status).toBe(200);
  });

  let v1: SnapshotManifest;

  it('serves the manifest of latest with ETag = content hash and the version header', async () => {
    v1 = await publish(publishDir, 'v1', false);
    const answer = await get('/api/snapshot');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(v1);
    expect(answer.headers.get('etag')).toBe(`"${v1.content_hash}"`);
    expect(answer.headers.get('x-matchflow-snapshot')).toBe('v1');
    expect(answer.headers.get('cache-control')).toBe('no-cache');
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('lists competitions and the seasons of one; 404 for an unknown competition', async () => {
    const competitions = await get('/api/competitions');
    expect(competitions.body.data.map((row: Row) => row.competition_id)).toEqual(['fd.bl', 'fd.pl']);
    expect(competitions.body.data[1]).toEqual({ competition_id: 'fd.pl', name: 'Premier League', sport: 'football' });

    const seasons = await get('/api/competitions/fd.pl/seasons');
    expect(seasons.body.data.map((row: Row) => row.season_id)).toEqual(['fd.pl.2024', 'fd.pl.2025']);

    const unknown = await get('/api/competitions/fd.xx/seasons');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: 'not_found', message: expect.stringContaining('fd.xx') });
  });

  it('serves a season’s standings ordered by position; 404 for an unknown season', async () => {
    const standings = await get('/api/seasons/fd.pl.2025/standings');
    expect(standings.status).toBe(200);
    expect(standings.body.data.map((row: Row) => [row.position, row.team_id])).toEqual([
      [1, 'che'],
      [2, 'ars'],
      [3, 'liv'],
    ]);
    expect(standings.body.data[0]).toEqual(standing('fd.pl.2025', 1, 'che', 6));
    // A known season without a table is empty, not missing.
    expect((await get('/api/seasons/fd.pl.2024/standings')).body).toEqual({ data: [] });
    const unknown = await get('/api/seasons/fd.pl.1999/standings');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('fd.pl.1999');
  });

  it('lists matches by start time and filters them by team, dates, status, competition and season', async () => {
    const ids = async (query: string) => {
      const answer = await get(`/api/matches${query}`);
      expect(answer.status, query).toBe(200);
      return answer.body.data.map((row: Row) => row.match_id);
    };
    const all = await get('/api/matches');
    expect(all.body.page).toEqual({ limit: 100, offset: 0, total: 7 });
    expect(all.body.data.map((row: Row) => row.match_id)).toEqual(['m6', 'm1', 'm2', 'b1', 'm3', 'm4', 'm5']);
    expect(all.body.data[1]).toEqual(
      match('m1', 'fd.pl.2025', '2025-08-16T14:00:00.000Z', 'ars', 'che', 'finished', [1, 2]),
    );

    // Home or away.
    expect(await ids('?team=ars')).toEqual(['m6', 'm1', 'm4', 'm5']);
    expect(await ids('?team=ars&season=fd.pl.2025')).toEqual(['m1', 'm4', 'm5']);
    expect(await ids('?competition=fd.bl')).toEqual(['b1']);
    expect(await ids('?status=postponed')).toEqual(['m4']);
    expect(await ids('?status=finished&team=liv')).toEqual(['m2', 'm3']);
    // from inclusive, to exclusive; a date is midnight UTC.
    expect(await ids('?from=2025-08-16T16:30:00Z&to=2025-08-23T14:00:00Z')).toEqual(['m2', 'b1']);
    expect(await ids('?from=2025-08-23&to=2025-08-24')).toEqual(['m3']);
    // A zone offset is honoured: 01:30+02:00 is 23:30 UTC the day before.
    expect(await ids('?from=2025-08-25T01:30:00%2B02:00&to=2025-08-26')).toEqual(['m4']);
    expect(await ids('?team=nobody')).toEqual([]);
  });

  it('pages matches with totals over all pages', async () => {
    const first = await get('/api/matches?limit=2');
    expect(first.body.page).toEqual({ limit: 2, offset: 0, total: 7 });
    expect(first.body.data.map((row: Row) => row.match_id)).toEqual(['m6', 'm1']);
    const second = await get('/api/matches?limit=2&offset=2');
    expect(second.body.data.map((row: Row) => row.match_id)).toEqual(['m2', 'b1']);
    const last = await get('/api/matches?team=ars&limit=3&offset=3');
    expect(last.body).toMatchObject({ page: { limit: 3, offset: 3, total: 4 } });
    expect(last.body.data.map((row: Row) => row.match_id)).toEqual(['m5']);
    const beyond = await get('/api/matches?offset=50');
    expect(beyond.body).toEqual({ data: [], page: { limit: 100, offset: 50, total: 7 } });
  });

  it('serves player appearances of a season, by team, paged; 404 for an unknown season', async () => {
    const all = await get('/api/seasons/fd.pl.2025/player-appearances');
    expect(all.body.page.total).toBe(4);
    expect(all.body.data.map((row: Row) => `${row.player_id}@${row.team_id}`)).toEqual([
      'p1@ars',
      'p2@che',
      'p3@ars',
      'p3@che',
    ]);
    const che = await get('/api/seasons/fd.pl.2025/player-appearances?team=che&limit=1&offset=1');
    expect(che.body).toEqual({ data: [appearance('p3', 'che', 1)], page: { limit: 1, offset: 1, total: 2 } });
    expect((await get('/api/seasons/nope/player-appearances')).status).toBe(404);
  });

  it('lists rating pools with counts and calibration, and pages a pool’s leaderboard; 404 for an unknown pool', async () => {
    const pools = await get('/api/ratings');
    expect(pools.body).toEqual({
      data: [
        {
          pool_id: 'football',
          participants: 4,
          calibration: { matches: 4, brier: 0.21, log_loss: 0.6, as_of: '2025-08-24T23:30:00.000Z' },
        },
        { pool_id: 'tennis', participants: 1, calibration: null },
      ],
    });
    const page = await get('/api/ratings/football?limit=2&offset=1');
    expect(page.body).toEqual({
      data: [rating('football', 2, 'ars', 1512), rating('football', 3, 'liv', 1490)],
      page: { limit: 2, offset: 1, total: 4 },
    });
    const unknown = await get('/api/ratings/chess');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('chess');
  });

  it('lists players by player id, filtered by team, nationality, position and completeness (AND), paged', async () => {
    const ids = async (query: string) => {
      const answer = await get(`/api/players${query}`);
      expect(answer.status, query).toBe(200);
      return answer.body.data.map((row: Row) => row.player_id);
    };
    const all = await get('/api/players');
    expect(all.status).toBe(200);
    expect(all.body).toEqual({ data: [P1, P2, P3, P9], page: { limit: 100, offset: 0, total: 4 } });

    // The current team: p3 moved from ars to che.
    expect(await ids('?team=che')).toEqual(['p2', 'p3']);
    expect(await ids('?team=ars')).toEqual(['p1']);
    expect(await ids('?nationality=ENG')).toEqual(['p1', 'p3']);
    expect(await ids('?position=G')).toEqual(['p9']);
    expect(await ids('?complete=false')).toEqual(['p3']);
    expect(await ids('?complete=true')).toEqual(['p1', 'p2', 'p9']);
    expect(await ids('?nationality=ENG&complete=true')).toEqual(['p1']);
    expect(await ids('?team=che&position=D&nationality=ENG&complete=false')).toEqual(['p3']);
    expect(await ids('?team=che&position=F')).toEqual([]);
    // Values match exactly, as the rows hold them.
    expect(await ids('?nationality=eng')).toEqual([]);

    const page = await get('/api/players?limit=2&offset=1');
    expect(page.body).toEqual({ data: [P2, P3], page: { limit: 2, offset: 1, total: 4 } });
    const filtered = await get('/api/players?complete=true&limit=1&offset=2');
    expect(filtered.body).toEqual({ data: [P9], page: { limit: 1, offset: 2, total: 3 } });
  });

  it('serves one player’s row; 404 for a player the snapshot does not hold', async () => {
    const one = await get('/api/players/p3');
    expect(one.status).toBe(200);
    expect(one.body).toEqual(P3);
    expect(one.headers.get('etag')).toBe(`"${v1.content_hash}"`);
    const unknown = await get('/api/players/p404');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'not_found', message: 'no player p404 in snapshot v1' });
  });

  it('serves a season’s odds by start time, paged; empty for a season without; 404 for an unknown season', async () => {
    const season = await get('/api/seasons/fd.pl.2025/odds');
    expect(season.status).toBe(200);
    expect(season.body).toEqual({ data: [ODDS_M1, ODDS_M2, ODDS_M3], page: { limit: 100, offset: 0, total: 3 } });
    const last = await get('/api/seasons/fd.pl.2025/odds?limit=2&offset=2');
    expect(last.body).toEqual({ data: [ODDS_M3], page: { limit: 2, offset: 2, total: 3 } });
    expect((await get('/api/seasons/fd.bl.2025/odds')).body.data).toEqual([ODDS_B1]);
    expect((await get('/api/seasons/fd.pl.2024/odds')).body).toEqual({
      data: [],
      page: { limit: 100, offset: 0, total: 0 },
    });
    const unknown = await get('/api/seasons/fd.pl.1999/odds');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'not_found', message: 'no season fd.pl.1999 in snapshot v1' });
  });

  it('serves one match’s odds; 404 telling a match without odds from a match not in the snapshot', async () => {
    const one = await get('/api/matches/m3/odds');
    expect(one.status).toBe(200);
    expect(one.body).toEqual(ODDS_M3);
    expect(one.body.elo_expected_home).toBeNull();
    // The margin-free probabilities of each line sum to 1.
    expect(one.body.closing_prob_home + one.body.closing_prob_draw + one.body.closing_prob_away).toBeCloseTo(1, 12);
    for (const [id, message] of [
      ['m6', 'match m6 has no odds in snapshot v1'],
      ['m4', 'match m4 has no odds in snapshot v1'],
      ['m99', 'no match m99 in snapshot v1'],
    ]) {
      const answer = await get(`/api/matches/${id}/odds`);
      expect(answer.status, id).toBe(404);
      expect(answer.body, id).toEqual({ error: 'not_found', message });
    }
  });

  it('answers 304 without a body when If-None-Match holds the ETag (strong, weak, in a list, or *)', async () => {
    const etag = `"${v1.content_hash}"`;
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const answer = await get('/api/matches?team=ars', { 'if-none-match': header });
      expect(answer.status, header).toBe(304);
      expect(answer.text).toBe('');
      expect(answer.headers.get('etag')).toBe(etag);
      expect(answer.headers.get('x-matchflow-snapshot')).toBe('v1');
    }
    const stale = await get('/api/matches?team=ars', { 'if-none-match': '"0000"' });
    expect(stale.status).toBe(200);
    expect(stale.body.page.total).toBe(4);
    // A precondition never turns an error into a 304.
    expect((await get('/api/seasons/nope/standings', { 'if-none-match': '*' })).status).toBe(404);
    expect((await get('/api/matches?limit=0', { 'if-none-match': etag })).status).toBe(400);
    for (const url of [
      '/api/players?team=che',
      '/api/players/p1',
      '/api/seasons/fd.pl.2025/odds',
      '/api/matches/m1/odds',
    ]) {
      expect((await get(url, { 'if-none-match': etag })).status, url).toBe(304);
    }
    expect((await get('/api/matches/m6/odds', { 'if-none-match': '*' })).status).toBe(404);
  });

  it('refuses bad queries with 400 and a message naming the parameter', async () => {
    const cases: [string, string, RegExp][] = [
      ['/api/matches?status=done', 'status', /must be one of notstarted, inprogress, finished, postponed, canceled/],
      ['/api/matches?limit=0', 'limit', /at least 1/],
      ['/api/matches?limit=5000', 'limit', /at most 1000/],
      ['/api/matches?limit=ten', 'limit', /whole number/],
      ['/api/matches?offset=-1', 'offset', /0 or more/],
      ['/api/matches?from=2025-02-30', 'from', /date \(YYYY-MM-DD\)/],
      ['/api/matches?to=yesterday', 'to', /date \(YYYY-MM-DD\)/],
      ['/api/matches?from=2025-08-20&to=2025-08-20', 'to', /later than from/],
      ['/api/matches?colour=red', 'colour', /unknown parameter/],
      ['/api/matches?team=ars&team=che', 'team', /more than once/],
      ['/api/matches?team=', 'team', /empty/],
      ['/api/ratings/football?limit=1001', 'limit', /at most 1000/],
      ['/api/seasons/fd.pl.2025/player-appearances?status=finished', 'status', /unknown parameter/],
      ['/api/competitions?page=2', 'page', /unknown parameter \(this endpoint takes none\)/],
      ['/api/players?complete=yes', 'complete', /must be true or false/],
      ['/api/players?complete=1', 'complete', /must be true or false/],
      ['/api/players?position=G&position=D', 'position', /more than once/],
      ['/api/players?nationality=', 'nationality', /empty/],
      [`/api/players?team=${'x'.repeat(201)}`, 'team', /at most 200 characters/],
      [
        '/api/players?sort=name',
        'sort',
        /unknown parameter \(known: team, nationality, position, complete, limit, offset\)/,
      ],
      ['/api/players?limit=0', 'limit', /at least 1/],
      ['/api/players/p1?team=ars', 'team', /unknown parameter \(this endpoint takes none\)/],
      ['/api/seasons/fd.pl.2025/odds?offset=-1', 'offset', /0 or more/],
      ['/api/seasons/fd.pl.2025/odds?team=ars', 'team', /unknown parameter \(known: limit, offset\)/],
      ['/api/matches/m1/odds?limit=1', 'limit', /unknown parameter \(this endpoint takes none\)/],
    ];
    for (const [url, parameter, what] of cases) {
      const answer = await get(url);
      expect(answer.status, url).toBe(400);
      expect(answer.body.error, url).toBe('bad_request');
      expect(answer.body.message, url).toMatch(new RegExp(`^${parameter}: `));
      expect(answer.body.message, url).toMatch(what);
    }
  });

  it('answers 404 JSON for unknown paths and 405 for other methods; HEAD is a GET without body', async () => {
    const unknown = await get('/api/teams');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'not_found', message: 'no such resource: /api/teams' });
    const post = await fetch(`${server.url}/api/matches`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(await post.json()).toMatchObject({ error: 'method_not_allowed' });
    const head = await fetch(`${server.url}/api/competitions`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(`"${v1.content_hash}"`);
    expect(await head.text()).toBe('');
  });

  it('follows latest to another version: new rows, new ETag; back again on rollback', async () => {
    const v2 = await publish(publishDir, 'v2', true);
    expect(v2.content_hash).not.toBe(v1.content_hash);
    const before = `"${v1.content_hash}"`;

    const answer = await get('/api/matches?status=notstarted', { 'if-none-match': before });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('etag')).toBe(`"${v2.content_hash}"`);
    expect(answer.headers.get('x-matchflow-snapshot')).toBe('v2');
    expect(answer.body.page.total).toBe(0);
    expect((await get('/api/matches?team=ars&status=finished')).body.page.total).toBe(3);

    await pointLatest(publishDir, 'v1');
    const rolledBack = await get('/api/matches?status=notstarted');
    expect(rolledBack.headers.get('etag')).toBe(before);
    expect(rolledBack.body.data.map((row: Row) => row.match_id)).toEqual(['m5']);
  });

  it('gives the same ETag to the same content under another version', async () => {
    const again = await publish(publishDir, 'v1-again', false);
    const answer = await get('/api/snapshot', { 'if-none-match': `"${v1.content_hash}"` });
    expect(again.content_hash).toBe(v1.content_hash);
    expect(answer.status).toBe(304);
    expect(answer.headers.get('x-matchflow-snapshot')).toBe('v1-again');
  });

  it('keeps serving the loaded snapshot when latest names a damaged one', async () => {
    await publish(publishDir, 'v3', true);
    // One byte changed: the sha256 in the manifest no longer holds.
    await writeFile(path.join(publishDir, 'v3', 'matches.ndjson'), '{}\n');
    const answer = await get('/api/snapshot');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-matchflow-snapshot')).toBe('v1-again');
  });

  it('serves an OpenAPI 3.1 document listing every path, with components from the row schemas', async () => {
    const answer = await get('/api/openapi.json');
    expect(answer.status).toBe(200);
    const document = answer.body;
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths).sort()).toEqual(
      [
        '/healthz',
        '/api/snapshot',
        '/api/competitions',
        '/api/competitions/{competitionId}/seasons',
        '/api/seasons/{seasonId}/standings',
        '/api/matches',
        '/api/seasons/{seasonId}/player-appearances',
        '/api/players',
        '/api/players/{playerId}',
        '/api/seasons/{seasonId}/odds',
        '/api/matches/{matchId}/odds',
        '/api/ratings',
        '/api/ratings/{poolId}',
        '/api/openapi.json',
      ].sort(),
    );
    const matches = document.paths['/api/matches'].get;
    expect(matches.parameters.map((parameter: Row) => parameter.name)).toEqual([
      'competition',
      'season',
      'team',
      'from',
      'to',
      'status',
      'limit',
      'offset',
      'If-None-Match',
    ]);
    const status = matches.parameters.find((parameter: Row) => parameter.name === 'status');
    expect(status.schema.enum).toEqual(['notstarted', 'inprogress', 'finished', 'postponed', 'canceled']);
    const limit = matches.parameters.find((parameter: Row) => parameter.name === 'limit');
    expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000, default: 100 });
    expect(matches.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/MatchPage',
    });
    expect(Object.keys(document.components.schemas.MatchRow.properties)).toEqual(Object.keys(all(v1, 'matches')));

    const players = document.paths['/api/players'].get;
    expect(players.parameters.map((parameter: Row) => parameter.name)).toEqual([
      'team',
      'nationality',
      'position',
      'complete',
      'limit',
      'offset',
      'If-None-Match',
    ]);
    const complete = players.parameters.find((parameter: Row) => parameter.name === 'complete');
    expect(complete).toMatchObject({ required: false, schema: { type: 'string', enum: ['true', 'false'] } });
    const responseOf = (path: string) => document.paths[path].get.responses['200'].content['application/json'].schema;
    expect(responseOf('/api/players')).toEqual({ $ref: '#/components/schemas/PlayerPage' });
    expect(responseOf('/api/players/{playerId}')).toEqual({ $ref: '#/components/schemas/PlayerRow' });
    expect(responseOf('/api/seasons/{seasonId}/odds')).toEqual({ $ref: '#/components/schemas/MatchOddsPage' });
    expect(responseOf('/api/matches/{matchId}/odds')).toEqual({ $ref: '#/components/schemas/MatchOddsRow' });
    for (const path of ['/api/players/{playerId}', '/api/seasons/{seasonId}/odds', '/api/matches/{matchId}/odds']) {
      const operation = document.paths[path].get;
      expect(Object.keys(operation.responses).sort(), path).toEqual(['200', '304', '400', '404', '503']);
      expect(operation.parameters[0], path).toMatchObject({ in: 'path', required: true });
    }
    expect(Object.keys(document.paths['/api/players'].get.responses).sort()).toEqual(['200', '304', '400', '503']);
    expect(Object.keys(document.components.schemas.PlayerRow.properties)).toEqual(Object.keys(all(v1, 'players')));
    expect(Object.keys(document.components.schemas.MatchOddsRow.properties)).toEqual(
      Object.keys(all(v1, 'match_odds')),
    );
    // Every $ref resolves.
    const refs = [...answer.text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((found) => found[1]);
    expect(refs.length).toBeGreaterThan(5);
    for (const name of refs) expect(document.components.schemas, name).toHaveProperty(name as string);
  });
});

/** The columns of a table in a manifest, as an object with those keys (for key-order checks). */
function all(manifest: SnapshotManifest, table: string): Row {
  const columns = manifest.tables.find((entry) => entry.name === table)?.columns ?? [];
  return Object.fromEntries(columns.map((column) => [column, true]));
}
