import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testRedis } from '@matchflow/testing';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';

/* The main command as a user runs it: `npm start -- --once` on embedded defaults, twice. */

const CLI_MAIN = fileURLToPath(new URL('../apps/cli/src/main.ts', import.meta.url));
const DASHBOARD_MAIN = fileURLToPath(new URL('../apps/dashboard/src/main.ts', import.meta.url));
const TSX_LOADER = import.meta.resolve('tsx');
const workDir = mkdtempSync(path.join(tmpdir(), 'matchflow-start-'));
// The demo's queues live under a prefix of this test's own, deleted afterwards.
const redis = testRedis(undefined, 'npm-start');
// Everything the started processes keep in Redis lives under the test's prefix, so cleanup() finds it.
const START_PREFIX = redis.prefix;
afterAll(async () => {
  rmSync(workDir, { recursive: true, force: true });
  await redis.cleanup();
});

function start(
  args: string[] = ['--once'],
  env: Record<string, string> = {},
  onOutput?: (stdout: string, child: ChildProcess) => void,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=matchflow-source', '--import', TSX_LOADER, CLI_MAIN, 'start', ...args],
      {
        cwd: workDir,
        // A Redis key prefix of its own keeps the demo's queues apart from anything else on the server.
        env: { PATH: process.env.PATH ?? '', MATCHFLOW_REDIS__PREFIX: START_PREFIX, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
      onOutput?.(stdout, child);
    });
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The dashboard process over the test's data directory, on a free port it reports in its log. */
function startDashboard(): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=matchflow-source', '--import', TSX_LOADER, DASHBOARD_MAIN], {
      cwd: workDir,
      env: { PATH: process.env.PATH ?? '', MATCHFLOW_DASHBOARD__PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += String(chunk);
      const url = /"url":"(http:\/\/[^"]+)"/.exec(output)?.[1];
      if (url) resolve({ child, url });
    });
    child.stderr.on('data', (chunk) => {
      output += String(chunk);
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`dashboard exited (${code}): ${output}`)));
  });
}

describe('npm start -- --once', () => {
  /** The snapshot the first run published: a second run over the same data must leave it latest. */
  let firstVersion: string | undefined;

  it('runs the demo on embedded defaults and prints the summary', async () => {
    const first = await start();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('running the demo against the replay upstream');
    expect(first.stdout).toContain(`database ${path.join(workDir, '.matchflow', 'pglite')}`);
    expect(first.stdout).toMatch(/demo-league season 50001: ok · 380 matches · \d+ upstream requests/);
    expect(first.stdout).toMatch(/demo-league season 50002: ok · 380 matches/);
    expect(first.stdout).toMatch(/^ {6} 1\. .+ 38 played +\d+ pts$/m);

    // The snapshot: latest names a directory holding both seasons, as the summary says.
    const publishDir = path.join(workDir, '.matchflow', 'published');
    const version = readFileSync(path.join(publishDir, 'latest'), 'utf8').trim();
    expect(first.stdout).toContain(`published: ${path.join(publishDir, version)}`);
    const manifest = JSON.parse(readFileSync(path.join(publishDir, version, 'manifest.json'), 'utf8')) as {
      content_hash: string;
      tables: { name: string; rows: number }[];
    };
    const rows = Object.fromEntries(manifest.tables.map((table) => [table.name, table.rows]));
    expect(rows).toMatchObject({ competitions: 1, seasons: 2, standings: 40, matches: 760 });

    // ... and the dashboard serves it.
    const dashboard = await startDashboard();
    try {
      const snapshot = await fetch(`${dashboard.url}/api/snapshot`);
      expect(snapshot.status).toBe(200);
      expect(snapshot.headers.get('etag')).toBe(`"${manifest.content_hash}"`);
      expect(((await snapshot.json()) as { version: string }).version).toBe(version);
      const table = (await (await fetch(`${dashboard.url}/api/seasons/demo-league.50001/standings`)).json()) as {
        data: { position: number; played: number }[];
      };
      expect(table.data.map((row) => row.position)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
      // 379 results: one match of the season was cancelled.
      expect(table.data.reduce((sum, row) => sum + row.played, 0)).toBe(2 * 379);
    } finally {
      dashboard.child.kill('SIGTERM');
    }

    firstVersion = version;
  }, 240_000);

  // The second start over the first one's data: it runs the demo again (finding nothing to do)
  // before it serves, exactly as a second `npm start -- --once` would.
  it('finds nothing to do the second time, then keeps running without --once and serves the dashboard in the same process until SIGINT', async () => {
    let checks: Promise<void> | undefined;
    const served = await start([], { MATCHFLOW_DASHBOARD__PORT: '0' }, (stdout, child) => {
      const url = /^matchflow: dashboard (http:\/\/\S+) \(ops page \/, Bull Board \/queues, API \/api/m.exec(
        stdout,
      )?.[1];
      if (!url || checks) return;
      checks = (async () => {
        try {
          const page = await fetch(`${url}/`);
          expect(page.status).toBe(200);
          const html = await page.text();
          expect(html).toContain('<title>matchflow ops</title>');
          expect(html).toMatch(/<li class="run" id="run-[^"]+" data-status="ok">/);
          const board = await fetch(`${url}/queues`);
          expect(board.status).toBe(200);
          expect(await board.text()).toContain('<title>matchflow queues</title>');
          expect((await fetch(`${url}/api/snapshot`)).status).toBe(200);
          expect((await fetch(`${url}/readyz`)).status).toBe(200);
          // The hourly update, the nightly maintenance, the ops samples (every minute), player enrichment
          // and odds polling are scheduled in Redis.
          const schedule = new Queue('schedule', { connection: redis.connect(), prefix: START_PREFIX });
          try {
            const schedulers = await schedule.getJobSchedulers();
            expect(schedulers.map((scheduler) => [scheduler.key, scheduler.pattern]).sort()).toEqual([
              ['competition.demo-league', '0 * * * *'],
              ['maintenance', '30 3 * * *'],
              ['ops-samples', undefined],
              ['stage.odds', '10 * * * *'],
              ['stage.players', '0 2 * * *'],
            ]);
          } finally {
            await schedule.close();
          }
        } finally {
          child.kill('SIGINT');
        }
      })();
    });
    expect(checks).toBeDefined();
    await checks;
    expect(served.stderr).toBe('');
    expect(served.code).toBe(0);
    expect(served.stdout).toMatch(/demo-league season 50001: ok · 0 matches/);
    expect(served.stdout).toMatch(/demo-league season 50002: ok · 0 matches/);
    expect(firstVersion).toBeDefined();
    expect(served.stdout).toContain(`published: ${path.join(workDir, '.matchflow', 'published', firstVersion ?? '')}`);
    expect(served.stdout).toContain(
      'matchflow: serving; scheduled updates: demo-league 0 * * * * UTC. Ctrl-C to stop.',
    );
  }, 120_000);

  it('fails with exit 1 naming the port and the setting when the dashboard port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const taken = await start([], { MATCHFLOW_DASHBOARD__PORT: String(port) });
      expect(taken.code).toBe(1);
      expect(taken.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(taken.stderr).toContain('MATCHFLOW_DASHBOARD__PORT');
    } finally {
      blocker.close();
    }
  }, 120_000);
});
