import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Config, loadConfig } from '@matchflow/config';
import { createDb, type Database, migrate, ops } from '@matchflow/db';
import { closeRun, createRun, Fleet, triggerRun } from '@matchflow/pipeline';
import { createRedis, newRunId, Producer } from '@matchflow/queues';
import { type ReplayServer, startReplay } from '@matchflow/replay';
import { createLogger } from '@matchflow/telemetry';
import { type TestRedis, testRedis } from '@matchflow/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from './support/run-cli.js';

/*
 * The operator commands (runs, dq, ratings show, queue, config print, health, --help) through
 * the real CLI in child processes, over an embedded PGlite holding one real fleet run of the
 * replay's cup (one match broken on purpose, so the run ends partial) and a crafted run whose
 * quality check failed.
 */

const logger = createLogger({ service: 'test', level: 'silent' });
const CUP = { competitionId: 'demo-cup', season: '50011' };

let replay: ReplayServer;
let redis: TestRedis;
let dataDir: string;
let env: Record<string, string>;
/** The fleet run: partial, one ingest failed. */
let partialRunId: string;
let brokenMatch: string;
/** A crafted later run with a FAIL quality result. */
let failedRunId: string;
let snapshotVersion: string | undefined;

function fleetConfig(): Config {
  return loadConfig(
    {},
    JSON.stringify({
      dataDir,
      redis: { prefix: redis.prefix },
      sources: {
        sofascore: {
          kind: 'sofascore',
          baseUrl: replay.apiUrl,
          rateLimit: { requestsPerInterval: 2000, intervalMs: 1000, maxConcurrent: 16 },
          retry: { attempts: 3, backoffMs: 100, maxBackoffMs: 500 },
        },
      },
      ratingPools: { football: {} },
      competitions: [
        { id: 'demo-cup', source: 'sofascore', competition: 1002, seasons: [50011], ratingPool: 'football' },
      ],
      workers: { shutdownTimeoutMs: 5000 },
    }),
  );
}

beforeAll(async () => {
  replay = await startReplay({ port: 0, seed: 7 });
  redis = testRedis(undefined, 'cli-ops');
  dataDir = mkdtempSync(path.join(tmpdir(), 'matchflow-cli-ops-'));
  env = { MATCHFLOW_DATA_DIR: dataDir, MATCHFLOW_REDIS__PREFIX: redis.prefix, MATCHFLOW_LOG_LEVEL: 'warn' };

  const season = replay.world?.competitions
    .flatMap((competition) => competition.seasons)
    .find((candidate) => candidate.id === Number(CUP.season));
  const broken = season?.matches.find((match) => match.fate === 'played');
  if (!broken) throw new Error('no played cup match');
  brokenMatch = String(broken.id);
  await fetch(`${replay.url}/_control/faults`, {
    method: 'PUT',
    body: JSON.stringify({ drift: { eventIds: [broken.id], mode: 'wrong-type' } }),
  });

  const config = fleetConfig();
  const database: Database = await createDb(config);
  try {
    await migrate(database);
    const fleet = Fleet.start({ config, db: database.db, logger });
    try {
      const started = await triggerRun(
        { db: database.db, producer: fleet.producer, config },
        { ...CUP, mode: 'full', trigger: 'cli' },
      );
      if (started.outcome !== 'started') throw new Error('run not started');
      partialRunId = started.runId;
      await vi.waitFor(
        async () => {
          const [run] = await database.db
            .select()
            .from(ops.pipelineRuns)
            .where(eq(ops.pipelineRuns.runId, partialRunId));
          expect(run?.status).not.toBe('running');
          snapshotVersion = (run?.counters as { snapshot?: string } | undefined)?.snapshot;
        },
        { timeout: 60_000, interval: 200 },
      );
    } finally {
      await fleet.stop(5_000);
    }
    // A later run whose build failed a FAIL check: what `dq` must exit 1 on.
    failedRunId = newRunId();
    await createRun(database.db, {
      runId: failedRunId,
      trigger: 'schedule',
      scope: { source: 'sofascore', competitionId: 'demo-cup', competition: '1002', season: '50011' },
      env: 'dev',
    });
    await database.db.insert(ops.qualityResults).values([
      {
        runId: failedRunId,
        check: 'uniqueness',
        scope: 'demo-cup.50011',
        severity: 'fail',
        status: 'fail',
        observed: 2,
        threshold: 0,
        sample: [
          { match_id: 'sofascore.match.1', rows: 2 },
          { match_id: 'sofascore.match.2', rows: 2 },
        ],
      },
      {
        runId: failedRunId,
        check: 'completeness',
        scope: 'demo-cup.50011',
        severity: 'fail',
        status: 'pass',
        observed: 0,
        threshold: 0,
        sample: [],
      },
    ]);
    await closeRun(database.db, failedRunId, {
      status: 'failed',
      failedStage: 'build',
      error: 'quality checks failed',
    });
  } finally {
    await database.close();
  }
}, 120_000);

afterAll(async () => {
  await fetch(`${replay.url}/_control/faults`, { method: 'DELETE' }).catch(() => {});
  await replay?.close();
  await redis?.cleanup();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('matchflow runs | dq | ratings show', () => {
  it('lists runs newest first and shows one run with its stages, failed match, quality and snapshot', async () => {
    const listed = await runCli(['runs', 'list', '--json'], { cwd: dataDir, env });
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    const { runs } = JSON.parse(listed.stdout) as {
      runs: Array<{
        runId: string;
        status: string;
        failedStage: string | null;
        competitionId: string;
        durationMs: number;
      }>;
    };
    expect(runs.map((run) => [run.runId, run.status, run.failedStage])).toEqual([
      [failedRunId, 'failed', 'build'],
      [partialRunId, 'partial', null],
    ]);
    expect(runs[1]?.durationMs).toBeGreaterThan(0);

    const text = await runCli(['runs', 'list', '-n', '1'], { cwd: dataDir, env });
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^started \(UTC\)\s+trigger\s+scope\s+status\s+failed stage\s+duration\s+run$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(new RegExp(`schedule\\s+demo-cup 50011\\s+failed\\s+build\\s+.*${failedRunId}$`));

    const shown = await runCli(['runs', 'show', partialRunId, '--json'], { cwd: dataDir, env });
    expect(shown.code).toBe(0);
    const detail = JSON.parse(shown.stdout) as {
      run: { runId: string; status: string };
      stages: Array<{ stage: string; status: string; attempt: number }>;
      ingest: { ok: number; failed: number; failures: Array<{ match: string; error: string }> };
      quality: Array<{ check: string; status: string }>;
      snapshot: { outcome: string; version: string; latest: boolean } | null;
    };
    expect(detail.run).toMatchObject({ runId: partialRunId, status: 'partial' });
    expect(detail.stages.map((stage) => stage.stage)).toEqual(['discover', 'ratings', 'build', 'publish']);
    expect(detail.ingest.failed).toBe(1);
    expect(detail.ingest.ok).toBeGreaterThan(10);
    expect(detail.ingest.failures).toEqual([
      { match: brokenMatch, attempt: 1, error: expect.stringContaining('contract-violation') },
    ]);
    expect(detail.quality.length).toBeGreaterThan(3);
    expect(detail.quality.every((result) => result.status !== 'fail')).toBe(true);
    expect(detail.snapshot).toMatchObject({ outcome: 'published', version: snapshotVersion, latest: true });

    const readable = await runCli(['runs', 'show', partialRunId], { cwd: dataDir, env });
    expect(readable.code).toBe(0);
    expect(readable.stdout).toContain(`run ${partialRunId}: demo-cup 50011 (source sofascore)`);
    expect(readable.stdout).toMatch(/status partial · trigger cli/);
    expect(readable.stdout).toMatch(/^\s+ingest\s+\d+ job\(s\)\s+partial\s+.*\d+ ok, 1 failed/m);
    expect(readable.stdout).toContain('failed matches (1)');
    expect(readable.stdout).toMatch(new RegExp(`^  ${brokenMatch} \\(attempt 1\\): .*contract-violation`, 'm'));
    expect(readable.stdout).toMatch(/^quality \(\d+ checks: \d+ pass, \d+ warn, 0 fail\)$/m);
    expect(readable.stdout).toContain(`snapshot: published ${snapshotVersion}`);

    const unknown = await runCli(['runs', 'show', 'no-such-run'], { cwd: dataDir, env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no run 'no-such-run'");
  }, 60_000);

  it('reports quality results: exit 1 on a FAIL, with its sample rows; 0 for a run that passed', async () => {
    const latest = await runCli(['dq'], { cwd: dataDir, env });
    expect(latest.code).toBe(1);
    expect(latest.stdout).toContain(`quality results of run ${failedRunId}`);
    expect(latest.stdout).toMatch(/^\s+FAIL\s+fail\s+uniqueness\s+demo-cup\.50011\s+2\s+0$/m);
    // Sample rows as stored (jsonb orders keys its own way).
    expect(latest.stdout).toMatch(/^ {6}\{.*"match_id":"sofascore\.match\.1".*\}$/m);
    expect(latest.stdout).toMatch(/^\s+PASS\s+fail\s+completeness/m);

    const passed = await runCli(['dq', '--run', partialRunId, '--json'], { cwd: dataDir, env });
    expect(passed.code).toBe(0);
    const report = JSON.parse(passed.stdout) as { run: { runId: string }; failed: number; results: unknown[] };
    expect(report.run.runId).toBe(partialRunId);
    expect(report.failed).toBe(0);
    expect(report.results.length).toBeGreaterThan(3);

    const unknown = await runCli(['dq', '--run', 'no-such-run'], { cwd: dataDir, env });
    expect(unknown.code).toBe(1);
  }, 60_000);

  it("shows a pool's leaderboard and a participant's rating history", async () => {
    const board = await runCli(['ratings', 'show', '--pool', 'football', '-n', '3', '--json'], { cwd: dataDir, env });
    expect(board.code).toBe(0);
    const parsed = JSON.parse(board.stdout) as {
      from: string;
      total: number;
      entries: Array<{ rank: number; participantId: string; rating: number }>;
    };
    expect(parsed.from).toBe('curated');
    expect(parsed.entries.map((entry) => entry.rank)).toEqual([1, 2, 3]);
    expect(parsed.total).toBeGreaterThan(3);
    const leader = parsed.entries[0]?.participantId as string;

    const history = await runCli(['ratings', 'show', '--pool', 'football', '--participant', leader, '-n', '2'], {
      cwd: dataDir,
      env,
    });
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(
      new RegExp(`\\(${leader.replaceAll('.', '\\.')}\\) in pool football: \\d+ rated match`),
    );
    expect(history.stdout.trim().split('\n')).toHaveLength(4);

    const none = await runCli(['ratings', 'show', '--pool', 'no-pool'], { cwd: dataDir, env });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no ratings in pool 'no-pool' (pools: football)");
  }, 60_000);

  it('checks health: 0 against the real services, 1 when Redis is not there', async () => {
    const healthy = await runCli(['health', '--json'], { cwd: dataDir, env });
    expect(healthy.code).toBe(0);
    const report = JSON.parse(healthy.stdout) as { healthy: boolean; checks: Array<{ name: string; ok: boolean }> };
    expect(report.healthy).toBe(true);
    expect(report.checks.map((check) => [check.name, check.ok])).toEqual([
      ['redis', true],
      ['database', true],
      ['source sofascore', true],
    ]);

    const closedPort = await freePort();
    const down = await runCli(['health'], {
      cwd: dataDir,
      env: { ...env, REDIS_URL: `redis://127.0.0.1:${closedPort}` },
    });
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/^FAIL\s+redis\s+redis:\/\/127\.0\.0\.1:\d+: unreachable: .*ECONNREFUSED/m);
    expect(down.stdout).toMatch(/^ok\s+database\s+/m);
    expect(down.stdout).toMatch(/^unhealthy: redis, source sofascore$/m);
  }, 60_000);
});

describe('matchflow queue', () => {
  it('counts jobs per queue, pauses and resumes, retries failed jobs and cleans completed ones', async () => {
    const connection = createRedis('redis://127.0.0.1:6379', 'client');
    const producer = new Producer({ connection, prefix: redis.prefix, config: fleetConfig() });
    try {
      // No worker runs now: jobs added stay waiting.
      await producer.queues.maintenance.add('test.job', { n: 1 });
      await producer.queues.maintenance.add('test.job', { n: 2 });
    } finally {
      await producer.close();
      connection.disconnect();
    }
    type Stats = { prefix: string; queues: Array<{ name: string; paused: boolean; counts: Record<string, number> }> };
    const stats = async () => {
      const result = await runCli(['queue', 'stats', '--json'], { cwd: dataDir, env });
      expect(result.code).toBe(0);
      return JSON.parse(result.stdout) as Stats;
    };
    const queue = (all: Stats, name: string) => all.queues.find((candidate) => candidate.name === name);

    const before = await stats();
    expect(before.prefix).toBe(redis.prefix);
    expect(queue(before, 'maintenance')).toMatchObject({ paused: false, counts: { waiting: 2, active: 0 } });
    // The fleet run: its ingest jobs completed, the broken match's failed (not retried).
    expect(queue(before, 'ingest')?.counts.completed).toBeGreaterThan(10);
    expect(queue(before, 'ingest')?.counts.failed).toBe(1);

    const [paused, text] = await Promise.all([
      runCli(['queue', 'pause', 'maintenance'], { cwd: dataDir, env }),
      runCli(['queue', 'stats'], { cwd: dataDir, env }),
    ]);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toContain('paused: maintenance');
    expect(text.stdout).toMatch(
      /^\s+queue\s+waiting\s+active\s+delayed\s+prioritized\s+waiting-children\s+completed\s+failed$/m,
    );
    expect(text.stdout).toMatch(/^\s+maintenance\s+2\s+0\s+0\s+0\s+0\s+0\s+0/m);
    expect(queue(await stats(), 'maintenance')?.paused).toBe(true);

    const [resumed, retried, cleaned] = await Promise.all([
      runCli(['queue', 'resume', 'all'], { cwd: dataDir, env }),
      runCli(['queue', 'retry-failed', 'ingest', '--limit', '5', '--json'], { cwd: dataDir, env }),
      runCli(['queue', 'clean', 'build', '--state', 'completed', '--json'], { cwd: dataDir, env }),
    ]);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(retried.stdout)).toMatchObject({
      queue: 'ingest',
      retried: [expect.stringContaining(brokenMatch)],
    });
    expect(JSON.parse(cleaned.stdout)).toEqual({ queue: 'build', state: 'completed', removed: 1 });
    const after = await stats();
    expect(queue(after, 'maintenance')?.paused).toBe(false);
    expect(queue(after, 'ingest')?.counts).toMatchObject({ failed: 0, waiting: 1 });
    expect(queue(after, 'build')?.counts.completed).toBe(0);

    const [unknown, missing] = await Promise.all([
      runCli(['queue', 'pause', 'frobs'], { cwd: dataDir, env }),
      runCli(['queue', 'retry-failed'], { cwd: dataDir, env }),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown queue 'frobs'");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('queue retry-failed needs <queue>');
  }, 60_000);
});

describe('matchflow config print', () => {
  it('prints the effective configuration and never a secret', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'matchflow-config-print-'));
    try {
      writeFileSync(
        path.join(cwd, 'matchflow.yaml'),
        [
          'sources:',
          '  fd:',
          '    kind: football-data',
          '    baseUrl: https://api.football-data.org/v4',
          '    credentials: { token: fd-token-SECRET-1 }',
          '    headers: { X-Auth-Token: header-SECRET-2, Accept: application/json }',
          'ratingPools: { football: {} }',
          'competitions:',
          '  - { id: pl, source: fd, competition: PL, seasons: [2024], ratingPool: football }',
        ].join('\n'),
      );
      const secretEnv = {
        DATABASE_URL: 'postgres://matchflow:db-SECRET-3@db.internal:5432/matchflow',
        REDIS_URL: 'redis://default:redis-SECRET-4@cache.internal:6379',
      };
      const [text, json] = await Promise.all([
        runCli(['config', 'print'], { cwd, env: secretEnv }),
        runCli(['config', 'print', '--json'], { cwd, env: secretEnv }),
      ]);
      for (const result of [text, json]) {
        expect(result.code).toBe(0);
        expect(result.stdout).not.toContain('SECRET');
        expect(result.stderr).not.toContain('SECRET');
      }
      expect(text.stdout).toContain(`# effective configuration (${path.join(cwd, 'matchflow.yaml')})`);
      expect(text.stdout).toMatch(/^sources\.fd\.credentials\.token: \[redacted\]$/m);
      expect(text.stdout).toMatch(/^sources\.fd\.headers\.X-Auth-Token: \[redacted\]$/m);
      expect(text.stdout).toMatch(/^sources\.fd\.headers\.Accept: application\/json$/m);
      expect(text.stdout).toMatch(/^database\.url: postgres:\/\/db\.internal:5432\/matchflow$/m);
      expect(text.stdout).toMatch(/^competitions\[0\]\.id: pl$/m);
      const parsed = JSON.parse(json.stdout) as { config: Config };
      expect(parsed.config.sources.fd?.credentials.token).toBe('[redacted]');
      expect(parsed.config.redis.url).toBe('redis://cache.internal:6379');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe('matchflow usage', () => {
  const COMMANDS = [
    'start',
    'run',
    'rebuild',
    'runs list',
    'runs show',
    'dq',
    'publish list',
    'publish rollback',
    'ratings rate',
    'ratings show',
    'queue stats',
    'queue pause',
    'queue resume',
    'queue retry-failed',
    'queue clean',
    'db migrate',
    'config check',
    'config print',
    'health',
    'alerts check',
    'check-contract',
  ];

  it('prints every command with --help and lists them all at the top (exit 0)', async () => {
    const cwd = dataDir;
    const [top, ...each] = await Promise.all([
      runCli(['--help'], { cwd }),
      ...COMMANDS.map((command) => runCli([...command.split(' '), '--help'], { cwd })),
    ]);
    expect(top?.code).toBe(0);
    for (const command of COMMANDS) expect(top?.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    each.forEach((result, index) => {
      expect(result.code, COMMANDS[index]).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^usage: matchflow ${COMMANDS[index]}\\b`));
      expect(result.stderr).toBe('');
    });
  }, 60_000);

  it('exits 2 with the usage on an unknown command, an unknown or foreign flag, or a bad value', async () => {
    const cwd = dataDir;
    const [command, flag, foreign, count, subcommand, extra] = await Promise.all([
      runCli(['frobnicate'], { cwd }),
      runCli(['runs', 'list', '--frob'], { cwd }),
      runCli(['health', '--all'], { cwd }),
      runCli(['runs', 'list', '-n', 'ten'], { cwd, env }),
      runCli(['runs'], { cwd }),
      runCli(['dq', 'extra'], { cwd }),
    ]);
    for (const result of [command, flag, foreign, count, subcommand, extra]) {
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
    }
    expect(command.stderr).toContain("unknown command 'frobnicate'");
    expect(command.stderr).toContain('usage: matchflow <command>');
    expect(flag.stderr).toContain("unknown option '--frob'");
    expect(flag.stderr).toContain('usage: matchflow runs list');
    expect(foreign.stderr).toContain("health does not take '--all'");
    expect(count.stderr).toContain("--limit must be a whole number of at least 1, not 'ten'");
    expect(subcommand.stderr).toContain("'runs' needs a subcommand");
    expect(extra.stderr).toContain("unexpected argument 'extra' for dq");
  }, 60_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
