import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@matchflow/config';
import { core, ops } from '@matchflow/db';
import { createTestDatabase, type TestDatabase } from '@matchflow/db/testing';
import { Producer } from '@matchflow/queues';
import { type AccountingSnapshot, type ReplayServer, startReplay } from '@matchflow/replay';
import { testRedis } from '@matchflow/testing';
import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from './support/run-cli.js';
import { FROM_SOURCE, type NodeProcess, spawnNode } from './support/spawn-node.js';

/*
 * Real worker processes (apps/worker) sharing PostgreSQL and Redis: horizontal scale within the
 * shared budget. SIGTERM and kill -9 mid-run are chaos scenarios (test/chaos/crash-workers).
 * Needs TEST_DATABASE_URL: several processes cannot share an embedded PGlite.
 */

const serverUrl = process.env.TEST_DATABASE_URL;
if (!serverUrl) console.info('[fleet processes] TEST_DATABASE_URL is not set: multi-process tests skipped');
const WORKER_MAIN = fileURLToPath(new URL('../apps/worker/src/main.ts', import.meta.url));
const BUDGET_PER_SEC = 120;

describe.skipIf(!serverUrl)('worker processes', () => {
  let replay: ReplayServer;
  let database: TestDatabase;
  let workDir: string;
  let databaseUrl: string;
  const redis = testRedis(undefined, 'fleet-processes');
  const workers: ChildProcess[] = [];
  let producer: Producer;
  let config: ReturnType<typeof loadConfig>;

  beforeAll(async () => {
    replay = await startReplay({ port: 0, seed: 7 });
    database = await createTestDatabase('postgres', { serverUrl, label: 'processes' });
    const url = new URL(serverUrl as string);
    url.pathname = `/${database.name}`;
    databaseUrl = url.toString();
    workDir = mkdtempSync(path.join(tmpdir(), 'matchflow-workers-'));
    const settings = {
      logLevel: 'warn',
      redis: { prefix: redis.prefix },
      sources: {
        sofascore: {
          kind: 'sofascore',
          baseUrl: replay.apiUrl,
          rateLimit: { requestsPerInterval: BUDGET_PER_SEC, intervalMs: 1000, maxConcurrent: 12 },
          retry: { attempts: 4, backoffMs: 200, maxBackoffMs: 2000 },
        },
      },
      ratingPools: { football: {} },
      competitions: [
        {
          id: 'demo-league',
          source: 'sofascore',
          competition: 1001,
          seasons: [50001, 50002, 50003],
          ratingPool: 'football',
        },
      ],
      workers: {
        concurrency: { ingest: 4 },
        shutdownTimeoutMs: 20_000,
        lockDurationMs: 4_000,
        stalledIntervalMs: 2_000,
      },
    };
    writeFileSync(path.join(workDir, 'matchflow.yaml'), JSON.stringify(settings));
    config = loadConfig({}, JSON.stringify(settings));
    producer = new Producer({ connection: redis.connect(), prefix: redis.prefix, config });
  });
  afterEach(async () => {
    await fetch(`${replay.url}/_control/faults`, { method: 'DELETE' });
    for (const worker of workers.splice(0)) if (worker.exitCode === null) worker.kill('SIGKILL');
  });
  afterAll(async () => {
    await producer?.close();
    await replay?.close();
    await database?.dispose();
    await redis.cleanup();
    rmSync(workDir, { recursive: true, force: true });
  });

  function startWorker(): NodeProcess {
    return spawnNode([...FROM_SOURCE, WORKER_MAIN], {
      cwd: workDir,
      env: { DATABASE_URL: databaseUrl, REDIS_URL: 'redis://127.0.0.1:6379' },
      track: workers,
    });
  }

  async function finishedRun(runId: string, timeout = 150_000) {
    let run: typeof ops.pipelineRuns.$inferSelect | undefined;
    await vi.waitFor(
      async () => {
        [run] = await database.db.select().from(ops.pipelineRuns).where(eq(ops.pipelineRuns.runId, runId));
        expect(run?.status).not.toBe('running');
      },
      { timeout, interval: 500 },
    );
    return run as typeof ops.pipelineRuns.$inferSelect;
  }

  async function ingestStages(runId: string) {
    return database.db
      .select()
      .from(ops.stageRuns)
      .where(and(eq(ops.stageRuns.runId, runId), eq(ops.stageRuns.stage, 'ingest')));
  }

  it('three worker processes share a run started by `matchflow run --wait`: each match once, the budget kept', async () => {
    await fetch(`${replay.url}/_control/accounting/reset`, { method: 'POST' });
    startWorker();
    startWorker();
    startWorker();
    const cli = await runCli(['run', '--competition', 'demo-league', '--season', '50001', '--full', '--wait'], {
      cwd: workDir,
      env: { DATABASE_URL: databaseUrl, REDIS_URL: 'redis://127.0.0.1:6379' },
    });
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/demo-league season 50001: ok · 380 matches · \d+ upstream requests/);
    const runId = /^run (run-\S+) started$/m.exec(cli.stdout)?.[1] ?? '';
    const run = await finishedRun(runId);
    expect(run.status).toBe('ok');
    const stages = await ingestStages(runId);
    expect(stages).toHaveLength(380);
    expect(stages.every((stage) => stage.status === 'ok')).toBe(true);
    const byWorker = new Set(stages.map((stage) => (stage.counters as { worker?: string }).worker));
    expect(byWorker.size).toBe(3);
    expect(
      await database.db
        .select({ id: core.matches.id })
        .from(core.matches)
        .where(eq(core.matches.seasonId, 'demo-league.50001')),
    ).toHaveLength(380);
    const served = (await (await fetch(`${replay.url}/_control/accounting`)).json()) as AccountingSnapshot;
    console.info(
      `[fleet processes] 3 workers: ${served.requests} requests, busiest 1 s window ${served.peakRequestsPer1s} (budget ${BUDGET_PER_SEC})`,
    );
    expect(served.peakRequestsPer1s).toBeLessThanOrEqual(BUDGET_PER_SEC + 1);
  }, 180_000);
});
