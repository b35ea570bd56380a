import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type SourceSettings } from '@matchflow/config';
import { type ReplayServer, startReplay } from '@matchflow/replay';
import {
  FOOTBALL_DATA_PATHS,
  mapFootballDataMatch,
  mapFootballDataMatches,
  mapOpenfootballSeason,
  OPENFOOTBALL_PATHS,
  SourceClient,
} from '@matchflow/sources';
import { createLogger } from '@matchflow/telemetry';
import { testRedis } from '@matchflow/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * File-based and keyed sources end to end: the replay's static mode serves real recordings at
 * the upstream's paths, and the real SourceClient (limiter, breaker, HTTP) plus the adapter
 * read them back. Needs ../shared/fixtures; skips, saying so, without it.
 */

const FIXTURES = fileURLToPath(new URL('../../shared/fixtures/', import.meta.url));
const haveFixtures = existsSync(FIXTURES);
if (!haveFixtures) console.info(`[sources static] ${FIXTURES} not found: tests skipped`);

const logger = createLogger({ service: 'test', level: 'silent' });
const redis = testRedis(undefined, 'sources-static');
const clients: SourceClient[] = [];

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await redis.cleanup();
});

function client(name: string, overrides: Record<string, unknown>): SourceClient {
  const config = loadConfig({ TOKEN: 'test-token' }, JSON.stringify({ sources: { [name]: overrides } }));
  const made = new SourceClient({
    name,
    settings: config.sources[name] as SourceSettings,
    redis: redis.connect(),
    prefix: redis.prefix,
    logger,
  });
  clients.push(made);
  return made;
}

describe.skipIf(!haveFixtures)('openfootball through the replay static mode', () => {
  let replay: ReplayServer;
  beforeAll(async () => {
    replay = await startReplay({ port: 0, staticDir: path.join(FIXTURES, 'openfootball') });
  });
  afterAll(async () => replay?.close());

  it('fetches a season file over HTTP and maps all 380 matches with stable ids', async () => {
    const source = client('openfootball', { kind: 'openfootball', baseUrl: replay.url, timezone: 'Europe/London' });
    const payload = await source.fetch('season', OPENFOOTBALL_PATHS.season('2024-25', 'en.1'));
    const options = { source: 'openfootball', competition: 'en.1', season: '2024-25', timezone: 'Europe/London' };
    const batch = mapOpenfootballSeason(payload.body, options);
    expect(batch.matches).toHaveLength(380);
    expect(batch.participants).toHaveLength(20);
    expect(batch.matches.every((match) => match.status === 'finished')).toBe(true);
    const again = mapOpenfootballSeason(payload.body, options);
    expect(again.matches.map((match) => match.sourceId)).toEqual(batch.matches.map((match) => match.sourceId));
    const accounting = (await (await fetch(`${replay.url}/_control/accounting`)).json()) as { byEndpoint: unknown };
    expect(accounting.byEndpoint).toEqual({ static: { '200': 1 } });
  });
});

describe.skipIf(!haveFixtures)('football-data through the replay static mode', () => {
  let replay: ReplayServer;
  let dir: string;
  beforeAll(async () => {
    // Lay the recorded bodies out at the paths the API serves them from.
    dir = mkdtempSync(path.join(tmpdir(), 'football-data-'));
    const place = (apiPath: string, fixture: string) => {
      const file = path.join(dir, 'v4', apiPath.split('?')[0] as string);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, readFileSync(path.join(FIXTURES, 'football-data', fixture)));
    };
    place(FOOTBALL_DATA_PATHS.match('417211'), 'body__Match-417211.json');
    place(FOOTBALL_DATA_PATHS.matches('2001', '2022'), 'body__Competition-2001-Matches.json');
    replay = await startReplay({ port: 0, staticDir: dir });
  });
  afterAll(async () => {
    await replay?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fetches one match and a competition season, with the token, and maps them', async () => {
    const source = client('football-data', {
      kind: 'football-data',
      baseUrl: `${replay.url}/v4`,
      credentials: { token: '${TOKEN}' },
    });
    const match = mapFootballDataMatch(
      (await source.fetch('match', FOOTBALL_DATA_PATHS.match('417211'))).body,
      'football-data',
    );
    expect(match.matches[0]).toMatchObject({
      sourceId: '417211',
      status: 'finished',
      score: { home: 1, away: 1 },
      winner: 'draw',
    });
    const season = mapFootballDataMatches(
      (await source.fetch('competition.matches', FOOTBALL_DATA_PATHS.matches('2001', '2022'))).body,
      'football-data',
    );
    expect(season.matches.length).toBeGreaterThan(100);
    expect(season.competitions).toHaveLength(1);
  });
});
