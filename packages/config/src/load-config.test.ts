import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { loadConfig } from './load-config.js';
import { maskUrlPassword, REDACTED, redactConfig } from './redact.js';

const VALID = `
env: staging
logLevel: debug
redis:
  url: redis://127.0.0.1:6379/2
sources:
  sofascore:
    kind: sofascore
    baseUrl: http://127.0.0.1:4010/api/v1
    rateLimit: { requestsPerInterval: 20, intervalMs: 1000 }
  football-data:
    kind: football-data
    baseUrl: https://api.football-data.org/v4
    credentials:
      token: \${FD_TOKEN}
competitions:
  - id: demo-league
    source: sofascore
    competition: 17
    seasons: [52186, "61627"]
    schedule: "*/10 * * * *"
    timezone: Europe/London
    ratingPool: football
ratingPools:
  football:
    preset: football
    k: { a: 250, b: 5, c: 0.4 }
    homeAdvantage: 65
`;

function issuesOf(run: () => unknown): Array<{ path: string; message: string; origin?: string }> {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error('expected a ConfigError, but the config was accepted');
}

describe('loadConfig: valid input', () => {
  it('fills defaults when there is no file at all', () => {
    const config = loadConfig({});
    expect(config.env).toBe('dev');
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.redis.prefix).toBe('{matchflow}');
    expect(config.database.url).toBeUndefined();
    expect(config.dataDir).toBe('./.matchflow');
    expect(config.logDir).toBe(path.join('.matchflow', 'logs'));
    expect(config.publishDir).toBe(path.join('.matchflow', 'published'));
    expect(config.alerts.log).toBe(path.join('.matchflow', 'logs', 'alerts.log'));
    expect(config.alerts.heartbeatDir).toBe(path.join('.matchflow', 'heartbeats'));
    expect(config.alerts).toMatchObject({ attempts: 3, breakerOpenMs: 600_000, stuckRunMs: 7_200_000 });
    expect(config.dashboard).toMatchObject({ host: '127.0.0.1', port: 3000 });
  });

  it('reads a full file, interpolates ${VAR} and normalises upstream ids to strings', () => {
    const config = loadConfig({ FD_TOKEN: 'secret-token' }, VALID);
    expect(config.env).toBe('staging');
    expect(config.sources['football-data']?.credentials.token).toBe('secret-token');
    expect(config.sources.sofascore?.rateLimit).toEqual({
      requestsPerInterval: 20,
      intervalMs: 1000,
      maxConcurrent: 4,
      backfillShare: 0.5,
    });
    expect(config.sources.sofascore?.timeouts.connectMs).toBe(5000);
    expect(config.competitions[0]).toMatchObject({ competition: '17', seasons: ['52186', '61627'] });
    expect(config.ratingPools.football?.homeAdvantage).toBe(65);
    expect(config.ratingPools.football).toEqual({
      preset: 'football',
      k: { a: 250, b: 5, c: 0.4 },
      homeAdvantage: 65,
      batchSize: 1000,
    });
  });

  it('applies env overrides over the file, REDIS_URL and DATABASE_URL included', () => {
    const config = loadConfig(
      {
        FD_TOKEN: 'from-file-interpolation',
        REDIS_URL: 'redis://cache.internal:6380',
        DATABASE_URL: 'postgres://app@db.internal:5432/matchflow',
        MATCHFLOW_LOG_LEVEL: 'warn',
        MATCHFLOW_DASHBOARD__PORT: '8080',
        MATCHFLOW_SOURCES__FOOTBALL_DATA__CREDENTIALS__TOKEN: 'from-env',
        MATCHFLOW_SOURCES__SOFASCORE__RATE_LIMIT__MAX_CONCURRENT: '2',
        MATCHFLOW_COMPETITIONS__0__SEASONS: '["99"]',
        MATCHFLOW_CONFIG: '/not/an/override.yaml',
      },
      VALID,
    );
    expect(config.redis.url).toBe('redis://cache.internal:6380');
    expect(config.database.url).toBe('postgres://app@db.internal:5432/matchflow');
    expect(config.logLevel).toBe('warn');
    expect(config.dashboard.port).toBe(8080);
    expect(config.sources['football-data']?.credentials.token).toBe('from-env');
    expect(config.sources.sofascore?.rateLimit.maxConcurrent).toBe(2);
    expect(config.competitions[0]?.seasons).toEqual(['99']);
  });

  it('keeps an override that only looks like JSON as text (a hash-tagged Redis prefix)', () => {
    expect(loadConfig({ MATCHFLOW_REDIS__PREFIX: '{prod}' }).redis.prefix).toBe('{prod}');
  });

  it('resolves relative directories against the base directory', () => {
    const config = loadConfig({}, 'dataDir: data\npublishDir: /srv/published', { baseDir: '/etc/matchflow' });
    expect(config.dataDir).toBe('/etc/matchflow/data');
    expect(config.logDir).toBe('/etc/matchflow/data/logs');
    expect(config.publishDir).toBe('/srv/published');
  });

  it('keeps `$${` as a literal `${`', () => {
    const config = loadConfig(
      {},
      'sources: { s: { kind: sofascore, baseUrl: "http://x", headers: { X-Tpl: "$${HOME}" } } }',
    );
    expect(config.sources.s?.headers['X-Tpl']).toBe('${HOME}');
  });
});

const base = (extra: string) => `
sources:
  sofascore: { kind: sofascore, baseUrl: "http://127.0.0.1:4010/api/v1" }
ratingPools:
  football: {}
${extra}`;

const competition = (fields: string, seasons = '[1]') => `
competitions:
  - { id: demo, source: sofascore, competition: 17, seasons: ${seasons}, ratingPool: football, ${fields} }`;

interface InvalidCase {
  name: string;
  text: string;
  env?: Record<string, string>;
  path: string;
  message: RegExp;
  origin?: string;
}

const INVALID_CASES: InvalidCase[] = [
  { name: 'wrong type', text: 'logLevel: 3', path: 'logLevel', message: /expected one of/ },
  { name: 'unknown enum value', text: 'env: production', path: 'env', message: /"dev"\|"staging"\|"prod"/ },
  { name: 'unknown top-level key (typo)', text: 'competiton: []', path: 'competiton', message: /unknown key/ },
  {
    name: 'unknown source in a competition',
    text: base(`competitions:\n  - { id: demo, source: sofa, competition: 17, seasons: [1], ratingPool: football }`),
    path: 'competitions[0].source',
    message: /unknown source 'sofa' \(known: sofascore\)/,
  },
  {
    name: 'unknown rating pool in a competition',
    text: base(`competitions:\n  - { id: demo, source: sofascore, competition: 17, seasons: [1], ratingPool: tennis }`),
    path: 'competitions[0].ratingPool',
    message: /unknown rating pool 'tennis'/,
  },
  {
    name: 'negative rate',
    text: 'sources: { s: { kind: sofascore, baseUrl: "http://x", rateLimit: { requestsPerInterval: -5 } } }',
    path: 'sources.s.rateLimit.requestsPerInterval',
    message: />0/,
  },
  {
    name: 'fractional send guard',
    text: 'sources: { s: { kind: sofascore, baseUrl: "http://x", rateLimit: { sendGuardMs: 2.5 } } }',
    path: 'sources.s.rateLimit.sendGuardMs',
    message: /whole number of milliseconds/,
  },
  {
    name: 'send guard as wide as the interval',
    text: 'sources: { s: { kind: sofascore, baseUrl: "http://x", rateLimit: { intervalMs: 100, sendGuardMs: 100 } } }',
    path: 'sources.s.rateLimit.sendGuardMs',
    message: /less than intervalMs/,
  },
  {
    name: 'bad cron',
    text: base(competition('schedule: "61 * * * *"')),
    path: 'competitions[0].schedule',
    message: /not a valid cron expression/,
  },
  {
    name: 'bad time zone',
    text: base(competition('timezone: Mars/Olympus')),
    path: 'competitions[0].timezone',
    message: /IANA time zone/,
  },
  {
    name: 'bad URL',
    text: 'sources: { s: { kind: sofascore, baseUrl: "not a url" } }',
    path: 'sources.s.baseUrl',
    message: /http:\/\/ or https:\/\/ URL/,
  },
  {
    name: 'bad Redis URL scheme',
    text: 'redis: { url: "http://127.0.0.1:6379" }',
    path: 'redis.url',
    message: /redis:\/\//,
  },
  {
    name: 'missing credential for a source that needs one',
    text: 'sources: { fd: { kind: football-data, baseUrl: "https://api.football-data.org/v4" } }',
    path: 'sources.fd.credentials.token',
    message: /needs an API token/,
  },
  {
    name: 'unknown source kind',
    text: 'sources: { s: { kind: opta, baseUrl: "http://x" } }',
    path: 'sources.s.kind',
    message: /"sofascore"\|"football-data"/,
  },
  {
    name: 'missing required field',
    text: base('competitions:\n  - { id: demo, source: sofascore, seasons: [1], ratingPool: football }'),
    path: 'competitions[0].competition',
    message: /required/,
  },
  {
    name: 'empty season list',
    text: base(competition('schedule: "0 * * * *"', '[]')),
    path: 'competitions[0].seasons',
    message: /at least one season/,
  },
  {
    name: 'duplicate competition id',
    text: base(`competitions:
  - { id: demo, source: sofascore, competition: 17, seasons: [1], ratingPool: football }
  - { id: demo, source: sofascore, competition: 18, seasons: [1], ratingPool: football }`),
    path: 'competitions[1].id',
    message: /duplicate competition id 'demo'/,
  },
  {
    name: 'K schedule infinite at 0 games',
    text: 'ratingPools: { p: { k: { a: 250, b: 0, c: 0.4 } } }',
    path: 'ratingPools.p.k.b',
    message: /infinite at 0 games/,
  },
  {
    name: 'regression outside 0..1',
    text: 'ratingPools: { p: { seasonRegression: { fraction: 1.5 } } }',
    path: 'ratingPools.p.seasonRegression.fraction',
    message: /<=1/,
  },
  {
    name: 'dashboard exposed without auth',
    text: 'dashboard: { host: 0.0.0.0 }',
    path: 'dashboard.auth',
    message: /beyond loopback/,
  },
  { name: 'port out of range', text: 'dashboard: { port: 70000 }', path: 'dashboard.port', message: /<=65535/ },
  {
    name: 'bad source name',
    text: 'sources: { Sofa_Score: { kind: sofascore, baseUrl: "http://x" } }',
    path: 'sources.Sofa_Score',
    message: /lowercase/,
  },
  {
    name: 'the old alerts.failuresLog key',
    text: 'alerts: { failuresLog: ./failures.log }',
    path: 'alerts.failuresLog',
    message: /renamed: use alerts\.log/,
  },
  {
    name: 'unset interpolated variable',
    text: 'alerts: { webhookUrl: "${SLACK_HOOK}" }',
    path: 'alerts.webhookUrl',
    message: /SLACK_HOOK is not set/,
  },
  { name: 'YAML syntax error', text: 'env: [dev', path: '', message: /not valid YAML: line \d+/ },
  { name: 'top level is not a mapping', text: '- a\n- b', path: '', message: /mapping of settings/ },
  {
    name: 'bad env override value',
    text: '',
    env: { MATCHFLOW_DASHBOARD__PORT: 'eighty' },
    path: 'dashboard.port',
    message: /expected number/,
    origin: 'env MATCHFLOW_DASHBOARD__PORT',
  },
  {
    name: 'env override naming an unknown key',
    text: '',
    env: { MATCHFLOW_DASHBORD__PORT: '80' },
    path: 'dashbord',
    message: /unknown key/,
    origin: undefined,
  },
  {
    name: 'env override with a list that is not JSON',
    text: '',
    env: { MATCHFLOW_COMPETITIONS: '[oops' },
    path: 'competitions',
    message: /expected array, received string/,
    origin: 'env MATCHFLOW_COMPETITIONS',
  },
];

describe('loadConfig: invalid input names the key and what is wrong', () => {
  it.each(INVALID_CASES)('$name', ({ text, env, path: expectedPath, message, origin }) => {
    const issues = issuesOf(() => loadConfig(env ?? {}, text));
    const match = issues.find((issue) => issue.path === expectedPath && message.test(issue.message));
    expect(match, `issues were: ${JSON.stringify(issues)}`).toBeDefined();
    if (origin) expect(match?.origin).toBe(origin);
  });

  it('lists every bad key at once, cross-references included', () => {
    const text = base(`env: production
logLevel: loud
dashboard: { port: -1 }
competitions:
  - { id: demo, source: nowhere, competition: 17, seasons: [1], ratingPool: football }`);
    const issues = issuesOf(() => loadConfig({}, text));
    expect(issues.map((issue) => issue.path).sort()).toEqual([
      'competitions[0].source',
      'dashboard.port',
      'env',
      'logLevel',
    ]);
  });

  it('puts the file name and each key on its own line in the message', () => {
    try {
      loadConfig({}, 'env: production', { fileName: '/etc/matchflow.yaml' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(
        /^invalid configuration \(\/etc\/matchflow\.yaml\): 1 problem\n {2}- env: /,
      );
    }
  });
});

describe('redactConfig', () => {
  it('hides tokens, passwords, webhook URLs and URL passwords', () => {
    const config = loadConfig(
      {
        FD_TOKEN: 'fd-secret',
        REDIS_URL: 'redis://:hunter22@cache:6379',
        DATABASE_URL: 'postgres://app:pgsecret@db/app',
      },
      `${VALID}\nalerts: { webhookUrl: "https://hooks.example/T000/B000/XXXX" }\ndashboard: { auth: { basic: { username: ops, password: "long-password" } } }`,
    );
    const printed = JSON.stringify(redactConfig(config));
    for (const secret of ['fd-secret', 'hunter22', 'pgsecret', 'XXXX', 'long-password']) {
      expect(printed).not.toContain(secret);
    }
    expect(printed).toContain(REDACTED);
    expect(printed).toContain('"username":"ops"');
  });

  it('leaves URLs without a password alone', () => {
    expect(maskUrlPassword('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(maskUrlPassword('not a url')).toBe('not a url');
  });
});
