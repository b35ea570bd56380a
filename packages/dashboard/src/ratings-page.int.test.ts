import { core, ratings } from '@matchflow/db';
import { type TestDatabase, testBackends } from '@matchflow/db/testing';
import { createLogger } from '@matchflow/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboardServer, type DashboardServer } from './server.js';
import { type DashboardFixture, dashboardTestConfig, startDashboardFixture } from './testing/dashboard-fixture.js';

/*
 * The ratings pages over ratings rows written here: a pool of 70 matches among four teams (one
 * with a hostile name, one that core does not know, with a `/` in its id), some not counted,
 * expected scores spread over every calibration bin; a team with a rating and no match; an empty
 * pool. The expected leaderboard, sparklines, bins, Brier and log loss are computed here from the
 * rows. Real HTTP, a real database (PGlite, and PostgreSQL when TEST_DATABASE_URL is set), real
 * Redis under a prefix of the test's own.
 */

const logger = createLogger({ service: 'test', level: 'silent' });
const HOSTILE = '<script>alert("owned")</script>';
const DAY = 86_400_000;
const T0 = Date.parse('2026-01-03T15:00:00.000Z');
const POOL = 'football';

const A = 'sofascore.team.1';
const B = 'sofascore.team.2';
const C = 'sofascore.team.3';
const D = 'ghost/9 x'; // in no core table; a `/` and a space to encode in links
const SOLO = 'sofascore.team.5'; // a rating, no rated match
const NAMES: Record<string, string> = { [A]: 'Alpha FC', [B]: 'Beta United', [C]: HOSTILE, [SOLO]: 'Solo Town' };
const MATCHES = 70;

interface Row {
  matchId: string;
  startTime: Date;
  homeId: string;
  awayId: string;
  homePre: number;
  awayPre: number;
  homePost: number;
  awayPost: number;
  expectedHome: number;
  actualHome: number;
  counted: boolean;
}

/** Even matches: A against B, C, D in turn, home and away alternating; odd ones among B, C, D. */
function matchRows(): { rows: Row[]; current: Map<string, { rating: number; games: number; last: string }> } {
  const state = new Map<string, number>([A, B, C, D].map((id) => [id, 1500]));
  const current = new Map<string, { rating: number; games: number; last: string }>();
  const others = [B, C, D];
  const pairs = [
    [B, C],
    [D, B],
    [C, D],
  ] as const;
  const rows: Row[] = [];
  for (let i = 0; i < MATCHES; i += 1) {
    const [homeId, awayId] =
      i % 2 === 0
        ? Math.floor(i / 2) % 2 === 0
          ? [A, others[Math.floor(i / 2) % 3] as string]
          : [others[Math.floor(i / 2) % 3] as string, A]
        : (pairs[Math.floor(i / 2) % 3] as readonly [string, string]);
    // Every bin gets matches, the edges too: 0 (bin 0), 0.1 (bin 1), 1 (bin 9).
    const expectedHome = i === 3 ? 0 : i === 5 ? 0.1 : i === 7 ? 1 : ((i * 37) % 100) / 100 + 0.004;
    const actualHome = [1, 0.5, 0][(i * 7) % 3] as number;
    const counted = i % 9 !== 4;
    const homePre = state.get(homeId) as number;
    const awayPre = state.get(awayId) as number;
    const delta = counted ? 20 * (actualHome - expectedHome) : 0;
    const matchId = `sofascore.match.${1000 + i}`;
    rows.push({
      matchId,
      startTime: new Date(T0 + i * DAY),
      homeId,
      awayId,
      homePre,
      awayPre,
      homePost: homePre + delta,
      awayPost: awayPre - delta,
      expectedHome,
      actualHome,
      counted,
    });
    state.set(homeId, homePre + delta);
    state.set(awayId, awayPre - delta);
    for (const id of [homeId, awayId]) {
      const games = (current.get(id)?.games ?? 0) + (counted ? 1 : 0);
      current.set(id, { rating: state.get(id) as number, games, last: matchId });
    }
  }
  return { rows, current };
}

const { rows: ROWS, current: CURRENT } = matchRows();

async function seed(database: TestDatabase): Promise<void> {
  await database.db
    .insert(ratings.pools)
    .values([POOL, 'empty-pool'].map((id) => ({ id, params: { k: 20 }, paramsHash: `hash-${id}` })));
  await database.db
    .insert(core.participants)
    .values(Object.entries(NAMES).map(([id, name]) => ({ id, kind: 'team', name })));
  await database.db
    .insert(ratings.matchRatings)
    .values(ROWS.map((row) => ({ ...row, poolId: POOL, season: '2026', homeGames: 0, awayGames: 0 })));
  await database.db.insert(ratings.currentRatings).values([
    ...[...CURRENT.entries()].map(([participantId, entry]) => ({
      poolId: POOL,
      participantId,
      rating: entry.rating,
      games: entry.games,
      lastMatchId: entry.last,
      season: '2026',
    })),
    { poolId: POOL, participantId: SOLO, rating: 1400, games: 0, lastMatchId: null, season: null },
  ]);
}

/** `data-<name>` of every `<tag>` in `markup` that has one, in document order. */
function attributes(markup: string, tag: string, name: string): string[] {
  return [...markup.matchAll(new RegExp(`<${tag}\\b[^>]*\\bdata-${name}="([^"]*)"`, 'g'))].map(
    (match) => match[1] as string,
  );
}

/** The markup from `start` up to the first `end` after it. */
function slice(page: string, start: string, end: string): string {
  const from = page.indexOf(start);
  expect(from, start).toBeGreaterThan(-1);
  return page.slice(from, page.indexOf(end, from));
}

const fromHtml = (text: string) =>
  text
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

const involves = (id: string) => ROWS.filter((row) => row.homeId === id || row.awayId === id);

describe.each(testBackends(process.env))('the ratings pages on %s', (backend) => {
  let fixture: DashboardFixture;
  let server: DashboardServer;
  let redis: { prefix: string };
  let publishDir: string;
  const get = async (target: string) => {
    const response = await fetch(`${server.url}${target}`);
    return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
  };

  beforeAll(async () => {
    fixture = await startDashboardFixture({
      backend,
      label: 'dashboard-ratings',
      seed: seed,
    });
    ({ server, redis, publishDir } = fixture);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('registers the routes in the route table (so test/security walks them)', () => {
    const paths = server.routes.map((route) => route.path);
    expect(paths).toEqual(expect.arrayContaining(['/ratings', '/ratings/{pool}', '/ratings/{pool}/{participant}']));
  });

  it('/ratings lists the pools with participants, matches, the last match and Brier', async () => {
    const { status, type, body } = await get('/ratings');
    expect(status).toBe(200);
    expect(type).toBe('text/html; charset=utf-8');
    expect(attributes(body, 'tr', 'pool')).toEqual(['empty-pool', POOL]);
    const counted = ROWS.filter((row) => row.counted);
    const brier = counted.reduce((sum, row) => sum + (row.expectedHome - row.actualHome) ** 2, 0) / counted.length;
    const row = slice(body, `<tr data-pool="${POOL}">`, '</tr>');
    expect(row).toContain(`<a href="/ratings/${POOL}">${POOL}</a>`);
    const cells = [...row.matchAll(/<td class="num">([^<]*)<\/td>/g)].map((match) => match[1]);
    expect(cells).toEqual([
      '5',
      String(MATCHES),
      String(counted.length),
      new Date(T0 + (MATCHES - 1) * DAY).toISOString().slice(0, 16).replace('T', ' '),
      brier.toFixed(3),
    ]);
    expect(slice(body, '<tr data-pool="empty-pool">', '</tr>')).toMatch(/<td class="num">0<\/td>[\s\S]*—/);
  });

  it('the leaderboard: ranked by rating, names escaped, a sparkline of the last 30 matches each', async () => {
    const { status, body } = await get(`/ratings/${POOL}`);
    expect(status).toBe(200);
    const expected = [...CURRENT.entries()]
      .map(([id, entry]) => ({ id, rating: entry.rating }))
      .concat({ id: SOLO, rating: 1400 })
      .sort((a, b) => b.rating - a.rating || (a.id < b.id ? -1 : 1));
    const table = slice(body, '<table id="leaderboard-table">', '</table>');
    expect(attributes(table, 'tr', 'participant').map(fromHtml)).toEqual(expected.map((entry) => entry.id));
    for (const [index, entry] of expected.entries()) {
      const row = slice(table, `<tr data-participant="${entry.id}"`, '</tr>');
      expect(row, entry.id).toContain(`<td class="num">${index + 1}</td>`);
      expect(row, entry.id).toContain(`<td class="num">${entry.rating.toFixed(1)}</td>`);
      const history = involves(entry.id);
      const points = attributes(row, 'circle', 'match');
      expect(points, entry.id).toHaveLength(Math.min(30, history.length));
      // The newest matches, oldest first.
      expect(points, entry.id).toEqual(history.slice(-30).map((match) => match.matchId));
      if (history.length > 0) {
        const values = attributes(row, 'circle', 'value').map(Number);
        const last = history.at(-1) as Row;
        expect(values.at(-1)).toBeCloseTo(last.homeId === entry.id ? last.homePost : last.awayPost, 9);
      }
    }
    expect(involves(A).length).toBe(35);
    // The unknown team by its id, its link encoded; the hostile name escaped everywhere.
    expect(table).toContain(`href="/ratings/${POOL}/ghost%2F9%20x">ghost/9 x</a>`);
    expect(table).toContain('&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;');
    expect(body).not.toContain(HOSTILE);
    expect(body).not.toContain('<script');
    // The participant without matches: no sparkline, a dash.
    expect(slice(table, `<tr data-participant="${SOLO}"`, '</tr>')).toContain('sparkline-empty');
  });

  it('?limit= cuts the leaderboard; a bad limit or an unknown parameter is a 400', async () => {
    const two = await get(`/ratings/${POOL}?limit=2`);
    expect(two.status).toBe(200);
    expect(attributes(slice(two.body, '<table id="leaderboard-table">', '</table>'), 'tr', 'participant')).toHaveLength(
      2,
    );
    expect(two.body).toContain('The top 2 of 5 participants');
    for (const target of ['?limit=0', '?limit=501', '?limit=ten', '?limit=1&limit=2', '?sort=name']) {
      const answer = await get(`/ratings/${POOL}${target}`);
      expect(answer.status, target).toBe(400);
      expect(answer.type, target).toBe('text/html; charset=utf-8');
      expect(answer.body, target).toContain('<section id="error" data-status="400">');
    }
    expect((await get('/ratings?x=1')).status).toBe(400);
    expect((await get(`/ratings/${POOL}/${encodeURIComponent(A)}?limit=5`)).status).toBe(400);
    expect((await get(`/ratings/${'p'.repeat(201)}`)).status).toBe(400);
    expect((await get('/ratings/bad%0Aid')).status).toBe(400);
  });

  it('calibration: bins, Brier and log loss over the counted matches, as computed here', async () => {
    const { body } = await get(`/ratings/${POOL}`);
    const counted = ROWS.filter((row) => row.counted);
    const brier = counted.reduce((sum, row) => sum + (row.expectedHome - row.actualHome) ** 2, 0) / counted.length;
    const clamp = (value: number) => Math.min(Math.max(value, 1e-15), 1 - 1e-15);
    const logLoss =
      counted.reduce(
        (sum, row) =>
          sum -
          (row.actualHome * Math.log(clamp(row.expectedHome)) +
            (1 - row.actualHome) * Math.log(1 - clamp(row.expectedHome))),
        0,
      ) / counted.length;
    const section = slice(body, '<section id="calibration">', '</section>');
    expect(Number(/data-matches="(\d+)"/.exec(section)?.[1])).toBe(counted.length);
    expect(section).toContain(`(${MATCHES - counted.length} not counted`);
    expect(Number(/data-brier="([^"]+)"/.exec(section)?.[1])).toBeCloseTo(brier, 12);
    expect(Number(/data-log-loss="([^"]+)"/.exec(section)?.[1])).toBeCloseTo(logLoss, 12);
    expect(section).toMatch(new RegExp(`<dd data-brier="[^"]+">${brier.toFixed(3)}</dd>`));

    const bins = Array.from({ length: 10 }, () => ({ count: 0, expected: 0, actual: 0 }));
    for (const row of counted) {
      const bin = bins[Math.min(Math.floor(row.expectedHome * 10), 9)] as (typeof bins)[number];
      bin.count += 1;
      bin.expected += row.expectedHome;
      bin.actual += row.actualHome;
    }
    expect(bins.every((bin) => bin.count > 0)).toBe(true);
    const diagram = slice(section, '<figure class="chart-box reliability"', '</figure>');
    expect(diagram).toContain('role="img" aria-labelledby="reliability-title reliability-desc"');
    expect(attributes(diagram, 'circle', 'count').map(Number)).toEqual(bins.map((bin) => bin.count));
    const meanExpected = attributes(diagram, 'circle', 'expected').map(Number);
    const meanActual = attributes(diagram, 'circle', 'actual').map(Number);
    for (const [index, bin] of bins.entries()) {
      expect(meanExpected[index], `bin ${index}`).toBeCloseTo(bin.expected / bin.count, 12);
      expect(meanActual[index], `bin ${index}`).toBeCloseTo(bin.actual / bin.count, 12);
    }
    // The table: every bin with its figures to three places.
    const table = slice(diagram, '<table id="reliability-table">', '</table>');
    for (const [index, bin] of bins.entries()) {
      const label = `${(index / 10).toFixed(1)}–${((index + 1) / 10).toFixed(1)}`;
      expect(table).toContain(
        `<th scope="row">${label}</th><td class="num">${bin.count}</td><td class="num">${(bin.expected / bin.count).toFixed(3)}</td><td class="num">${(bin.actual / bin.count).toFixed(3)}</td>`,
      );
    }
  });

  it("a participant's page: a marker and a table row per rated match, toned by result", async () => {
    const { status, body } = await get(`/ratings/${POOL}/${encodeURIComponent(A)}`);
    expect(status).toBe(200);
    const mine = involves(A);
    expect(body).toContain(`<dd id="match-count" data-matches="${mine.length}">${mine.length} rated in this pool`);
    const chart = slice(body, '<figure class="chart-box" data-chart="rating-history">', '</figure>');
    const svg = slice(chart, '<svg', '</svg>');
    const markers = attributes(svg, 'circle', 'match');
    expect(markers).toHaveLength(mine.length);
    expect(markers).toEqual(mine.map((row) => row.matchId));
    const table = slice(body, '<table id="matches-table">', '</table>');
    const rows = attributes(table, 'tr', 'match');
    expect(rows).toHaveLength(mine.length);
    expect(rows).toEqual(mine.map((row) => row.matchId).reverse());
    for (const row of mine) {
      const home = row.homeId === A;
      const actual = home ? row.actualHome : 1 - row.actualHome;
      const result = actual === 1 ? 'win' : actual === 0 ? 'loss' : 'draw';
      const tone = { win: 'good', draw: 'warn', loss: 'bad' }[result];
      expect(svg).toMatch(
        new RegExp(`<circle class="point s0 ${tone}"[^>]*data-match="${row.matchId}" data-result="${result}"`),
      );
      const line = slice(table, `<tr data-match="${row.matchId}"`, '</tr>');
      const pre = home ? row.homePre : row.awayPre;
      const post = home ? row.homePost : row.awayPost;
      expect(line).toContain(`data-result="${result}"`);
      expect(line).toContain(`<td>${home ? 'home' : 'away'}</td>`);
      expect(line).toContain(`<td class="num">${(home ? row.expectedHome : 1 - row.expectedHome).toFixed(3)}</td>`);
      expect(line).toContain(`<td class="num">${pre.toFixed(1)} → ${post.toFixed(1)}</td>`);
      expect(line.includes('data-counted="false"')).toBe(!row.counted);
    }
    // Opponents link to their pages; the hostile name is escaped.
    expect(table).toContain(`href="/ratings/${POOL}/ghost%2F9%20x"`);
    expect(table).toContain('&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;</a>');
    expect(body).not.toContain(HOSTILE);
  });

  it('the hostile-named and the unknown participant pages; one with a rating and no match', async () => {
    const hostile = await get(`/ratings/${POOL}/${encodeURIComponent(C)}`);
    expect(hostile.status).toBe(200);
    expect(hostile.body).not.toContain(HOSTILE);
    expect(hostile.body).toContain(
      '<title>&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; · matchflow ratings</title>',
    );
    expect(attributes(slice(hostile.body, '<table id="matches-table">', '</table>'), 'tr', 'match')).toHaveLength(
      involves(C).length,
    );

    const ghost = await get(`/ratings/${POOL}/${encodeURIComponent(D)}`);
    expect(ghost.status).toBe(200);
    expect(ghost.body).toContain(`data-matches="${involves(D).length}"`);

    const solo = await get(`/ratings/${POOL}/${encodeURIComponent(SOLO)}`);
    expect(solo.status).toBe(200);
    expect(solo.body).toContain('data-matches="0"');
    expect(solo.body).toContain('1400.0');
    expect(solo.body).not.toContain('<svg');
  });

  it('404 for an unknown pool or participant, with the reason escaped', async () => {
    const pool = await get(`/ratings/${encodeURIComponent(HOSTILE)}`);
    expect(pool.status).toBe(404);
    expect(pool.type).toBe('text/html; charset=utf-8');
    expect(pool.body).toContain('no rating pool &quot;&lt;script&gt;');
    expect(pool.body).not.toContain(HOSTILE);
    expect((await get(`/ratings/nope/${encodeURIComponent(A)}`)).status).toBe(404);
    const participant = await get(`/ratings/${POOL}/sofascore.team.404`);
    expect(participant.status).toBe(404);
    expect(participant.body).toContain(
      'no participant &quot;sofascore.team.404&quot; in rating pool &quot;football&quot;',
    );
    // A participant of another pool is unknown here.
    expect((await get(`/ratings/empty-pool/${encodeURIComponent(A)}`)).status).toBe(404);
    // An existing pool without ratings: a page that says so.
    const empty = await get('/ratings/empty-pool');
    expect(empty.status).toBe(200);
    expect(empty.body).toContain('No participant has a rating in this pool yet.');
    expect(empty.body).toContain('No counted matches yet.');
  });

  it('503 with what went wrong when the database is away', async () => {
    const away = await createDashboardServer({
      config: dashboardTestConfig(redis.prefix, publishDir),
      logger,
      db: { execute: () => Promise.reject(new Error('connection refused')) } as unknown as TestDatabase['db'],
      port: 0,
    });
    try {
      for (const target of ['/ratings', `/ratings/${POOL}`, `/ratings/${POOL}/${encodeURIComponent(A)}`]) {
        const response = await fetch(`${away.url}${target}`);
        expect(response.status, target).toBe(503);
        expect(await response.text(), target).toContain('<p class="error">unavailable: connection refused</p>');
      }
    } finally {
      await away.close();
    }
  });
});
