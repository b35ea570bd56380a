import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appRoutes } from '@bull-board/api/dist/routes.js';
import { type Config, loadConfig } from '@matchflow/config';
import {
  createDashboardServer,
  DashboardAuthError,
  type DashboardServer,
  dashboardEndpoints,
  OPEN_PATHS,
} from '@matchflow/dashboard';
import { createTestDatabase, type TestDatabase } from '@matchflow/db/testing';
import { createLogger } from '@matchflow/telemetry';
import { testRedis } from '@matchflow/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * Every route the dashboard serves, walked from the server's own route table (`routes`,
 * `mounts`) and Bull Board's (`appRoutes`, its static files): with credentials configured, each
 * protected route answers 401 with a challenge without credentials or with wrong ones, and with
 * the right bearer token or basic credentials exactly what a server without auth answers. A
 * route added to the server shows up here without anyone listing it. The only public route is
 * /healthz (PUBLIC below; docs/security.md says why).
 */

/** Routes that answer without credentials, on purpose: liveness probes cannot carry secrets. */
const PUBLIC = ['/healthz'];

const TOKEN = 's3cr3t-dashboard-token-0123456789';
const BASIC = { username: 'ops', password: 's3cr3t-basic-password' };
const basicHeader = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
const RIGHT = { bearer: `Bearer ${TOKEN}`, basic: basicHeader(BASIC.username, BASIC.password) };
const WRONG: Record<string, string> = {
  'bearer, one character more': `Bearer ${TOKEN}x`,
  'bearer, one character less': `Bearer ${TOKEN.slice(0, -1)}`,
  'bearer, empty': 'Bearer ',
  'basic, wrong password': basicHeader(BASIC.username, `${BASIC.password}x`),
  'basic, wrong user': basicHeader('admin', BASIC.password),
  'basic, the token as password': basicHeader(BASIC.username, TOKEN),
  'basic, not base64': `Basic ${BASIC.username}:${BASIC.password}`,
  'bearer, the basic password': `Bearer ${BASIC.password}`,
  'the token without a scheme': TOKEN,
  'another scheme': `Digest ${TOKEN}`,
};

const serverUrl = process.env.TEST_DATABASE_URL;
const logger = createLogger({ service: 'test', level: 'silent' });
const STATIC_DIR = path.join(
  path.dirname(fileURLToPath(import.meta.resolve('@bull-board/ui/package.json'))),
  'dist',
  'static',
);

interface Probe {
  method: string;
  path: string;
}

/** `/api/seasons/{seasonId}/standings` -> `/api/seasons/sample/standings`; Bull Board's `:queueName` too. */
function concrete(template: string): string {
  return template
    .replace(/\{[^}]+\}/g, 'sample')
    .replace(/:queueName/g, 'no-such-queue')
    .replace(/:[a-zA-Z]+/g, 'x');
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(path.join(dir, entry.name)).map((file) => `${entry.name}/${file}`) : [entry.name],
  );
}

/** A raw request (fetch would normalise `..` and `//` away before they reach the server). */
function raw(port: number, method: string, target: string, authorization?: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path: target, headers: authorization ? { authorization } : {} },
      (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += String(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(method === 'GET' || method === 'HEAD' ? undefined : '{}');
  });
}

function configFor(prefix: string, publishDir: string, dashboard: Record<string, unknown>): Config {
  return loadConfig(
    {},
    JSON.stringify({
      publishDir,
      redis: { prefix },
      sources: { sofascore: { kind: 'sofascore', baseUrl: 'http://127.0.0.1:9' } },
      ratingPools: { football: {} },
      competitions: [
        { id: 'demo-cup', source: 'sofascore', competition: 1002, seasons: [50011], ratingPool: 'football' },
      ],
      dashboard,
    }),
  );
}

describe('dashboard auth on every route', () => {
  const redis = testRedis(undefined, 'security-auth');
  let database: TestDatabase;
  let publishDir: string;
  let guarded: DashboardServer;
  let open: DashboardServer;
  let probes: Probe[];

  beforeAll(async () => {
    database = await createTestDatabase(serverUrl ? 'postgres' : 'pglite', { serverUrl, label: 'security_auth' });
    publishDir = await mkdtemp(path.join(tmpdir(), 'matchflow-security-auth-'));
    // Configured for 0.0.0.0 (beyond loopback: credentials required), listening on loopback for the test.
    guarded = await createDashboardServer({
      config: configFor(redis.prefix, publishDir, { host: '0.0.0.0', auth: { token: TOKEN, basic: BASIC } }),
      logger,
      db: database.db,
      host: '127.0.0.1',
      port: 0,
    });
    open = await createDashboardServer({
      config: configFor(redis.prefix, publishDir, {}),
      logger,
      db: database.db,
      port: 0,
    });

    const own = guarded.routes.flatMap((route) => [
      route,
      ...(route.method === 'GET' ? [{ ...route, method: 'HEAD' }] : []),
    ]);
    const board = guarded.mounts.flatMap((mount) => [
      { method: 'GET', path: mount },
      ...[appRoutes.entryPoint, ...appRoutes.api].flatMap((route) =>
        [route.method]
          .flat()
          .flatMap((method) =>
            [route.route].flat().map((each) => ({ method: method.toUpperCase(), path: `${mount}${each}` })),
          ),
      ),
      ...filesUnder(STATIC_DIR).map((file) => ({ method: 'GET', path: `${mount}/static/${file}` })),
    ]);
    probes = [...own, ...board].map((probe) => ({ method: probe.method, path: concrete(probe.path) }));
  });
  afterAll(async () => {
    await guarded?.close();
    await open?.close();
    await database?.dispose();
    await redis.cleanup();
    if (publishDir) await rm(publishDir, { recursive: true, force: true });
  });

  it('the route table holds every documented route, and only /healthz is public', () => {
    const paths = guarded.routes.map((route) => route.path);
    for (const documented of ['/', '/metrics', '/readyz', '/healthz', '/api/snapshot', '/api/openapi.json']) {
      expect(paths).toContain(documented);
    }
    // Every consumer endpoint the OpenAPI document describes is served (and so walked below).
    for (const endpoint of dashboardEndpoints(undefined as never)) expect(paths).toContain(endpoint.path);
    expect(guarded.mounts).toEqual(['/queues']);
    expect([...OPEN_PATHS]).toEqual(PUBLIC);
    expect(guarded.authRequired).toBe(true);
    expect(open.authRequired).toBe(false);
    // Bull Board's API, mutations included, and its assets are part of the walk.
    expect(probes.filter((probe) => probe.path.startsWith('/queues/api/')).length).toBeGreaterThan(30);
    expect(probes.some((probe) => probe.method === 'PUT' && probe.path.endsWith('/obliterate'))).toBe(true);
    expect(probes.filter((probe) => probe.path.startsWith('/queues/static/')).length).toBeGreaterThan(10);
  });

  it('401 with a challenge on every protected route without credentials or with wrong ones', async () => {
    let checked = 0;
    for (const probe of probes) {
      if (PUBLIC.includes(probe.path)) continue;
      for (const [what, authorization] of [['none', undefined], ...Object.entries(WRONG)] as const) {
        const answer = await raw(guarded.port, probe.method, probe.path, authorization);
        const label = `${probe.method} ${probe.path} (${what})`;
        expect(answer.status, label).toBe(401);
        expect(answer.headers['www-authenticate'], label).toBe(
          'Basic realm="matchflow", charset="UTF-8", Bearer realm="matchflow"',
        );
        expect(answer.headers['cache-control'], label).toBe('no-store');
        // A refusal says nothing about what was sent.
        if (probe.method !== 'HEAD') expect(answer.body, label).not.toMatch(/s3cr3t|ops:/);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(1_000);
  });

  it('with the right bearer token or basic credentials, every route answers as without auth', async () => {
    for (const probe of probes) {
      // Mutations go to a queue that does not exist; the pause/resume of all queues stays in the test's prefix.
      const expected = await raw(open.port, probe.method, probe.path);
      for (const [what, authorization] of Object.entries(RIGHT)) {
        const answer = await raw(guarded.port, probe.method, probe.path, authorization);
        expect(answer.status, `${probe.method} ${probe.path} (${what})`).toBe(expected.status);
        expect(answer.status, `${probe.method} ${probe.path} (${what})`).not.toBe(401);
      }
    }
    for (const route of ['/', '/metrics', '/readyz', '/api/openapi.json', '/queues', '/queues/api/queues']) {
      expect((await raw(guarded.port, 'GET', route, RIGHT.bearer)).status, route).toBe(200);
      expect((await raw(guarded.port, 'GET', route, RIGHT.basic)).status, route).toBe(200);
    }
    const staticFile = probes.find((probe) => probe.path.endsWith('/favicon.ico'));
    expect((await raw(guarded.port, 'GET', staticFile?.path ?? '', RIGHT.basic)).status).toBe(200);
  });

  it('/healthz answers without credentials; nothing that only looks like it does', async () => {
    expect((await raw(guarded.port, 'GET', '/healthz')).status).toBe(200);
    // Past auth (it takes no query parameters, so 400), whatever the query says.
    expect((await raw(guarded.port, 'GET', '/healthz?probe=1')).status).toBe(400);
    expect((await raw(guarded.port, 'HEAD', '/healthz')).status).toBe(200);
    for (const target of [
      '/healthz/',
      '/HEALTHZ',
      '/%68ealthz',
      '/healthz/../metrics',
      '/healthz%2f..%2fmetrics',
      '//metrics',
      '/./metrics',
      '/queues/../metrics',
      '/queues/..%2f..%2fmetrics',
      '/queues%2fapi%2fqueues',
      '/api/../queues',
      '/nope',
      '/api/nope',
      '/.env',
      '*',
    ]) {
      const answer = await raw(guarded.port, 'GET', target);
      // Unknown paths too: a 404 would tell an anonymous client which routes exist.
      expect(answer.status, target).toBe(401);
    }
  });

  it('refuses to start beyond loopback without credentials, whichever host says so', async () => {
    const config = configFor(redis.prefix, publishDir, {});
    for (const host of ['0.0.0.0', '::', '192.0.2.10']) {
      await expect(
        createDashboardServer({ config: { ...config, dashboard: { ...config.dashboard, host } }, logger, port: 0 }),
      ).rejects.toThrow(DashboardAuthError);
    }
    await expect(createDashboardServer({ config, logger, host: '0.0.0.0', port: 0 })).rejects.toThrow(
      /beyond loopback, but has no credentials/,
    );
    // The config check refuses it first, naming the key (exit 2 in every process).
    expect(() => configFor(redis.prefix, publishDir, { host: '0.0.0.0' })).toThrow(/dashboard\.auth/);
  });

  it('compares secrets in constant time: fixed-length digests through timingSafeEqual, never ===', () => {
    const source = readFileSync(
      fileURLToPath(new URL('../../packages/dashboard/src/auth.ts', import.meta.url)),
      'utf8',
    );
    expect(source).toMatch(/timingSafeEqual\(/);
    expect(source).toMatch(/createHash\('sha256'\)/);
    // Any ===/!== on a credential-bearing name other than against undefined would be a timing leak.
    const comparisons = source.match(
      /(token|password|basic|credentials|digest|Digest)\w*\s*[!=]==\s*(?!undefined\b)\S+/g,
    );
    expect(comparisons ?? []).toEqual([]);
  });
});
