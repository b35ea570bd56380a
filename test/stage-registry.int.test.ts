import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Config, ConfigError, loadConfig } from '@matchflow/config';
import { ops } from '@matchflow/db';
import { createTestDatabase, type TestDatabase } from '@matchflow/db/testing';
import {
  defaultStageRegistry,
  Fleet,
  fleetQueues,
  pruneRunArtifacts,
  runArtifactsDir,
  type StageRegistry,
  type StageWorkContext,
  type StandaloneStage,
  startStageRun,
  triggerRun,
} from '@matchflow/pipeline';
import { StageJob } from '@matchflow/queues';
import { type ReplayServer, startReplay } from '@matchflow/replay';
import { createLogger } from '@matchflow/telemetry';
import { testRedis } from '@matchflow/testing';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stageList, stageRun } from '../apps/cli/src/commands/stage.js';

/*
 * The stage registry drives the worker, the run flow, the scheduler and the CLI: a stage
 * registered here, in a test only, is worked, chained into runs, scheduled and listed, with no
 * change to the queue machinery.
 */

const serverUrl = process.env.TEST_DATABASE_URL;
const logger = createLogger({ service: 'test', level: 'silent' });

/** What the probe stage's work saw, per run. */
const calls: Array<{ runId: string; scope: string; trigger: string; batchSize: number; maxItems: number }> = [];
/** Work over a scope named here waits until released. */
const holds = new Map<string, { release: () => void; promise: Promise<void> }>();
/** When set, the probe's work inside competition runs fails. */
let failInRuns = false;

const PROBE_ITEMS = 10;

async function probeWork(context: StageWorkContext) {
  calls.push({
    runId: context.runId,
    scope: context.scope,
    trigger: context.trigger,
    batchSize: context.budget.batchSize,
    maxItems: context.budget.maxItems,
  });
  await holds.get(context.scope)?.promise;
  if (context.scope === 'broken') throw new Error('the probe was told to break');
  if (failInRuns && context.scope === 'all') throw new Error('the probe failed inside a run');
  const total = Math.min(PROBE_ITEMS, context.budget.maxItems);
  let processed = 0;
  for (let batch = 1; processed < total; batch += 1) {
    const size = Math.min(context.budget.batchSize, total - processed);
    processed += size;
    context.emit({ type: 'batch', batch, size });
  }
  return {
    scanned: PROBE_ITEMS,
    processed: context.dryRun ? 0 : processed,
    skipped: 0,
    failed: 0,
    counters: { probes: processed },
    complete: processed === PROBE_ITEMS,
  };
}

const probeStage: StandaloneStage = {
  kind: 'standalone',
  name: 'probe-count',
  queue: 'probe-count',
  jobName: 'probe.count',
  summary: 'count to ten (a stage registered by a test)',
  payload: StageJob,
  dependsOn: ['ratings'],
  concurrency: () => 2,
  scopeKey: (payload) => String((payload as { scope?: string }).scope ?? ''),
  budget: { batchSize: 4, maxItems: 100, maxRuntimeMs: 60_000 },
  schedule: '15 4 * * *',
  work: probeWork,
};

function hold(scope: string): () => void {
  let release = () => {};
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  holds.set(scope, { release, promise });
  return () => {
    holds.delete(scope);
    release();
  };
}

let replay: ReplayServer;
beforeAll(async () => {
  replay = await startReplay({ port: 0, seed: 7 });
});
afterAll(async () => {
  await replay?.close();
});

function registryConfig(prefix: string, dataDir: string, extra: Record<string, unknown> = {}): Config {
  return loadConfig(
    {},
    JSON.stringify({
      redis: { prefix },
      dataDir,
      sources: {
        sofascore: {
          kind: 'sofascore',
          baseUrl: replay.apiUrl,
          rateLimit: { requestsPerInterval: 2000, intervalMs: 1000, maxConcurrent: 16 },
        },
      },
      ratingPools: { football: {} },
      competitions: [
        { id: 'demo-cup', source: 'sofascore', competition: 1002, seasons: [50011], ratingPool: 'football' },
      ],
      stages: { 'probe-count': { inRuns: true, batchSize: 3 } },
      workers: { shutdownTimeoutMs: 5000 },
      ...extra,
    }),
  );
}

async function waitForRun(database: TestDatabase, runId: string) {
  let run: typeof ops.pipelineRuns.$inferSelect | undefined;
  await vi.waitFor(
    async () => {
      [run] = await database.db.select().from(ops.pipelineRuns).where(eq(ops.pipelineRuns.runId, runId));
      expect(run?.status).not.toBe('running');
    },
    { timeout: 60_000, interval: 200 },
  );
  return run as typeof ops.pipelineRuns.$inferSelect;
}

async function stageRows(database: TestDatabase, runId: string) {
  return database.db
    .select()
    .from(ops.stageRuns)
    .where(eq(ops.stageRuns.runId, runId))
    .orderBy(asc(ops.stageRuns.startedAt));
}

function started(result: Awaited<ReturnType<typeof startStageRun>>): string {
  if (result.outcome !== 'started') throw new Error(`not started: ${JSON.stringify(result)}`);
  return result.runId;
}

// The registry's behaviour does not depend on the storage backend; PostgreSQL when there is one.
describe('a stage registered in a test only', () => {
  let database: TestDatabase;
  let fleet: Fleet;
  let config: Config;
  let registry: StageRegistry;
  const redis = testRedis(undefined, 'stage-registry');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'matchflow-stage-registry-'));

  beforeAll(async () => {
    database = await createTestDatabase(serverUrl ? 'postgres' : 'pglite', { serverUrl, label: 'stage_registry' });
    config = registryConfig(redis.prefix, dataDir);
    registry = defaultStageRegistry().register(probeStage);
    fleet = Fleet.start({ config, db: database.db, logger, registry });
  });
  afterAll(async () => {
    await fleet?.stop(5_000);
    await database?.dispose();
    await redis.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is worked: a worker serves its queue, the run is recorded with metrics and events', async () => {
    expect(fleetQueues(registry)).toContain('probe-count');
    expect(await fleet.producer.queue('probe-count').getWorkersCount()).toBeGreaterThan(0);
    const runId = started(
      await startStageRun(
        { db: database.db, producer: fleet.producer, config, registry },
        { stage: 'probe-count', trigger: 'cli', budget: { maxItems: 7 } },
      ),
    );
    const run = await waitForRun(database, runId);
    expect(run).toMatchObject({
      status: 'ok',
      trigger: 'cli',
      scope: { stage: 'probe-count', queue: 'probe-count', scope: 'all' },
    });
    const [row] = await stageRows(database, runId);
    // The config's batch size, the CLI's item budget, the stage's own runtime budget.
    expect(calls.find((call) => call.runId === runId)).toMatchObject({ batchSize: 3, maxItems: 7 });
    expect(row).toMatchObject({
      stage: 'probe-count',
      scopeKey: 'all',
      status: 'ok',
      counters: { scanned: 10, processed: 7, skipped: 0, failed: 0, complete: 'no', probes: 7 },
    });
    const dir = runArtifactsDir(config, runId);
    const metrics = JSON.parse(readFileSync(path.join(dir, 'metrics.json'), 'utf8'));
    expect(metrics).toMatchObject({
      runId,
      stage: 'probe-count',
      status: 'ok',
      budget: { batchSize: 3, maxItems: 7, maxRuntimeMs: 60_000 },
      scanned: 10,
      processed: 7,
      complete: false,
      counters: { probes: 7 },
    });
    expect(metrics.durationMs).toBeGreaterThanOrEqual(0);
    const events = readFileSync(path.join(dir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events.map((event) => event.type)).toEqual(['started', 'batch', 'batch', 'batch', 'finished']);
    expect(events.map((event) => event.size).filter(Boolean)).toEqual([3, 3, 1]);
    expect(events.every((event) => event.runId === runId && typeof event.at === 'string')).toBe(true);
  });

  it('is chained into competition runs between ratings and build, by what it depends on', async () => {
    const run = await triggerRun(
      { db: database.db, producer: fleet.producer, config },
      { competitionId: 'demo-cup', season: '50011', mode: 'full', trigger: 'cli' },
    );
    if (run.outcome !== 'started') throw new Error('run not started');
    expect(await waitForRun(database, run.runId)).toMatchObject({ status: 'ok', counters: { publish: 'published' } });
    const rows = await stageRows(database, run.runId);
    const byStage = (stage: string) => rows.find((row) => row.stage === stage);
    const probe = byStage('probe-count');
    expect(probe).toMatchObject({ status: 'ok', scopeKey: 'all', counters: { processed: 10 } });
    const ratings = byStage('ratings');
    const build = byStage('build');
    expect(ratings?.finishedAt?.getTime()).toBeLessThanOrEqual(probe?.startedAt.getTime() ?? 0);
    expect(probe?.finishedAt?.getTime()).toBeLessThanOrEqual(build?.startedAt.getTime() ?? 0);
    // The run's metrics and events are kept as for a run of its own.
    expect(existsSync(path.join(runArtifactsDir(config, run.runId), 'metrics.json'))).toBe(true);
  });

  it('failing inside a run is set aside: the run publishes and ends partial', async () => {
    failInRuns = true;
    try {
      const run = await triggerRun(
        { db: database.db, producer: fleet.producer, config },
        { competitionId: 'demo-cup', season: '50011', mode: 'full', trigger: 'cli' },
      );
      if (run.outcome !== 'started') throw new Error('run not started');
      const closed = await waitForRun(database, run.runId);
      expect(closed).toMatchObject({ status: 'partial', counters: { failedSteps: ['probe-count'] } });
      const rows = await stageRows(database, run.runId);
      expect(rows.find((row) => row.stage === 'probe-count')).toMatchObject({
        status: 'failed',
        error: 'the probe failed inside a run',
      });
      expect(rows.find((row) => row.stage === 'build')?.status).toBe('ok');
    } finally {
      failInRuns = false;
    }
  }, 60_000);

  it('failing on its own fails its run, naming the stage', async () => {
    const runId = started(
      await startStageRun(
        { db: database.db, producer: fleet.producer, config, registry },
        { stage: 'probe-count', scope: 'broken', trigger: 'cli' },
      ),
    );
    const run = await waitForRun(database, runId);
    expect(run).toMatchObject({ status: 'failed', failedStage: 'probe-count', error: 'the probe was told to break' });
  }, 60_000);

  it('cannot overlap itself: a second run over the same scope is refused under skip, queued under queue', async () => {
    const release = hold('slow');
    const deps = { db: database.db, producer: fleet.producer, config, registry };
    const first = started(await startStageRun(deps, { stage: 'probe-count', scope: 'slow', trigger: 'schedule' }));
    const refused = await startStageRun(deps, { stage: 'probe-count', scope: 'slow', trigger: 'cli' });
    expect(refused).toEqual({ outcome: 'skipped', runningRunId: first });
    // Another scope is another lock.
    const other = started(await startStageRun(deps, { stage: 'probe-count', scope: 'other', trigger: 'cli' }));
    expect((await waitForRun(database, other)).status).toBe('ok');

    const queuedDeps = { ...deps, config: { ...config, runs: { ...config.runs, overlap: 'queue' as const } } };
    const queued = started(await startStageRun(queuedDeps, { stage: 'probe-count', scope: 'slow', trigger: 'cli' }));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // Still waiting for the first: its work has not started.
    expect(calls.some((call) => call.runId === queued)).toBe(false);
    release();
    const [firstRun, queuedRun] = [await waitForRun(database, first), await waitForRun(database, queued)];
    expect([firstRun.status, queuedRun.status]).toEqual(['ok', 'ok']);
    const [firstRow] = await stageRows(database, first);
    const [queuedRow] = await stageRows(database, queued);
    expect(queuedRow?.startedAt.getTime()).toBeGreaterThanOrEqual(firstRow?.finishedAt?.getTime() ?? Infinity);
  }, 60_000);

  it('is listed and run by the CLI, which writes the metrics JSON and streams the events', async () => {
    const lines: string[] = [];
    const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(line) };
    expect(stageList(config, { json: true }, io, registry)).toBe(0);
    const listed = JSON.parse(lines.join('\n')) as Array<{ name: string; kind: string; schedule?: string }>;
    expect(listed.map((stage) => stage.name)).toEqual(expect.arrayContaining(['ingest', 'build', 'probe-count']));
    expect(listed.find((stage) => stage.name === 'probe-count')).toMatchObject({
      kind: 'standalone',
      schedule: '15 4 * * *',
      inRuns: true,
    });

    lines.length = 0;
    const metricsFile = path.join(dataDir, 'out', 'metrics.json');
    const statusFile = path.join(dataDir, 'out', 'status.jsonl');
    const code = await stageRun(
      config,
      {
        stage: 'probe-count',
        scope: undefined,
        budget: { batchSize: 5 },
        dryRun: true,
        metricsJson: metricsFile,
        statusJsonl: statusFile,
      },
      io,
      { registry, db: database.db },
    );
    expect(code, lines.join('\n')).toBe(0);
    expect(lines.join('\n')).toMatch(/probe-count: run run-\S+ ok in [\d.]+ s \(dry run/);
    const metrics = JSON.parse(readFileSync(metricsFile, 'utf8'));
    expect(metrics).toMatchObject({
      stage: 'probe-count',
      status: 'ok',
      dryRun: true,
      scanned: 10,
      processed: 0,
      budget: { batchSize: 5 },
    });
    const events = readFileSync(statusFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events.map((event) => event.type)).toEqual(['started', 'batch', 'batch', 'finished']);
  }, 60_000);

  it("keeps a run's artifacts as long as the run is in the history", async () => {
    const runId = started(
      await startStageRun(
        { db: database.db, producer: fleet.producer, config, registry },
        { stage: 'probe-count', scope: 'pruned', trigger: 'cli' },
      ),
    );
    await waitForRun(database, runId);
    const dir = runArtifactsDir(config, runId);
    const future = new Date(Date.now() + 60_000);
    expect(await pruneRunArtifacts(database.db, { logDir: config.logDir, olderThan: future })).toBe(0);
    expect(existsSync(dir)).toBe(true);
    // Run-history retention deleted the run: its artifacts go at the next retention.
    await database.db.delete(ops.pipelineRuns).where(eq(ops.pipelineRuns.runId, runId));
    expect(await pruneRunArtifacts(database.db, { logDir: config.logDir, olderThan: new Date(0) })).toBe(0);
    expect(await pruneRunArtifacts(database.db, { logDir: config.logDir, olderThan: future })).toBe(1);
    expect(existsSync(dir)).toBe(false);
  });

  it('is scheduled, and its settings are checked against the registry', async () => {
    const { desiredSchedules } = await import('../packages/pipeline/src/schedule/schedules.js');
    const schedules = desiredSchedules(config, registry);
    expect(schedules.find((schedule) => schedule.id === 'stage.probe-count')).toMatchObject({
      target: { kind: 'stage', stage: 'probe-count' },
      expression: '15 4 * * *',
    });
    const off = registryConfig(redis.prefix, dataDir, { stages: { 'probe-count': { schedule: 'off' } } });
    expect(desiredSchedules(off, registry).some((schedule) => schedule.id === 'stage.probe-count')).toBe(false);

    const misspelt = registryConfig(redis.prefix, dataDir, { stages: { 'probe-cuont': {} } });
    expect(() => registry.checkConfig(misspelt)).toThrow(ConfigError);
    expect(() => registry.checkConfig(misspelt)).toThrow(
      /stages\.probe-cuont: unknown stage \(registered: .*probe-count/,
    );
    // Without the test's registration the same setting is unknown: nothing registers it globally.
    expect(() => defaultStageRegistry().checkConfig(config)).toThrow(/stages\.probe-count: unknown stage/);
  });
});
