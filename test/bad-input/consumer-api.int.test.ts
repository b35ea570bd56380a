import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@matchflow/config';
import { createDashboardServer, type DashboardServer } from '@matchflow/dashboard';
import { pointLatest, writeSnapshotDirectory } from '@matchflow/pipeline';
import { createLogger } from '@matchflow/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The consumer API (the real dashboard HTTP server over a published snapshot) under malformed
 * queries, path traversal, overlong URLs and unknown routes: a 4xx with a JSON body saying what
 * was wrong (naming the parameter, for a bad query), never a 500, and never a file from outside
 * the snapshot. Requests go over raw node:http so paths reach the server exactly as written
 * (fetch would resolve `..` segments itself).
 */

const logger = createLogger({ service: 'test', level: 'silent' });
type Row = Record<string, unknown>;

const match = (id: string, start: string): Row => ({
  match_id: id,
  competition_id: 'demo.league',
  season_id: 'demo.league.2025',
  start_time: start,
  status: 'finished',
  status_detail: null,
  round: 1,
  home_id: 'ars',
  home_name: 'ARS',
  away_id: 'che',
  away_name: 'CHE',
  home_score: 1,
  away_score: 0,
  home_penalties: null,
  away_penalties: null,
  winner: 'home',
  pool_id: 'football',
  home_rating_pre: 1500,
  away_rating_pre: 1500,
  expected_home: 0.5,
});

function tables(): Map<string, Row[]> {
  return new Map<string, Row[]>([
    ['competitions', [{ competition_id: 'demo.league', name: 'Demo League', sport: 'football' }]],
    ['seasons', [{ season_id: 'demo.league.2025', competition_id: 'demo.league', name: 'Demo 25/26', year: '25/26' }]],
    ['standings', []],
    ['matches', [match('m1', '2025-08-16T14:00:00.000Z'), match('m2', '2025-08-23T14:00:00.000Z')]],
    ['player_appearances', []],
    ['tennis_records', []],
    ['players', []],
    [
      'ratings',
      [
        {
          pool_id: 'football',
          rank: 1,
          participant_id: 'ars',
          name: 'ARS',
          rating: 1510,
          games: 1,
          last_match_id: 'm1',
          change_30d: 10,
        },
      ],
    ],
    ['rating_calibration', []],
    ['match_odds', []],
  ]);
}

interface Answer {
  status: number;
  contentType: string | undefined;
  text: string;
}

/** One request with the path sent exactly as given. */
function send(server: DashboardServer, pathAndQuery: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const call = request(
      { host: '127.0.0.1', port: server.port, path: pathAndQuery, method, headers: { connection: 'close' } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'], text }),
        );
      },
    );
    call.on('error', reject);
    call.end();
  });
}

let publishDir: string;
let server: DashboardServer;

beforeAll(async () => {
  publishDir = await mkdtemp(path.join(tmpdir(), 'matchflow-bad-api-'));
  await writeSnapshotDirectory(publishDir, {
    rows: tables(),
    version: 'v1',
    runId: 'run-v1',
    createdAt: new Date('2025-09-01T00:00:00.000Z'),
    watermarks: {},
    quality: { score: 1, checks: 0, passed: 0, warned: 0, failed: 0, issues: [] },
  });
  await pointLatest(publishDir, 'v1');
  // Something a traversal would like to read, beside the publish directory.
  await writeFile(path.join(path.dirname(publishDir), 'matchflow-bad-api-secret.txt'), 'TOP SECRET');
  const config = loadConfig({}, `publishDir: ${JSON.stringify(publishDir)}\n`);
  server = await createDashboardServer({ config, logger, port: 0 });
});

afterAll(async () => {
  await server?.close();
  await rm(publishDir, { recursive: true, force: true });
  await rm(path.join(path.dirname(publishDir), 'matchflow-bad-api-secret.txt'), { force: true });
});

/** A JSON error body: `{ error, message }`. */
function errorBody(answer: Answer): { error: string; message: string } {
  expect(answer.contentType).toBe('application/json; charset=utf-8');
  const body = JSON.parse(answer.text) as { error: string; message: string };
  expect(Object.keys(body).sort()).toEqual(['error', 'message']);
  expect(body.message).not.toMatch(/\n\s+at /);
  return body;
}

describe('the consumer API with malformed queries', () => {
  // [query, the parameter the 400 must name]
  const BAD_QUERIES: Array<[string, string]> = [
    ['/api/matches?limit=abc', 'limit'],
    ['/api/matches?limit=-1', 'limit'],
    ['/api/matches?limit=0', 'limit'],
    ['/api/matches?limit=1.5', 'limit'],
    ['/api/matches?limit=1000000000', 'limit'],
    ['/api/matches?limit=1e400', 'limit'],
    ['/api/matches?limit=NaN', 'limit'],
    ['/api/matches?limit=%00', 'limit'],
    ['/api/matches?limit=', 'limit'],
    ['/api/matches?limit=10&limit=20', 'limit'],
    ['/api/matches?offset=-5', 'offset'],
    ['/api/matches?offset=ten', 'offset'],
    ['/api/matches?offset=99999999999999999999999', 'offset'],
    ['/api/matches?from=2024-13-45', 'from'],
    ['/api/matches?from=2024-02-30', 'from'],
    ['/api/matches?to=yesterday', 'to'],
    ['/api/matches?from=2025-09-01&to=2025-01-01', 'to'],
    ['/api/matches?from=2025-08-16T14:00:00', 'from'],
    ['/api/matches?status=exploded', 'status'],
    [`/api/matches?competition=${'x'.repeat(201)}`, 'competition'],
    ['/api/matches?sort=desc', 'sort'],
    ['/api/matches?%zz=1', '%zz'],
    ['/api/matches?__proto__=1', '__proto__'],
    ['/api/matches?constructor=1', 'constructor'],
    ['/api/snapshot?version=../../etc/passwd', 'version'],
    ['/api/competitions?limit=10', 'limit'],
    ['/api/ratings/football?limit=1000000000', 'limit'],
    ['/api/ratings/football?offset=-1', 'offset'],
    ['/api/seasons/demo.league.2025/player-appearances?team=&limit=1', 'team'],
    ['/api/players?complete=yes', 'complete'],
    ['/api/players?complete=TRUE', 'complete'],
    ['/api/players?complete=', 'complete'],
    ['/api/players?nationality=ENG&nationality=FRA', 'nationality'],
    [`/api/players?position=${'G'.repeat(201)}`, 'position'],
    ['/api/players?limit=-1', 'limit'],
    ['/api/players?__proto__=1', '__proto__'],
    ['/api/players/sample?team=ars', 'team'],
    ['/api/seasons/demo.league.2025/odds?limit=1e400', 'limit'],
    ['/api/seasons/demo.league.2025/odds?status=finished', 'status'],
    ['/api/matches/m1/odds?offset=1', 'offset'],
    ['/healthz?verbose=1', 'verbose'],
  ];

  it.each(BAD_QUERIES)('%s: 400 naming %s', async (url, parameter) => {
    const answer = await send(server, url);
    expect(answer.status, answer.text).toBe(400);
    const body = errorBody(answer);
    expect(body.error).toBe('bad_request');
    expect(body.message.startsWith(`${parameter}: `), body.message).toBe(true);
  });

  it('still answers a good query (the cases above are refused for what they hold)', async () => {
    const answer = await send(server, '/api/matches?limit=1&offset=1&from=2025-08-01');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ data: [{ match_id: 'm2' }], page: { limit: 1, offset: 1 } });
    const players = await send(server, '/api/players?complete=false&limit=1');
    expect(players.status).toBe(200);
    expect(JSON.parse(players.text)).toEqual({ data: [], page: { limit: 1, offset: 0, total: 0 } });
  });
});

describe('the consumer API with paths that lead nowhere', () => {
  const NOT_FOUND = [
    '/api/../../etc/passwd',
    '/api/../../../matchflow-bad-api-secret.txt',
    '/api/%2e%2e/%2e%2e/etc/passwd',
    '/api/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
    '/api/competitions/..%2f..%2fetc%2fpasswd/seasons',
    '/api/competitions/%2e%2e/seasons',
    '/api/competitions/..%5c..%5cwindows%5cwin.ini/seasons',
    '/api/seasons/..%2F..%2F..%2Fmatchflow-bad-api-secret.txt/standings',
    '/api/seasons/%00/standings',
    '/api/ratings/..',
    '/api/ratings/%2e%2e%2fv1%2fmanifest.json',
    '/api/players/..',
    '/api/players/..%2f..%2fetc%2fpasswd',
    '/api/players/%00',
    '/api/players/p1/extra',
    '/api/seasons/..%2F..%2F..%2Fmatchflow-bad-api-secret.txt/odds',
    '/api/matches/%2e%2e/odds',
    '/api/matches/..%2fv1%2fmatch_odds.ndjson/odds',
    '/api/matches/m1/odds/extra',
    '/api/snapshot/../../v1/manifest.json',
    '/api/v1/manifest.json',
    '/v1/manifest.json',
    '/latest',
    '//etc/passwd',
    '/api',
    '/api/nope',
    '/API/matches',
    '/api/matches.json',
    '/api/matches/m1',
    '/api/competitions/demo.league/seasons/extra',
    `/api/competitions/${'a'.repeat(8_000)}/seasons`,
    `/api/${'deep/'.repeat(1_000)}end`,
  ];

  it.each(NOT_FOUND)('%s: 404 with a JSON body', async (url) => {
    const answer = await send(server, url);
    expect(answer.status, answer.text.slice(0, 300)).toBe(404);
    const body = errorBody(answer);
    expect(body.error).toBe('not_found');
    expect(answer.text).not.toContain('TOP SECRET');
    expect(answer.text).not.toContain('root:');
  });

  it('refuses malformed percent-encoding in a path parameter with a 400', async () => {
    const answer = await send(server, '/api/competitions/%E0%A4%A/seasons');
    expect(answer.status).toBe(400);
    expect(errorBody(answer)).toMatchObject({ error: 'bad_request', message: expect.stringContaining('percent') });
  });

  it('answers another method with 405, not a 500', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const answer = await send(server, '/api/matches', method);
      expect(answer.status, method).toBe(405);
      expect(errorBody(answer).error).toBe('method_not_allowed');
    }
  });

  it('lets node refuse a URL beyond its header limit (431), and goes on serving', async () => {
    const answer = await send(server, `/api/matches?team=${'x'.repeat(64 * 1024)}`);
    expect(answer.status).toBe(431);
    expect((await send(server, '/healthz')).status).toBe(200);
  });
});

describe('a latest pointer that names a path', () => {
  it('serves 503 snapshot_unavailable, reads nothing outside the publish directory, leaks no path', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'matchflow-bad-latest-'));
    const outside = path.join(path.dirname(dir), `${path.basename(dir)}-outside`);
    await mkdir(outside, { recursive: true });
    await writeFile(path.join(outside, 'manifest.json'), '{"secret": "TOP SECRET"}');
    const config = loadConfig({}, `publishDir: ${JSON.stringify(dir)}\n`);
    const other = await createDashboardServer({ config, logger, port: 0 });
    try {
      for (const pointer of [`../${path.basename(outside)}`, '/etc', 'v1/../../etc', '..', '.tmp-v1']) {
        await writeFile(path.join(dir, 'latest'), `${pointer}\n`);
        const answer = await send(other, '/api/snapshot');
        expect(answer.status, pointer).toBe(503);
        expect(errorBody(answer)).toEqual({
          error: 'snapshot_unavailable',
          message: 'the latest snapshot cannot be read',
        });
        expect(answer.text).not.toContain('TOP SECRET');
      }
    } finally {
      await other.close();
      await rm(dir, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    }
  });
});
