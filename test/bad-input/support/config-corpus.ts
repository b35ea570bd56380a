/*
 * A generated corpus of invalid configurations, each derived from one valid base config by one
 * mutation, with the key(s) the loader's report must name. The base sets every key the schema
 * has (two sources, two competitions, two rating pools of different shapes), so walking it
 * reaches every setting: each leaf gets wrong types, each strict mapping an unknown key, each
 * required key is deleted, and numbers, URLs, cron expressions, time zones and enums get values
 * of the right type that are still wrong.
 */

export interface InvalidConfig {
  /** What is wrong, for the test's name. */
  name: string;
  /** The config file's text (YAML; JSON is YAML). */
  text: string;
  /** Environment of the process besides MATCHFLOW_CONFIG. */
  env?: Record<string, string>;
  /** Keys the report must name, each as `  - <key>: ` (`(config)` for the document as a whole). */
  keys: string[];
  /** A text the report must hold besides the keys (the line of a YAML syntax error, a variable). */
  mentions?: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = Array<string | number>;

/** A valid configuration that sets every key the schema knows. */
export function baseConfig(): { [key: string]: Json } {
  return {
    env: 'staging',
    logLevel: 'info',
    redis: { url: 'redis://127.0.0.1:6379', prefix: '{matchflow}' },
    database: { url: 'postgres://matchflow:secret@127.0.0.1:5432/matchflow', poolSize: 10 },
    dataDir: './.matchflow',
    logDir: './.matchflow/logs',
    publishDir: './.matchflow/published',
    sources: {
      sofascore: {
        kind: 'sofascore',
        baseUrl: 'http://127.0.0.1:4010/api/v1',
        headers: { accept: 'application/json' },
        credentials: {},
        rateLimit: { requestsPerInterval: 10, intervalMs: 1000, maxConcurrent: 4, backfillShare: 0.5 },
        timeouts: { connectMs: 5000, headersMs: 10000, bodyMs: 15000 },
        timezone: 'UTC',
        retry: { attempts: 5, backoffMs: 1000, maxBackoffMs: 60000 },
        breaker: {
          consecutiveFailures: 5,
          failureRate: 0.5,
          windowRequests: 20,
          cooldownMs: 30000,
          blockedCooldownMs: 3600000,
        },
      },
      'football-data': {
        kind: 'football-data',
        baseUrl: 'https://api.football-data.org/v4',
        credentials: { token: 'fd-token-0123456789' },
      },
    },
    competitions: [
      {
        id: 'demo-league',
        source: 'sofascore',
        competition: 1001,
        seasons: [50001, 50002],
        schedule: '0 * * * *',
        timezone: 'Europe/London',
        missedRuns: 'once',
        ratingPool: 'football',
        ratingWeight: 'league',
        standings: {
          points: { win: 3, draw: 1, loss: 0 },
          tiebreakers: ['points', 'goalDifference', 'goalsFor', 'headToHead'],
          adjustments: [{ team: 3013, season: 50002, points: -6, reason: 'breach of financial rules' }],
        },
      },
      {
        id: 'pl',
        source: 'football-data',
        competition: 'PL',
        seasons: ['2024'],
        schedule: 'every 30m',
        ratingPool: 'tennis',
      },
    ],
    ratingPools: {
      football: {
        preset: 'football',
        initial: 1500,
        initialRatings: { 'team-1': 1600 },
        k: 20,
        homeAdvantage: 65,
        scale: 400,
        mov: { kind: 'goal-difference' },
        matchWeights: { league: 1, cup: 1.5 },
        diffMultipliers: { playoff: 1.2 },
        seasonRegression: { fraction: 0.2, mean: 1500, overrides: { 'team-1|2024': 1550 } },
        explicitResults: 'count',
        batchSize: 1000,
      },
      tennis: { preset: 'tennis', k: { a: 250, b: 5, c: 0.4 }, mov: { kind: 'log-margin', a: 2.2, b: 0.001 } },
    },
    quality: {
      minCompleteness: 0.98,
      minRatingsCoverage: 1,
      maxQuarantinedRatio: 0.05,
      freshnessMaxAgeHours: 26,
      severity: { freshness: 'fail', 'completeness.lineups': 'off' },
    },
    retention: {
      rawPayloadsDays: 90,
      runHistoryDays: 180,
      snapshotsKeep: 30,
      completedJobsKeep: 1000,
      completedJobsDays: 7,
      failedJobsDays: 14,
    },
    alerts: {
      webhookUrl: 'https://hooks.slack.com/services/T000/B000/XXXXXXXX',
      log: './.matchflow/logs/alerts.log',
      attempts: 3,
      backoffMs: 1000,
      timeoutMs: 5000,
      intervalMs: 60000,
      breakerOpenMs: 600000,
      stuckRunMs: 7200000,
      heartbeatDir: './.matchflow/heartbeats',
    },
    dashboard: {
      host: '127.0.0.1',
      port: 3000,
      auth: { token: 'dashboard-token-0123456789', basic: { username: 'ops', password: 'correct horse battery' } },
      readOnly: false,
    },
    workers: {
      concurrency: { discover: 2, ingest: 8, ratings: 1, build: 2 },
      shutdownTimeoutMs: 30000,
      lockDurationMs: 30000,
      stalledIntervalMs: 30000,
    },
    health: { host: '127.0.0.1', port: 8081 },
    runs: { overlap: 'skip', staleAfterMs: 21600000 },
    scheduler: { syncIntervalMs: 60000, maintenance: { schedule: '30 3 * * *', timezone: 'UTC', missedRuns: 'once' } },
  };
}

/** `['competitions', 0, 'source']` -> `competitions[0].source` (as the loader prints keys). */
export function keyOf(path: Path): string {
  return path.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`;
    return text === '' ? segment : `${text}.${segment}`;
  }, '');
}

/**
 * Mappings whose keys are names of our choosing (a record), not settings: an unknown key there
 * is a new entry, not a mistake. Their values are still walked.
 */
const RECORDS: ReadonlySet<string> = new Set([
  'sources',
  'sources.sofascore.headers',
  'ratingPools',
  'ratingPools.football.initialRatings',
  'ratingPools.football.matchWeights',
  'ratingPools.football.diffMultipliers',
  'ratingPools.football.seasonRegression.overrides',
]);

/** Keys without a default: deleting one must be reported as required. */
const REQUIRED: readonly Path[] = [
  ['sources', 'sofascore', 'kind'],
  ['sources', 'sofascore', 'baseUrl'],
  ['sources', 'football-data', 'kind'],
  ['sources', 'football-data', 'baseUrl'],
  ['competitions', 0, 'id'],
  ['competitions', 0, 'source'],
  ['competitions', 0, 'competition'],
  ['competitions', 0, 'seasons'],
  ['competitions', 0, 'ratingPool'],
  ['competitions', 1, 'id'],
  ['competitions', 1, 'seasons'],
  ['competitions', 1, 'ratingPool'],
  ['competitions', 0, 'standings', 'adjustments', 0, 'team'],
  ['competitions', 0, 'standings', 'adjustments', 0, 'season'],
  ['competitions', 0, 'standings', 'adjustments', 0, 'points'],
  ['ratingPools', 'football', 'seasonRegression', 'fraction'],
  ['ratingPools', 'football', 'mov', 'kind'],
  ['ratingPools', 'tennis', 'k', 'a'],
  ['ratingPools', 'tennis', 'k', 'b'],
  ['ratingPools', 'tennis', 'k', 'c'],
  ['ratingPools', 'tennis', 'mov', 'a'],
  ['dashboard', 'auth', 'basic', 'username'],
  ['dashboard', 'auth', 'basic', 'password'],
];

/** Wrong values of the right type, by key name (the last segment of a path). */
const OUT_OF_RANGE: ReadonlyArray<{ keys: RegExp; values: Json[] }> = [
  // Whole numbers that must be positive.
  {
    keys: /^(\w+Ms|attempts|poolSize|batchSize|requestsPerInterval|maxConcurrent|consecutiveFailures|windowRequests|freshnessMaxAgeHours|\w+Days|snapshotsKeep|discover|ingest|ratings|build)$/,
    values: [0, -3, 2.5],
  },
  {
    keys: /^(backfillShare|failureRate|minCompleteness|minRatingsCoverage|maxQuarantinedRatio|fraction)$/,
    values: [1.5, -0.1],
  },
  { keys: /^port$/, values: [65536, -1, 80.5] },
  { keys: /^completedJobsKeep$/, values: [-1, 0.5] },
  { keys: /^(scale|k|league|cup|playoff|a)$/, values: [0, -1] },
  { keys: /^(win|draw|loss)$/, values: [1.5] },
];

/** Values of the right type that are still not URLs of the kind the key needs. */
const BAD_URLS: Readonly<Record<string, Json[]>> = {
  'sources.sofascore.baseUrl': ['not a url', 'ftp://127.0.0.1/api', 'redis://127.0.0.1:6379', ''],
  'sources.football-data.baseUrl': ['api.football-data.org/v4', 'file:///etc/passwd', 'javascript:alert(1)'],
  'redis.url': ['http://127.0.0.1:6379', 'localhost:6379', 'redis//127.0.0.1'],
  'database.url': ['mysql://root@127.0.0.1/matchflow', 'postgres:/nohost', 'not a url'],
  'alerts.webhookUrl': ['hooks.slack.com/services/x', 'ftp://hooks.example.com/x'],
};

const BAD_SCHEDULES: Json[] = [
  '61 * * * *',
  '* * *',
  '0 25 * * *',
  '* * * * * * * *',
  'every 0m',
  'every 99999999999999999999d',
  'every 5 weeks',
  'every',
  'hourly',
  '',
];
const SCHEDULE_KEYS: readonly Path[] = [
  ['competitions', 0, 'schedule'],
  ['competitions', 1, 'schedule'],
  ['scheduler', 'maintenance', 'schedule'],
];

const BAD_TIME_ZONES: Json[] = ['Mars/Olympus_Mons', 'Europe/Londn', 'UTC+25', ''];
const TIME_ZONE_KEYS: readonly Path[] = [
  ['sources', 'sofascore', 'timezone'],
  ['competitions', 0, 'timezone'],
  ['scheduler', 'maintenance', 'timezone'],
];

/** Strings that are not one of the key's allowed values. */
const BAD_ENUMS: ReadonlyArray<{ path: Path; values: Json[] }> = [
  { path: ['env'], values: ['production', 'DEV'] },
  { path: ['logLevel'], values: ['verbose', 'INFO'] },
  { path: ['sources', 'sofascore', 'kind'], values: ['espn'] },
  { path: ['competitions', 0, 'missedRuns'], values: ['always'] },
  { path: ['scheduler', 'maintenance', 'missedRuns'], values: ['all'] },
  { path: ['runs', 'overlap'], values: ['parallel'] },
  { path: ['ratingPools', 'football', 'preset'], values: ['ice-hockey'] },
  { path: ['ratingPools', 'football', 'explicitResults'], values: ['maybe'] },
  { path: ['competitions', 0, 'standings', 'tiebreakers', 1], values: ['coinToss'] },
  { path: ['quality', 'severity', 'freshness'], values: ['fatal'] },
  { path: ['competitions', 0, 'id'], values: ['Demo_League', '1league', 'demo league'] },
];

function clone<T>(value: T): T {
  return structuredClone(value);
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function setAt(root: Json, path: Path, value: Json | undefined): void {
  let node = root as Record<string | number, Json>;
  for (const segment of path.slice(0, -1)) node = node[segment] as Record<string | number, Json>;
  const last = path[path.length - 1] as string | number;
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else {
    node[last] = value;
  }
}

/** Every leaf (scalar) and every mapping of the base, with its path. */
function walk(value: Json, path: Path, visit: (path: Path, value: Json) => void): void {
  visit(path, value);
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) walk(item, [...path, index], visit);
  } else if (isObject(value)) for (const [key, item] of Object.entries(value)) walk(item, [...path, key], visit);
}

function mutated(path: Path, value: Json | undefined): string {
  const config = clone(baseConfig());
  setAt(config, path, value);
  return JSON.stringify(config, null, 2);
}

function withEdits(edit: (config: { [key: string]: Json }) => void): string {
  const config = clone(baseConfig());
  edit(config);
  return JSON.stringify(config, null, 2);
}

/** Wrong-typed replacements for a leaf of this type (none of which the schema coerces). */
function wrongTypes(value: Json): Json[] {
  if (typeof value === 'number') return [true, [value]];
  if (typeof value === 'boolean') return ['maybe', 7];
  if (typeof value === 'string') return [{ nested: value }, [value]];
  if (Array.isArray(value)) return ['not a list'];
  if (isObject(value)) return ['not a mapping', 42];
  return [];
}

function describeValue(value: Json | undefined): string {
  return value === undefined ? 'deleted' : JSON.stringify(value);
}

/** Each case makes one mistake (a few make a linked pair of them) and says which key(s) to name. */
export function invalidConfigCorpus(): InvalidConfig[] {
  const base = baseConfig();
  const cases: InvalidConfig[] = [];
  const add = (name: string, text: string, keys: string[], extra: Partial<InvalidConfig> = {}) =>
    cases.push({ name, text, keys, ...extra });

  // 1. Wrong types, at every key of the base (leaves and mappings alike, the root excepted).
  walk(base, [], (path, value) => {
    if (path.length === 0) return;
    for (const wrong of wrongTypes(value)) {
      // A rating pool's `k` is a number or a K schedule: a number is no wrong type there.
      if (keyOf(path) === 'ratingPools.tennis.k' && typeof wrong === 'number') continue;
      add(`wrong type: ${keyOf(path)} = ${describeValue(wrong)}`, mutated(path, wrong), [keyOf(path)]);
    }
  });

  // 2. An unknown key in every mapping that holds settings.
  walk(base, [], (path, value) => {
    if (!isObject(value) || RECORDS.has(keyOf(path))) return;
    const key = 'unknownSetting';
    add(`unknown key under ${keyOf(path) || 'the top level'}`, mutated([...path, key], 1), [keyOf([...path, key])]);
  });
  // A misspelt top-level key is the common case.
  add('misspelt key: ratingPool (for ratingPools)', mutated(['ratingPool'], {}), ['ratingPool']);
  add('misspelt key: competitions[0].seasonz', mutated(['competitions', 0, 'seasonz'], ['2024']), [
    'competitions[0].seasonz',
  ]);

  // 3. Required keys missing.
  for (const path of REQUIRED) {
    add(`missing required key: ${keyOf(path)}`, mutated(path, undefined), [keyOf(path)]);
  }

  // 4. Numbers of the right type out of their range.
  walk(base, [], (path, value) => {
    if (typeof value !== 'number') return;
    const last = String(path[path.length - 1]);
    for (const rule of OUT_OF_RANGE) {
      if (!rule.keys.test(last)) continue;
      for (const bad of rule.values) {
        // A constraint that a number already breaks (a fraction of 1 set to 1.5) is a case; one
        // equal to the base value is not.
        if (bad === value) continue;
        add(`out of range: ${keyOf(path)} = ${bad}`, mutated(path, bad), [keyOf(path)]);
      }
      break;
    }
  });
  for (const path of [
    ['competitions', 0, 'competition'],
    ['competitions', 0, 'seasons', 0],
    ['competitions', 0, 'standings', 'adjustments', 0, 'team'],
  ] as Path[]) {
    for (const bad of [-1, 1.5, '', '   ']) {
      add(`not an upstream id: ${keyOf(path)} = ${JSON.stringify(bad)}`, mutated(path, bad), [keyOf(path)]);
    }
  }

  // 5. URLs of the wrong kind, or not URLs.
  for (const [key, values] of Object.entries(BAD_URLS)) {
    const path = pathOf(key);
    for (const bad of values) add(`bad URL: ${key} = ${JSON.stringify(bad)}`, mutated(path, bad), [key]);
  }

  // 6. Schedules and time zones.
  for (const path of SCHEDULE_KEYS) {
    for (const bad of BAD_SCHEDULES) {
      add(`bad schedule: ${keyOf(path)} = ${JSON.stringify(bad)}`, mutated(path, bad), [keyOf(path)]);
    }
  }
  for (const path of TIME_ZONE_KEYS) {
    for (const bad of BAD_TIME_ZONES) {
      add(`bad time zone: ${keyOf(path)} = ${JSON.stringify(bad)}`, mutated(path, bad), [keyOf(path)]);
    }
  }

  // 7. Values outside an enumeration, names breaking their pattern.
  for (const { path, values } of BAD_ENUMS) {
    for (const bad of values) {
      add(`not allowed: ${keyOf(path)} = ${JSON.stringify(bad)}`, mutated(path, bad), [keyOf(path)]);
    }
  }
  add(
    'bad source name',
    withEdits((config) => {
      const sources = config.sources as { [key: string]: Json };
      sources['Sofa Score'] = sources.sofascore as Json;
      delete sources.sofascore;
    }),
    ['sources.Sofa Score', 'competitions[0].source'],
  );
  add('bad rating pool name', mutated(['ratingPools', 'Football!'], { preset: 'football' }), ['ratingPools.Football!']);
  add('unknown quality check in severity', mutated(['quality', 'severity', 'completeness.everything'], 'warn'), [
    'quality.severity.completeness.everything',
  ]);

  // 8. Rules across keys.
  add('competition names an unknown source', mutated(['competitions', 0, 'source'], 'espn'), [
    'competitions[0].source',
  ]);
  add('competition names an unknown rating pool', mutated(['competitions', 1, 'ratingPool'], 'hockey'), [
    'competitions[1].ratingPool',
  ]);
  add('duplicate competition id', mutated(['competitions', 1, 'id'], 'demo-league'), ['competitions[1].id']);
  add('football-data source without a token', mutated(['sources', 'football-data', 'credentials'], {}), [
    'sources.football-data.credentials.token',
  ]);
  add('empty token', mutated(['sources', 'football-data', 'credentials', 'token'], ''), [
    'sources.football-data.credentials.token',
  ]);
  add(
    'dashboard beyond loopback without auth',
    withEdits((config) => {
      const dashboard = config.dashboard as { [key: string]: Json };
      dashboard.host = '0.0.0.0';
      dashboard.auth = {};
    }),
    ['dashboard.auth'],
  );
  add('dashboard token too short', mutated(['dashboard', 'auth', 'token'], 'short'), ['dashboard.auth.token']);
  add('dashboard password too short', mutated(['dashboard', 'auth', 'basic', 'password'], 'pw'), [
    'dashboard.auth.basic.password',
  ]);
  add('retry.maxBackoffMs below backoffMs', mutated(['sources', 'sofascore', 'retry', 'maxBackoffMs'], 500), [
    'sources.sofascore.retry.maxBackoffMs',
  ]);
  add('K schedule infinite at 0 games', mutated(['ratingPools', 'tennis', 'k'], { a: 250, b: 0, c: 0.4 }), [
    'ratingPools.tennis.k.b',
  ]);
  add('no seasons', mutated(['competitions', 0, 'seasons'], []), ['competitions[0].seasons']);
  add('no tiebreakers', mutated(['competitions', 0, 'standings', 'tiebreakers'], []), [
    'competitions[0].standings.tiebreakers',
  ]);
  add('repeated tiebreaker', mutated(['competitions', 0, 'standings', 'tiebreakers'], ['points', 'points']), [
    'competitions[0].standings.tiebreakers',
  ]);
  add(
    'season override key without a season',
    mutated(['ratingPools', 'football', 'seasonRegression', 'overrides'], {
      'team-1': 1500,
    }),
    ['ratingPools.football.seasonRegression.overrides.team-1'],
  );
  add('renamed key alerts.failuresLog', mutated(['alerts', 'failuresLog'], './failures.log'), ['alerts.failuresLog']);
  add('margin of victory of an unknown kind', mutated(['ratingPools', 'football', 'mov'], { kind: 'elo-538' }), [
    'ratingPools.football.mov.kind',
  ]);
  add(
    'margin of victory with keys of another kind',
    mutated(['ratingPools', 'football', 'mov'], { kind: 'none', a: 2.2 }),
    ['ratingPools.football.mov.a'],
  );

  // 9. Numbers YAML can write and JSON cannot: infinities, NaN, overflow.
  const yaml = JSON.stringify(base, null, 2);
  for (const [key, literal] of [
    ['poolSize', '.inf'],
    ['maxConcurrent', '.nan'],
    ['port', '1e400'],
    ['backfillShare', '-.inf'],
  ] as const) {
    const text = yaml.replace(new RegExp(`"${key}": [^,\\n]+`), `"${key}": ${literal}`);
    const path = findKey(base, key);
    add(`non-finite number: ${keyOf(path)} = ${literal}`, text, [keyOf(path)]);
  }

  // 10. Environment overrides (each names its variable as the origin).
  const text = JSON.stringify(base, null, 2);
  const env = (variable: string, value: string, keys: string[]) =>
    add(`env ${variable}=${value}`, text, keys, { env: { [variable]: value }, mentions: `[from env ${variable}]` });
  env('MATCHFLOW_DASHBOARD__PORT', 'eighty', ['dashboard.port']);
  env('MATCHFLOW_LOG_LEVEL', 'loud', ['logLevel']);
  env('MATCHFLOW_WORKERS__CONCURRENCY__INGEST', '-1', ['workers.concurrency.ingest']);
  env('MATCHFLOW_RETENTION__SNAPSHOTS_KEEP', '1.5', ['retention.snapshotsKeep']);
  env('MATCHFLOW_DASHBOARD__READ_ONLY', 'yes', ['dashboard.readOnly']);
  env('MATCHFLOW_COMPETITIONS__0__SEASONS', '[]', ['competitions[0].seasons']);
  env('MATCHFLOW_SOURCES__SOFASCORE__BASE_URL', 'ftp://x', ['sources.sofascore.baseUrl']);
  env('MATCHFLOW_NO_SUCH_SETTING', '1', ['noSuchSetting']);
  env('REDIS_URL', 'http://127.0.0.1:6379', ['redis.url']);
  env('DATABASE_URL', 'mysql://127.0.0.1/matchflow', ['database.url']);
  env('MATCHFLOW_REDIS__URL__HOST', 'x', ['redis.url.host']);
  // Setting competitions[3] leaves a hole at [2]: both are reported, not a crash.
  add('env override past the end of a list', text, ['competitions[2]', 'competitions[3].source'], {
    env: { MATCHFLOW_COMPETITIONS__3__ID: 'cup' },
  });
  add('env override with an empty key segment', text, ['(config)'], {
    env: { MATCHFLOW_REDIS____URL: 'redis://x' },
    mentions: 'MATCHFLOW_REDIS____URL',
  });
  const unset = ['$', '{FD_TOKEN}'].join('');
  add(
    'an interpolation of an unset variable',
    mutated(['sources', 'football-data', 'credentials', 'token'], unset),
    ['sources.football-data.credentials.token'],
    { mentions: 'FD_TOKEN' },
  );

  // 11. Files that are not YAML mappings at all.
  add('YAML syntax error', 'env: dev\nredis: { url: "redis://127.0.0.1:6379"\nlogLevel: info\n', ['(config)'], {
    mentions: 'line ',
  });
  add('duplicate key', 'env: dev\nlogLevel: info\nenv: prod\n', ['(config)'], { mentions: 'line 3' });
  add('a list at the top level', '- env: dev\n- logLevel: info\n', ['(config)']);
  add('a scalar at the top level', 'just some text\n', ['(config)']);
  add('tab indentation', 'redis:\n\turl: redis://127.0.0.1:6379\n', ['(config)'], { mentions: 'line 2' });
  add('prototype key', 'sources:\n  __proto__: { kind: sofascore, baseUrl: "http://127.0.0.1" }\n', [
    'sources.__proto__',
  ]);
  add('prototype key at the top level', '__proto__: { env: dev }\n', ['__proto__']);
  add('prototype key as a rating pool', 'ratingPools:\n  __proto__: 5\n', ['ratingPools.__proto__']);
  add('constructor as a top-level key', 'constructor: 1\n', ['constructor']);

  return cases;
}

function pathOf(key: string): Path {
  return key.split('.').flatMap((part) => {
    const indexed = /^(.+)\[(\d+)\]$/.exec(part);
    return indexed ? [indexed[1] as string, Number(indexed[2])] : [part];
  });
}

/** The path of the first key of this name in the base, depth first. */
function findKey(root: Json, key: string): Path {
  let found: Path | undefined;
  walk(root, [], (path) => {
    if (!found && path[path.length - 1] === key) found = path;
  });
  if (!found) throw new Error(`no key ${key} in the base config`);
  return found;
}
