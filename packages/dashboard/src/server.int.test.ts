import { mkdtemp, rm } from 'node:fs/promises';
import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type Config, loadConfig } from '@matchflow/config';
import { ops } from '@matchflow/db';
import { createTestDatabase, type TestDatabase, testBackends } from '@matchflow/db/testing';
import { FleetBreaker, SourceStats } from '@matchflow/sources';
import { createLogger } from '@matchflow/telemetry';
import { testRedis } from '@matchflow/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardAuthError } from './auth.js';
import { createDashboardServer, type DashboardServer } from './server.js';

/*
 * The dashboard over real HTTP, a real database (PGlite, and PostgreSQL when TEST_DATABASE_URL
 * is set) holding ops rows written here, and real Redis under a prefix of the test's own:
 * auth beyond loopback, /metrics as Prometheus text, /readyz, and the ops page.
 */

const serverUrl = process.env.TEST_DATABASE_URL;
const logger = createLogger({ service: 'test', level: 'silent' });
const TOKEN = 'dashboard-test-token-0123456789';
const BASIC = { username: 'ops', password: 'correct horse battery' };
const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const minutesAgo = (minutes: number) => new Date(NOW - minutes * 60_000);
const HOSTILE = '<script>alert("owned")</script>';

function configFor(prefix: string, publishDir: string, settings: Record<string, unknown> = {}): Config {
  return loadConfig(
    {},
    JSON.stringify({
      publishDir,
      redis: { prefix },
      sources: { sofascore: { kind: 'sofascore', baseUrl: 'http://127.0.0.1:9' } },
      ratingPools: { football: {} },
      competitions: [
        { id: 'demo-league', source: 'sofascore', competition: 1001, seasons: [50001], ratingPool: 'football' },
        { id: 'demo-cup', source: 'sofascore', competition: 1002, seasons: [50011], ratingPool: 'football' },
        { id: 'never-run', source: 'sofascore', competition: 1003, seasons: [1], ratingPool: 'football' },
      ],
      ...settings,
    }),
  );
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Ops rows of three runs: one ok with every stage, one failed at build, one rebuild. */
async function seed(database: TestDatabase): Promise<void> {
  const scope = (competitionId: string, season: string, competition: string) => ({
    source: 'sofascore',
    competitionId,
    competition,
    season,
  });
  await database.db.insert(ops.pipelineRuns).values([
    {
      runId: 'run-ok-1',
      trigger: 'cli',
      scope: scope('demo-league', '50001', '1001'),
      env: 'dev',
      status: 'ok',
      startedAt: minutesAgo(30),
      finishedAt: minutesAgo(20),
      counters: { matches: 3 },
    },
    {
      runId: 'run-failed-2',
      trigger: 'schedule',
      scope: scope('demo-cup', '50011', '1002'),
      env: 'dev',
      status: 'failed',
      failedStage: 'build',
      startedAt: minutesAgo(15),
      finishedAt: minutesAgo(14),
      error: HOSTILE,
    },
    {
      runId: 'run-rebuild-3',
      trigger: 'rebuild',
      scope: scope('demo-cup', '50011', '1002'),
      env: 'dev',
      status: 'ok',
      startedAt: minutesAgo(10),
      finishedAt: minutesAgo(9),
    },
  ]);
  const stage = (stageName: string, key: string, from: number, to: number, status: 'ok' | 'failed' = 'ok') => ({
    runId: 'run-ok-1',
    stage: stageName,
    scopeKey: key,
    status,
    startedAt: minutesAgo(from),
    finishedAt: minutesAgo(to),
    durationMs: Math.round((from - to) * 60_000),
    counters: stageName === 'ingest' ? { requests: 4 } : {},
  });
  await database.db
    .insert(ops.stageRuns)
    .values([
      stage('discover', 'demo-league.50001', 30, 29),
      stage('ingest', 'm1', 29, 27),
      stage('ingest', 'm2', 29, 26),
      stage('ingest', 'm3', 29, 28, 'failed'),
      stage('ratings', 'football', 26, 25),
      stage('build', 'demo-league.50001', 25, 21),
      stage('publish', 'demo-league.50001', 21, 20),
    ]);
  await database.db.insert(ops.qualityResults).values([
    {
      runId: 'run-ok-1',
      check: 'row_counts',
      scope: 'demo-league.50001',
      severity: 'fail',
      status: 'pass',
      observed: 3,
      threshold: 1,
      checkedAt: minutesAgo(21),
    },
    {
      runId: 'run-ok-1',
      check: 'freshness',
      scope: 'never-run',
      severity: 'warn',
      status: 'warn',
      observed: -1,
      threshold: 26,
      checkedAt: minutesAgo(21),
    },
    {
      runId: 'run-ok-1',
      check: 'completeness.lineups',
      scope: `cup ${HOSTILE}`,
      severity: 'warn',
      status: 'warn',
      observed: 0.5,
      threshold: 0.9,
      checkedAt: minutesAgo(21),
    },
  ]);
  await database.db.insert(ops.snapshots).values({
    version: '20260301T114000.000Z-0123abcd',
    runId: 'run-ok-1',
    createdAt: minutesAgo(20),
    contentHash: '0123abcd'.repeat(8),
    rowCounts: { competitions: 1, matches: 3 },
    qualityScore: 0.75,
    manifest: { quality: { score: 0.75, checks: 3, passed: 1, warned: 2, failed: 0 } },
    latest: true,
    latestSince: minutesAgo(20),
  });
}

/** A minimal reader of the Prometheus text format that rejects anything malformed. */
function parsePrometheus(text: string) {
  const types = new Map<string, string>();
  const samples: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ([^ ]+)$/;
  const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/gy;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      expect(['counter', 'gauge', 'histogram', 'summary', 'untyped'], line).toContain(type);
      types.set(name as string, type as string);
      continue;
    }
    const match = sample.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    const body = match[2] ?? '';
    label.lastIndex = 0;
    let consumed = 0;
    for (let found = label.exec(body); found; found = label.exec(body)) {
      labels[found[1] as string] = (found[2] as string).replace(/\\(.)/g, (_, char: string) =>
        char === 'n' ? '\n' : char,
      );
      consumed = label.lastIndex;
    }
    if (consumed !== body.length) throw new Error(`malformed labels: ${line}`);
    const raw = match[3] as string;
    const value = raw === '+Inf' ? Number.POSITIVE_INFINITY : raw === '-Inf' ? Number.NEGATIVE_INFINITY : Number(raw);
    if (Number.isNaN(value) && raw !== 'NaN') throw new Error(`bad value: ${line}`);
    samples.push({ name: match[1] as string, labels, value });
  }
  const find = (name: string, labels: Record<string, string> = {}) =>
    samples.filter(
      (entry) => entry.name === name && Object.entries(labels).every(([key, value]) => entry.labels[key] === value),
    );
  return { types, samples, find };
}

describe.each(testBackends(process.env))('the dashboard on %s', (backend) => {
  let database: TestDatabase;
  let publishDir: string;
  const redis = testRedis(undefined, `dashboard-${backend}`);
  const servers: DashboardServer[] = [];
  let open: DashboardServer;

  beforeAll(async () => {
    database = await createTestDatabase(backend, { serverUrl, label: 'dashboard' });
    publishDir = await mkdtemp(path.join(tmpdir(), 'matchflow-dashboard-ops-'));
    await seed(database);
    const connection = redis.connect();
    const stats = new SourceStats({ redis: connection, prefix: redis.prefix, source: 'sofascore' });
    stats.request(200);
    stats.request(200);
    stats.request(429);
    stats.wait('budget', 1_500);
    const breaker = new FleetBreaker({
      redis: connection,
      prefix: redis.prefix,
      source: 'sofascore',
      settings: {
        consecutiveFailures: 3,
        failureRate: 0.5,
        windowRequests: 20,
        cooldownMs: 1_000,
        blockedCooldownMs: 600_000,
      },
    });
    await breaker.trip('blocked');
    open = await createDashboardServer({
      config: configFor(redis.prefix, publishDir),
      logger,
      db: database.db,
      port: 0,
      now: () => NOW,
    });
    servers.push(open);
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    await database?.dispose();
    await redis.cleanup();
    if (publishDir) await rm(publishDir, { recursive: true, force: true });
  });

  it('refuses to start beyond loopback without credentials', async () => {
    const config = configFor(redis.prefix, publishDir);
    // The config check refuses this too; the server checks again for callers that build a config by hand.
    const exposed = { ...config, dashboard: { ...config.dashboard, host: '0.0.0.0' } };
    await expect(createDashboardServer({ config: exposed, logger, db: database.db, port: 0 })).rejects.toThrow(
      DashboardAuthError,
    );
  });

  it('beyond loopback: 401 without credentials on every route but /healthz; bearer and basic both work', async () => {
    const guarded = await createDashboardServer({
      config: configFor(redis.prefix, publishDir, {
        dashboard: { host: '0.0.0.0', auth: { token: TOKEN, basic: BASIC } },
      }),
      logger,
      db: database.db,
      port: 0,
    });
    servers.push(guarded);
    expect(guarded.authRequired).toBe(true);
    const base = `http://127.0.0.1:${guarded.port}`;
    for (const route of [
      '/',
      '/queues',
      '/queues/api/queues',
      '/metrics',
      '/readyz',
      '/api/snapshot',
      '/api/openapi.json',
    ]) {
      const denied = await fetch(`${base}${route}`);
      expect(denied.status, route).toBe(401);
      expect(denied.headers.get('www-authenticate'), route).toContain('Basic realm="matchflow"');
      const wrong = await fetch(`${base}${route}`, { headers: { authorization: `Bearer ${TOKEN}-not` } });
      expect(wrong.status, route).toBe(401);
    }
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const bearer = await fetch(`${base}/`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(bearer.status).toBe(200);
    expect(await bearer.text()).toContain('run-ok-1');
    const basic = `Basic ${Buffer.from(`${BASIC.username}:${BASIC.password}`).toString('base64')}`;
    const board = await fetch(`${base}/queues`, { headers: { authorization: basic } });
    expect(board.status).toBe(200);
    expect(await board.text()).toContain('<title>matchflow queues</title>');
    expect((await fetch(`${base}/metrics`, { headers: { authorization: basic } })).status).toBe(200);
  });

  it('/metrics parses as Prometheus text and carries every named series', async () => {
    const response = await fetch(`${open.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const metrics = parsePrometheus(await response.text());

    expect(metrics.find('matchflow_dashboard_dependency_up', { dependency: 'redis' })[0]?.value).toBe(1);
    expect(metrics.find('matchflow_dashboard_dependency_up', { dependency: 'database' })[0]?.value).toBe(1);
    for (const queue of ['discover', 'ingest', 'ratings', 'build', 'maintenance']) {
      expect(metrics.find('matchflow_queue_depth', { queue, state: 'waiting' }), queue).toHaveLength(1);
    }
    expect(metrics.types.get('matchflow_job_duration_seconds')).toBe('histogram');
    expect(metrics.find('matchflow_job_duration_seconds_count', { queue: 'ingest', stage: 'ingest' })[0]?.value).toBe(
      3,
    );
    expect(metrics.find('matchflow_job_duration_seconds_count', { queue: 'build', stage: 'publish' })[0]?.value).toBe(
      1,
    );
    // The build took 4 minutes: not in the 2-minute bucket, in the 5-minute one.
    expect(metrics.find('matchflow_job_duration_seconds_bucket', { stage: 'build', le: '120' })[0]?.value).toBe(0);
    expect(metrics.find('matchflow_job_duration_seconds_bucket', { stage: 'build', le: '300' })[0]?.value).toBe(1);

    expect(metrics.types.get('matchflow_upstream_requests_total')).toBe('counter');
    expect(metrics.find('matchflow_upstream_requests_total', { source: 'sofascore', status: '200' })[0]?.value).toBe(2);
    expect(metrics.find('matchflow_upstream_requests_total', { source: 'sofascore', status: '429' })[0]?.value).toBe(1);
    expect(metrics.find('matchflow_rate_limit_waits_total', { source: 'sofascore', reason: 'budget' })[0]?.value).toBe(
      1,
    );
    expect(
      metrics.find('matchflow_rate_limit_wait_seconds_total', { source: 'sofascore', reason: 'budget' })[0]?.value,
    ).toBe(1.5);
    expect(metrics.find('matchflow_breaker_state', { source: 'sofascore' })[0]?.value).toBe(2);
    expect(metrics.find('matchflow_limiter_requests_per_interval', { source: 'sofascore' })).toHaveLength(1);

    expect(metrics.find('matchflow_runs', { status: 'ok' })[0]?.value).toBe(2);
    expect(metrics.find('matchflow_runs', { status: 'failed' })[0]?.value).toBe(1);
    // demo-league's last run that fetched finished 20 minutes ago; demo-cup's only success was a
    // rebuild, which fetches nothing; never-run never ran.
    expect(metrics.find('matchflow_freshness_age_seconds', { competition: 'demo-league' })[0]?.value).toBe(1_200);
    expect(metrics.find('matchflow_freshness_age_seconds', { competition: 'demo-cup' })[0]?.value).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(metrics.find('matchflow_freshness_age_seconds', { competition: 'never-run' })[0]?.value).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(metrics.find('matchflow_freshness_max_age_seconds')[0]?.value).toBe(26 * 3_600);
    expect(metrics.find('matchflow_snapshot_age_seconds')[0]?.value).toBe(1_200);
    expect(metrics.find('matchflow_snapshot_latest_info', { version: '20260301T114000.000Z-0123abcd' })[0]?.value).toBe(
      1,
    );
    expect(metrics.find('matchflow_snapshot_quality_score')[0]?.value).toBe(0.75);

    // A second scrape does not count the same stage rows again.
    const again = parsePrometheus(await (await fetch(`${open.url}/metrics`)).text());
    expect(again.find('matchflow_job_duration_seconds_count', { stage: 'ingest' })[0]?.value).toBe(3);
  });

  it('/readyz: 200 when Redis and the database answer, 503 naming Redis when it does not', async () => {
    const ready = await fetch(`${open.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      checks: { redis: { ok: true }, database: { ok: true } },
    });

    const config = configFor(redis.prefix, publishDir);
    const noRedis = await createDashboardServer({
      config: { ...config, redis: { ...config.redis, url: `redis://127.0.0.1:${await closedPort()}` } },
      logger,
      db: database.db,
      port: 0,
    });
    servers.push(noRedis);
    const unready = await fetch(`${noRedis.url}/readyz`);
    expect(unready.status).toBe(503);
    expect(await unready.json()).toMatchObject({
      status: 'unready',
      checks: { redis: { ok: false, error: expect.any(String) }, database: { ok: true } },
    });
    expect((await fetch(`${noRedis.url}/healthz`)).status).toBe(200);
    // /metrics still answers, saying what it could not read.
    const metrics = parsePrometheus(await (await fetch(`${noRedis.url}/metrics`)).text());
    expect(metrics.find('matchflow_dashboard_dependency_up', { dependency: 'redis' })[0]?.value).toBe(0);
    expect(metrics.find('matchflow_runs', { status: 'ok' })[0]?.value).toBe(2);
    // ... and so does the ops page, with the Redis sections marked unavailable.
    const page = await (await fetch(`${noRedis.url}/`)).text();
    expect(page).toContain('run-ok-1');
    expect(page).toMatch(/<section id="sources"><h2>Sources<\/h2><p class="error">unavailable: /);
  });

  it('the ops page shows runs with their stage timeline, freshness, sources, the snapshot and quality, escaped', async () => {
    const response = await fetch(`${open.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const page = await response.text();
    for (const id of ['runs', 'freshness', 'snapshot', 'sources', 'queues', 'quality', 'stages']) {
      expect(page, id).toContain(`<section id="${id}">`);
    }
    // Newest first; every stage of the ok run, ingest folded into one line.
    expect(page.indexOf('run-rebuild-3')).toBeLessThan(page.indexOf('run-failed-2'));
    expect(page.indexOf('run-failed-2')).toBeLessThan(page.indexOf('run-ok-1'));
    const okRun = page.slice(page.indexOf('<li class="run" id="run-ok-1"'));
    const okRunItem = okRun.slice(0, okRun.indexOf('</li>'));
    expect(okRunItem).toContain('<span class="badge good">ok</span>');
    const stages = [...okRunItem.matchAll(/<span class="stage-name">([^<]+)<\/span>/g)].map((match) => match[1]);
    expect(stages).toEqual(['discover', 'ingest ×3', 'ratings', 'build', 'publish']);
    expect(okRunItem).toContain('1 failed');
    expect(okRunItem).toContain('3 matches');
    expect(okRunItem).toContain('12 requests');
    // Text from the database is escaped, never markup.
    expect(page).not.toContain(HOSTILE);
    expect(page).toContain('&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;');
    expect(page).toContain('failed at <strong>build</strong>');
    // Freshness: demo-league fresh (20 min), demo-cup stale (only a rebuild), never-run never.
    const freshness = page.slice(page.indexOf('<section id="freshness">'), page.indexOf('<section id="snapshot">'));
    expect(freshness).toMatch(/demo-league<\/td>[\s\S]*?20 min 0 s[\s\S]*?badge good">fresh/);
    expect(freshness).toMatch(/demo-cup<\/td>[\s\S]*?never[\s\S]*?badge bad">stale/);
    // The breaker tripped by a 403 above; the snapshot; the quality problems of the last run.
    expect(page).toMatch(
      /sofascore <span class="muted small">sofascore<\/span><\/td>\s*<td><span class="badge bad">open<\/span> <span class="small muted">blocked<\/span>/,
    );
    expect(page).toContain('200: 2, 429: 1');
    expect(page).toContain('<code>20260301T114000.000Z-0123abcd</code>');
    expect(page).toContain('0.750 (1 passed, 2 warned, 0 failed of 3)');
    expect(page).toContain('completeness.lineups');
    expect(page).toContain('cup &lt;script&gt;');
    for (const link of ['/queues', '/api/snapshot', '/api/openapi.json', '/metrics']) {
      expect(page).toContain(`href="${link}"`);
    }
  });

  it('gzips an HTML page for a client that takes it, and only then', async () => {
    const raw = (acceptEncoding: string | undefined) =>
      new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        const { hostname, port } = new URL(open.url);
        httpGet(
          { hostname, port, path: '/', headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          },
        ).on('error', reject);
      });
    const plain = await raw(undefined);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('accept-encoding');
    const zipped = await raw('gzip, deflate, br');
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(Number(zipped.headers['content-length'])).toBe(zipped.body.length);
    expect(zipped.body.length).toBeLessThan(plain.body.length / 3);
    expect(gunzipSync(zipped.body).toString('utf8').slice(0, 200)).toBe(plain.body.toString('utf8').slice(0, 200));
    expect((await raw('gzip;q=0, identity'))?.headers['content-encoding']).toBeUndefined();
    // JSON (with ETags naming its bytes) goes as it is.
    expect(
      (
        await new Promise<IncomingHttpHeaders>((resolve, reject) => {
          const { hostname, port } = new URL(open.url);
          httpGet({ hostname, port, path: '/healthz', headers: { 'accept-encoding': 'gzip' } }, (res) => {
            res.resume();
            resolve(res.headers);
          }).on('error', reject);
        })
      )['content-encoding'],
    ).toBeUndefined();
  });
});
