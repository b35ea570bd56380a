import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ops } from '@matchflow/db';
import { createTestDatabase, type TestDatabase } from '@matchflow/db/testing';
import { type ReplayServer, startReplay } from '@matchflow/replay';
import { testRedis } from '@matchflow/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CliResult, runCli } from '../support/run-cli.js';
import { FROM_SOURCE, type NodeProcess, spawnNode } from '../support/spawn-node.js';

/*
 * Secrets never reach a log line, a CLI answer or a file under the data directory. Every kind of
 * credential is configured with a `s3cr3t-` marker (an upstream token sent on every request, one
 * interpolated from the environment, a secret header, the dashboard's token and basic password,
 * a webhook URL with its token in the path and query, and passwords in DATABASE_URL and
 * REDIS_URL, which the trust-auth PostgreSQL and the password-less Redis here accept). Then real
 * processes do real work at log level trace: a worker and the dashboard, `matchflow run --wait`
 * over the replay upstream (some answers 500, so errors are logged), an alert whose webhook
 * fails once and is retried, dashboard requests with right and wrong credentials, and the
 * operator commands (`config print`, `--json`, `config check`, `alerts check`, `runs list`,
 * `health`). Everything they wrote is searched for every marker, raw and encoded.
 */

const serverUrl = process.env.TEST_DATABASE_URL;
if (!serverUrl)
  console.info('[secrets in logs] TEST_DATABASE_URL is not set: skipped (several processes share PostgreSQL)');
const WORKER_MAIN = fileURLToPath(new URL('../../apps/worker/src/main.ts', import.meta.url));
const DASHBOARD_MAIN = fileURLToPath(new URL('../../apps/dashboard/src/main.ts', import.meta.url));

const SECRETS = {
  sofascoreToken: 's3cr3t-sofascore-token-8d1f',
  sourceHeader: 's3cr3t-header-value-77aa',
  footballDataToken: 's3cr3t-football-data-token-c2e9',
  dashboardToken: 's3cr3t-dashboard-token-5b0c9e',
  dashboardPassword: 's3cr3t-basic-password-41f2',
  webhookPath: 's3cr3t-hook-path-e7d3',
  webhookQuery: 's3cr3t-hook-query-0a9b',
  databasePassword: 's3cr3t-pg-password-93c1',
  redisPassword: 's3cr3t-redis-password-6f4d',
};

/** Each secret as it could appear: raw, URL-encoded, and inside basic credentials' base64. */
function forms(): string[] {
  const all = Object.values(SECRETS);
  return [
    ...all,
    ...all.map((secret) => encodeURIComponent(secret)),
    Buffer.from(`ops:${SECRETS.dashboardPassword}`).toString('base64'),
    // Any secret's distinctive tail, in case something truncates or re-encodes the front.
    ...all.map((secret) => secret.slice(-12)),
  ];
}

/** Where any form of any secret appears in the (name, text) pairs, with some context. */
function leaksIn(outputs: ReadonlyArray<[string, string]>): string[] {
  const leaks: string[] = [];
  for (const [where, text] of outputs) {
    for (const secret of forms()) {
      const at = text.indexOf(secret);
      if (at !== -1) leaks.push(`${where}: ${text.slice(Math.max(0, at - 120), at + secret.length + 40)}`);
    }
  }
  return leaks;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

describe.skipIf(!serverUrl)('secrets in logs', () => {
  const redis = testRedis(undefined, 'security-secrets');
  let replay: ReplayServer;
  let database: TestDatabase;
  let workDir: string;
  let env: Record<string, string>;
  let hook: Server;
  let hookUrl: string;
  const hookRequests: string[] = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    // Some upstream answers fail (and are retried), so upstream errors are logged too.
    replay = await startReplay({ port: 0, seed: 7, faults: { errorRate: 0.05, errorStatus: 502 } });
    hook = createServer((request, response) => {
      hookRequests.push(request.url ?? '');
      request.resume();
      // The first delivery fails: the sender logs the failure and retries.
      response.writeHead(hookRequests.length === 1 ? 500 : 200).end('ok');
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;

    database = await createTestDatabase('postgres', { serverUrl, label: 'security_secrets' });
    // A run that failed: the workers' alert loop raises `run-failed` and calls the webhook.
    await database.db.insert(ops.pipelineRuns).values({
      runId: 'run-seeded-failure',
      trigger: 'schedule',
      scope: { source: 'sofascore', competitionId: 'demo-league', competition: '1001', season: '50001' },
      env: 'dev',
      status: 'failed',
      failedStage: 'discover',
      startedAt: new Date(Date.now() - 120_000),
      finishedAt: new Date(Date.now() - 60_000),
      error: 'seeded for the test',
    });
    const databaseUrl = new URL(serverUrl as string);
    databaseUrl.pathname = `/${database.name}`;
    databaseUrl.username = databaseUrl.username || 'postgres';
    databaseUrl.password = SECRETS.databasePassword;

    workDir = mkdtempSync(path.join(tmpdir(), 'matchflow-security-secrets-'));
    const settings = {
      logLevel: 'trace',
      redis: { prefix: redis.prefix },
      sources: {
        sofascore: {
          kind: 'sofascore',
          baseUrl: replay.apiUrl,
          headers: { 'X-Api-Key': SECRETS.sourceHeader },
          credentials: { token: SECRETS.sofascoreToken },
          rateLimit: { requestsPerInterval: 500, intervalMs: 1000, maxConcurrent: 8 },
          retry: { attempts: 6, backoffMs: 20, maxBackoffMs: 100 },
        },
        fd: {
          kind: 'football-data',
          baseUrl: 'https://api.football-data.org/v4',
          credentials: { token: '${FD_TOKEN}' },
        },
      },
      ratingPools: { football: {} },
      competitions: [
        { id: 'demo-cup', source: 'sofascore', competition: 1002, seasons: [50011], ratingPool: 'football' },
        { id: 'demo-league', source: 'sofascore', competition: 1001, seasons: [50001], ratingPool: 'football' },
      ],
      alerts: {
        webhookUrl: `${hookUrl}/services/T000/${SECRETS.webhookPath}?token=${SECRETS.webhookQuery}`,
        attempts: 2,
        backoffMs: 50,
        intervalMs: 500,
      },
      dashboard: { auth: { basic: { username: 'ops', password: SECRETS.dashboardPassword } } },
      workers: { shutdownTimeoutMs: 5_000 },
    };
    writeFileSync(path.join(workDir, 'matchflow.yaml'), JSON.stringify(settings));
    env = {
      DATABASE_URL: databaseUrl.toString(),
      REDIS_URL: `redis://default:${SECRETS.redisPassword}@127.0.0.1:6379`,
      MATCHFLOW_DASHBOARD__AUTH__TOKEN: SECRETS.dashboardToken,
      FD_TOKEN: SECRETS.footballDataToken,
    };
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await replay?.close();
    await new Promise((resolve) => hook?.close(resolve));
    await database?.dispose();
    await redis.cleanup();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  function spawnApp(main: string, extraEnv: Record<string, string> = {}): NodeProcess {
    return spawnNode([...FROM_SOURCE, main], { cwd: workDir, env: { ...env, ...extraEnv }, track: children });
  }

  it('a run with every kind of credential configured leaves none of them in any output or file', async () => {
    const worker = spawnApp(WORKER_MAIN);
    const dashboard = spawnApp(DASHBOARD_MAIN, { MATCHFLOW_DASHBOARD__PORT: '0' });
    const cli = (...args: string[]) => runCli(args, { cwd: workDir, env });

    // Configuration views, while the worker starts.
    const [print, printJson, check] = await Promise.all([
      cli('config', 'print'),
      cli('config', 'print', '--json'),
      cli('config', 'check'),
    ]);
    expect(print.code).toBe(0);
    expect(printJson.code).toBe(0);
    expect(check.code).toBe(0);
    expect(print.stdout).toContain('sources.sofascore.credentials.token: [redacted]');
    expect(print.stdout).toContain('dashboard.auth.basic.password: [redacted]');
    expect(print.stdout).toContain(`alerts.webhookUrl: ${hookUrl}/[redacted]`);
    expect(print.stdout).toContain('database.url: postgres://127.0.0.1:5432/');
    expect(print.stdout).toMatch(/^redis\.url: redis:\/\/127\.0\.0\.1:6379$/m);
    const printed = JSON.parse(printJson.stdout) as { config: { alerts: { webhookUrl: string } } };
    expect(printed.config.alerts.webhookUrl).toBe(`${hookUrl}/[redacted]`);

    const run = await cli('run', '--competition', 'demo-cup', '--season', '50011', '--full', '--wait');
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/demo-cup season 50011: ok · 15 matches/);
    expect(run.code).toBe(0);

    // The dashboard, with right and wrong credentials.
    await vi.waitFor(() => expect(dashboard.output()).toMatch(/"url":"http:\/\/127\.0\.0\.1:\d+"/), {
      timeout: 30_000,
      interval: 100,
    });
    const dashboardUrl = /"url":"(http:\/\/[^"]+)"/.exec(dashboard.output())?.[1] ?? '';
    const basic = `Basic ${Buffer.from(`ops:${SECRETS.dashboardPassword}`).toString('base64')}`;
    for (const [route, authorization] of [
      ['/', `Bearer ${SECRETS.dashboardToken}`],
      ['/metrics', basic],
      ['/api/snapshot', basic],
      ['/queues/api/queues', `Bearer ${SECRETS.dashboardToken}`],
      ['/readyz', `Bearer ${SECRETS.dashboardToken}x`],
    ] as const) {
      const answer = await fetch(`${dashboardUrl}${route}`, { headers: { authorization } });
      expect(answer.status, route).toBe(authorization.endsWith('x') ? 401 : 200);
      expect(await answer.text()).not.toContain('s3cr3t');
    }

    // The alert was delivered to the secret URL, after one failure the worker logged.
    await vi.waitFor(() => expect(hookRequests.length).toBeGreaterThanOrEqual(2), { timeout: 30_000, interval: 100 });
    expect(hookRequests[0]).toBe(`/services/T000/${SECRETS.webhookPath}?token=${SECRETS.webhookQuery}`);
    await vi.waitFor(() => expect(worker.output()).toContain('alert webhook failed: retrying'), {
      timeout: 10_000,
      interval: 100,
    });

    const after: CliResult[] = await Promise.all([cli('alerts', 'check'), cli('runs', 'list'), cli('health')]);
    expect(after[1]?.stdout).toContain('demo-cup');
    expect(after[2]?.code).toBe(0);

    worker.child.kill('SIGTERM');
    dashboard.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(await dashboard.exited).toBe(0);

    // Everything the processes wrote (the config file the test wrote holds the secrets, of course).
    const files = filesUnder(workDir).filter((file) => path.basename(file) !== 'matchflow.yaml');
    const outputs: Array<[string, string]> = [
      ['worker', worker.output()],
      ['dashboard', dashboard.output()],
      ...[print, printJson, check, run, ...after].flatMap(
        (result, index): Array<[string, string]> => [
          [`cli #${index} stdout`, result.stdout],
          [`cli #${index} stderr`, result.stderr],
        ],
      ),
      ...files.map((file): [string, string] => [path.relative(workDir, file), readFileSync(file, 'latin1')]),
    ];
    // What was searched is real: logs at trace from both processes, the alerts log, request logs.
    expect(worker.output()).toContain('"msg":"worker started"');
    expect(worker.output().split('\n').length).toBeGreaterThan(15);
    expect(dashboard.output()).toContain('"msg":"request served"');
    expect(files.some((file) => file.endsWith('alerts.log'))).toBe(true);
    expect(readFileSync(files.find((file) => file.endsWith('alerts.log')) as string, 'utf8')).toContain('run-failed');

    expect(leaksIn(outputs)).toEqual([]);
  }, 120_000);

  it('nor do the errors of a database and Redis that cannot be reached', async () => {
    // Nothing listens on port 1: connection errors, their messages and stacks, are what gets printed.
    const unreachable = {
      ...env,
      DATABASE_URL: `postgres://postgres:${SECRETS.databasePassword}@127.0.0.1:1/nowhere`,
      REDIS_URL: `redis://default:${SECRETS.redisPassword}@127.0.0.1:1`,
    };
    const cli = (...args: string[]) => runCli(args, { cwd: workDir, env: unreachable });
    const worker = spawnApp(WORKER_MAIN, unreachable);
    const dashboard = spawnApp(DASHBOARD_MAIN, { ...unreachable, MATCHFLOW_DASHBOARD__PORT: '0' });
    const results = await Promise.all([cli('health'), cli('runs', 'list'), cli('db', 'migrate')]);
    for (const result of results) expect(result.code).toBe(1);
    expect(results[0]?.stdout).toContain('postgres://postgres:***@127.0.0.1:1/nowhere');
    expect(await worker.exited).toBe(1);
    expect(worker.output()).toContain('redis unavailable');

    await vi.waitFor(() => expect(dashboard.output()).toMatch(/"url":"http:\/\/127\.0\.0\.1:\d+"/), {
      timeout: 30_000,
      interval: 100,
    });
    const dashboardUrl = /"url":"(http:\/\/[^"]+)"/.exec(dashboard.output())?.[1] ?? '';
    const headers = { authorization: `Bearer ${SECRETS.dashboardToken}` };
    const ready = await fetch(`${dashboardUrl}/readyz`, { headers });
    expect(ready.status).toBe(503);
    const bodies = [await ready.text()];
    dashboard.child.kill('SIGTERM');
    await dashboard.exited;

    expect(
      leaksIn([
        ['worker', worker.output()],
        ['dashboard', dashboard.output()],
        ...bodies.map((body, index): [string, string] => [`dashboard answer #${index}`, body]),
        ...results.flatMap(
          (result, index): Array<[string, string]> => [
            [`cli #${index} stdout`, result.stdout],
            [`cli #${index} stderr`, result.stderr],
          ],
        ),
      ]),
    ).toEqual([]);
  }, 60_000);
});
