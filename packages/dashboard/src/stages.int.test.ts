import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Config, loadConfig } from '@matchflow/config';
import { ops } from '@matchflow/db';
import { createTestDatabase, type TestDatabase, testBackends } from '@matchflow/db/testing';
import { defaultStageRegistry, Fleet, type StandaloneStage, startStageRun } from '@matchflow/pipeline';
import { StageJob } from '@matchflow/queues';
import { createLogger } from '@matchflow/telemetry';
import { testRedis } from '@matchflow/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDashboardServer, type DashboardServer } from './server.js';

/*
 * The dashboard reads the stage registry: a standalone stage registered here, in this test
 * only, shows up in Bull Board, the queue depths, /metrics and the ops page's Stages section;
 * its runs show in Recent runs as stage runs, in its row as its last run, and count as no
 * competition's run. Real HTTP, a real database (PGlite, and PostgreSQL when TEST_DATABASE_URL is
 * set) and real Redis under a prefix of the test's own.
 */

const serverUrl = process.env.TEST_DATABASE_URL;
const logger = createLogger({ service: 'test', level: 'silent' });
const NOW = Date.now();
const minutesAgo = (minutes: number) => new Date(NOW - minutes * 60_000);

/** Processed items the probe's work reports: the page must show this number. */
const PROBED = 7;

const probeCount: StandaloneStage = {
  kind: 'standalone',
  name: 'probe-count',
  queue: 'probe-count',
  jobName: 'probe.count',
  summary: 'count the probes (registered by this test only)',
  payload: StageJob,
  dependsOn: [],
  concurrency: () => 1,
  scopeKey: (payload) => String((payload as { scope?: string }).scope ?? ''),
  budget: { batchSize: 10, maxItems: 100, maxRuntimeMs: 60_000 },
  schedule: 'off',
  work: async () => ({
    scanned: PROBED,
    processed: PROBED,
    skipped: 0,
    failed: 0,
    counters: { probes: PROBED },
    complete: true,
  }),
};

function configFor(prefix: string, dir: string): Config {
  return loadConfig(
    {},
    JSON.stringify({
      publishDir: path.join(dir, 'published'),
      logDir: path.join(dir, 'logs'),
      redis: { prefix },
      sources: { sofascore: { kind: 'sofascore', baseUrl: 'http://127.0.0.1:9' } },
      ratingPools: { football: {} },
      competitions: [
        { id: 'demo-league', source: 'sofascore', competition: 1001, seasons: [50001], ratingPool: 'football' },
      ],
      stages: { 'probe-count': { schedule: '0 3 * * *', timezone: 'Europe/Berlin', inRuns: true, batchSize: 25 } },
    }),
  );
}

/**
 * A competition run with probe-count as one of its steps (started before ratings, to show the
 * timeline orders by the registry, not by start), and a run of probe-count's own, newer, with
 * quality results of its own newer than the competition run's.
 */
async function seed(database: TestDatabase): Promise<void> {
  await database.db.insert(ops.pipelineRuns).values([
    {
      runId: 'run-competition-1',
      trigger: 'schedule',
      scope: { source: 'sofascore', competitionId: 'demo-league', competition: '1001', season: '50001' },
      env: 'dev',
      status: 'ok',
      startedAt: minutesAgo(60),
      finishedAt: minutesAgo(50),
      counters: { matches: 1 },
    },
    {
      runId: 'run-stage-2',
      trigger: 'schedule',
      scope: { stage: 'probe-count', queue: 'probe-count', scope: 'all' },
      env: 'dev',
      status: 'partial',
      startedAt: minutesAgo(10),
      finishedAt: minutesAgo(8),
      counters: { probes: 40, processed: 41 },
    },
  ]);
  const row = (runId: string, stage: string, key: string, from: number, to: number, counters = {}) => ({
    runId,
    stage,
    scopeKey: key,
    status: 'ok' as const,
    startedAt: minutesAgo(from),
    finishedAt: minutesAgo(to),
    durationMs: Math.round((from - to) * 60_000),
    counters,
  });
  await database.db.insert(ops.stageRuns).values([
    row('run-competition-1', 'discover', 'demo-league.50001', 60, 59),
    row('run-competition-1', 'ingest', 'm1', 59, 57),
    row('run-competition-1', 'probe-count', 'all', 56, 55, { processed: 3, failed: 0 }),
    row('run-competition-1', 'ratings', 'football', 55.5, 54),
    row('run-competition-1', 'build', 'demo-league.50001', 54, 51),
    row('run-competition-1', 'publish', 'demo-league.50001', 51, 50),
    {
      ...row('run-stage-2', 'probe-count', 'all', 10, 8, { scanned: 45, processed: 41, skipped: 0, failed: 4 }),
      status: 'partial' as const,
    },
  ]);
  await database.db.insert(ops.qualityResults).values([
    {
      runId: 'run-competition-1',
      check: 'row_counts',
      scope: 'demo-league.50001',
      severity: 'fail',
      status: 'warn',
      observed: 1,
      threshold: 2,
      checkedAt: minutesAgo(51),
    },
    {
      runId: 'run-stage-2',
      check: 'probe_coverage',
      scope: 'all',
      severity: 'warn',
      status: 'warn',
      observed: 0.5,
      threshold: 0.9,
      checkedAt: minutesAgo(8),
    },
  ]);
}

/** The `<section id="id">` of the page. */
function section(page: string, id: string): string {
  const start = page.indexOf(`<section id="${id}">`);
  expect(start, id).toBeGreaterThan(-1);
  return page.slice(start, page.indexOf('</section>', start));
}

/** The `<tr>` of a stage in the Stages section. */
function stageRow(page: string, name: string): string {
  const stages = section(page, 'stages');
  const start = stages.indexOf(`<tr id="stage-${name}"`);
  expect(start, name).toBeGreaterThan(-1);
  return stages.slice(start, stages.indexOf('</tr>', start));
}

describe.each(testBackends(process.env))('the dashboard and the stage registry on %s', (backend) => {
  let database: TestDatabase;
  let dir: string;
  let config: Config;
  let dashboard: DashboardServer;
  const redis = testRedis(undefined, `dashboard-stages-${backend}`);
  const registry = defaultStageRegistry().register(probeCount);

  beforeAll(async () => {
    database = await createTestDatabase(backend, { serverUrl, label: 'dashboard_stages' });
    dir = await mkdtemp(path.join(tmpdir(), 'matchflow-dashboard-stages-'));
    config = configFor(redis.prefix, dir);
    await seed(database);
    dashboard = await createDashboardServer({ config, logger, db: database.db, port: 0, registry, now: () => NOW });
  });
  afterAll(async () => {
    await dashboard?.close();
    await database?.dispose();
    await redis.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('Bull Board, the queue depths and /metrics cover the registered stage’s queue', async () => {
    const board = await fetch(`${dashboard.url}/queues/api/queues`);
    expect(board.status).toBe(200);
    const { queues } = (await board.json()) as { queues: Array<{ name: string }> };
    expect(queues.map((queue) => queue.name).sort()).toEqual(
      ['build', 'discover', 'ingest', 'maintenance', 'odds', 'players', 'probe-count', 'ratings', 'schedule'].sort(),
    );

    const page = await (await fetch(`${dashboard.url}/`)).text();
    expect(section(page, 'queues')).toContain('<a href="/queues/queue/probe-count">probe-count</a>');

    const metrics = await (await fetch(`${dashboard.url}/metrics`)).text();
    expect(metrics).toContain('matchflow_queue_depth{queue="probe-count",state="waiting"} 0');
    // Its stage rows are observed under its own queue, not `none`.
    expect(metrics).toContain('matchflow_job_duration_seconds_count{queue="probe-count",stage="probe-count"} 2');
  });

  it('the Stages section lists every registered stage in order, with the settings the config gives', async () => {
    const page = await (await fetch(`${dashboard.url}/`)).text();
    const names = [...section(page, 'stages').matchAll(/<tr id="stage-([^"]+)"/g)].map((match) => match[1]);
    expect(names).toEqual(registry.names());
    expect(names).toEqual(expect.arrayContaining(['discover', 'ingest', 'ratings', 'build', 'probe-count']));

    const ingest = stageRow(page, 'ingest');
    expect(ingest).toContain('data-kind="pipeline"');
    expect(ingest).toContain('<td>discover</td>');
    expect(ingest).toContain('a stage of every competition run');

    const probe = stageRow(page, 'probe-count');
    expect(probe).toContain('data-kind="standalone"');
    expect(probe).toContain('<td>standalone</td>');
    expect(probe).toContain('count the probes (registered by this test only)');
    expect(probe).toContain('<code>0 3 * * *</code> <span class="small muted">Europe/Berlin</span>');
    expect(probe).toContain('<td>yes</td>');
    // batchSize from the config, the rest from the stage's own budget.
    expect(probe).toContain('25 a batch, at most 100 items, 1 min 0 s');
  });

  it('a stage’s last run is its newest stage row: status, when, duration, counts', async () => {
    const page = await (await fetch(`${dashboard.url}/`)).text();
    const probe = stageRow(page, 'probe-count');
    expect(probe).toContain('<span class="badge warn">partial</span>');
    expect(probe).toContain('finished <time');
    expect(probe).toContain('8 min 0 s ago');
    expect(probe).toContain('2 min 0 s · 41 processed, 4 failed');
    expect(probe).toContain('<code>run-stage-2</code> on its own');
    // The step of the older competition run is not its last run.
    expect(probe).not.toContain('run-competition-1');
  });

  it('recent runs label a stage run as one; the timeline ranks a step between ratings and build', async () => {
    const page = await (await fetch(`${dashboard.url}/`)).text();
    const runs = section(page, 'runs');
    expect(runs).not.toContain('undefined');
    const stageRun = runs.slice(runs.indexOf('<li class="run" id="run-stage-2"'));
    const stageItem = stageRun.slice(0, stageRun.indexOf('</li>'));
    expect(stageItem).toContain('<span class="scope">stage <strong>probe-count</strong> (all)</span>');
    expect(stageItem).toContain('41 processed');

    const competition = runs.slice(runs.indexOf('<li class="run" id="run-competition-1"'));
    const competitionItem = competition.slice(0, competition.indexOf('</li>'));
    expect(competitionItem).toContain('<span class="scope">demo-league · 50001</span>');
    const stages = [...competitionItem.matchAll(/<span class="stage-name">([^<]+)<\/span>/g)].map((match) => match[1]);
    expect(stages).toEqual(['discover', 'ingest', 'ratings', 'probe-count', 'build', 'publish']);
  });

  it('a stage run is no competition’s run: freshness and the quality section look past it', async () => {
    const page = await (await fetch(`${dashboard.url}/`)).text();
    expect(section(page, 'freshness')).toMatch(/demo-league<\/td>[\s\S]*?50 min 0 s ago/);
    const quality = section(page, 'quality');
    expect(quality).toContain('<code>run-competition-1</code>');
    expect(quality).toContain('row_counts');
    expect(quality).not.toContain('probe_coverage');
  });

  it('a run of the stage through a worker shows as its last run', async () => {
    const fleet = Fleet.start({ config, db: database.db, logger, registry, queues: ['probe-count'] });
    try {
      const started = await startStageRun(
        { db: database.db, producer: fleet.producer, config, registry },
        { stage: 'probe-count', trigger: 'cli' },
      );
      if (started.outcome !== 'started') throw new Error('the probe run was refused');
      await vi.waitFor(
        async () => {
          const [run] = await database.db
            .select({ status: ops.pipelineRuns.status })
            .from(ops.pipelineRuns)
            .where(eq(ops.pipelineRuns.runId, started.runId));
          expect(run?.status).toBe('ok');
        },
        { timeout: 15_000, interval: 100 },
      );
      const page = await (await fetch(`${dashboard.url}/`)).text();
      const probe = stageRow(page, 'probe-count');
      expect(probe).toContain('<span class="badge good">ok</span>');
      expect(probe).toContain(`${PROBED} processed, 0 failed`);
      expect(probe).toContain(`<code>${started.runId}</code> on its own`);
      expect(section(page, 'runs')).toContain(`<li class="run" id="${started.runId}"`);
    } finally {
      await fleet.stop(5_000);
    }
  });
});
