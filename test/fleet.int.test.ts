import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Config, loadConfig } from '@matchflow/config';
import { curated, ops, raw } from '@matchflow/db';
import { createTestDatabase, type TestDatabase, testBackends } from '@matchflow/db/testing';
import { Fleet, readLatestVersion, triggerRun } from '@matchflow/pipeline';
import { type ReplayServer, startReplay } from '@matchflow/replay';
import { createLogger } from '@matchflow/telemetry';
import { testRedis } from '@matchflow/testing';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/* The fleet through real queues: trigger -> discover -> ingest x N -> ratings -> build. */

const serverUrl = process.env.TEST_DATABASE_URL;
const logger = createLogger({ service: 'test', level: 'silent' });
let replay: ReplayServer;

beforeAll(async () => {
  replay = await startReplay({ port: 0, seed: 7 });
});
afterAll(async () => {
  await replay?.close();
});

function fleetConfig(prefix: string, publishDir: string): Config {
  return loadConfig(
    {},
    JSON.stringify({
      redis: { prefix },
      publishDir,
      sources: {
        sofascore: {
          kind: 'sofascore',
          baseUrl: replay.apiUrl,
          rateLimit: { requestsPerInterval: 2000, intervalMs: 1000, maxConcurrent: 16 },
          retry: { attempts: 5, backoffMs: 100, maxBackoffMs: 1000 },
          breaker: { consecutiveFailures: 3, cooldownMs: 400 },
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
        // 15 matches a season: for what does not need a whole league season.
        {
          id: 'demo-cup',
          source: 'sofascore',
          competition: 1002,
          seasons: [50011, 50012, 50013],
          ratingPool: 'football',
        },
      ],
      workers: { concurrency: { ingest: 8 }, shutdownTimeoutMs: 5000 },
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
    { timeout: 120_000, interval: 250 },
  );
  return run as typeof ops.pipelineRuns.$inferSelect;
}

describe.each(testBackends(process.env))('the fleet on %s', (backend) => {
  let database: TestDatabase;
  let fleet: Fleet;
  let config: Config;
  const redis = testRedis(undefined, `fleet-${backend}`);
  const publishDir = mkdtempSync(path.join(tmpdir(), `matchflow-fleet-${backend}-`));

  beforeAll(async () => {
    database = await createTestDatabase(backend, { serverUrl, label: 'fleet' });
    config = fleetConfig(redis.prefix, publishDir);
    fleet = Fleet.start({ config, db: database.db, logger });
  });
  afterAll(async () => {
    await fleet?.stop(5_000);
    await database?.dispose();
    await redis.cleanup();
    rmSync(publishDir, { recursive: true, force: true });
  });

  it('runs a season end to end: every match ingested once, standings written, run and stages recorded', async () => {
    // A cup season (15 matches) proves the chain through the queues. League-sized runs go
    // through a Fleet in the outage test below (200 matches, both backends), and whole league
    // seasons in npm-start (PGlite, two seasons) and fleet-processes (PostgreSQL, three workers).
    const season = replay.world?.competitions
      .flatMap((competition) => competition.seasons)
      .find((candidate) => candidate.id === 50011);
    if (!season) throw new Error('no season');
    const matchIds = season.matches.map((match) => String(match.id)).sort();
    const teams = new Set(season.matches.flatMap((match) => [match.home.id, match.away.id]));
    // Every match of this cup season was played: each is a result to rate.
    expect(season.matches.every((match) => match.fate === 'played')).toBe(true);
    const started = await triggerRun(
      { db: database.db, producer: fleet.producer, config },
      { competitionId: 'demo-cup', season: '50011', mode: 'full', trigger: 'cli' },
    );
    if (started.outcome !== 'started') throw new Error('run not started');
    const run = await waitForRun(database, started.runId);
    expect(run).toMatchObject({
      status: 'ok',
      failedStage: null,
      counters: { matches: matchIds.length, failedMatches: [], standings: teams.size, publish: 'published' },
    });
    // The build published a snapshot and moved latest to it.
    const snapshot = (run.counters as { snapshot?: string }).snapshot;
    expect(snapshot).toMatch(/^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{8}$/);
    expect(await readLatestVersion(publishDir)).toBe(snapshot);
    const stages = await database.db
      .select()
      .from(ops.stageRuns)
      .where(eq(ops.stageRuns.runId, started.runId))
      .orderBy(asc(ops.stageRuns.startedAt));
    const ingested = stages.filter((stage) => stage.stage === 'ingest');
    expect(ingested.every((stage) => stage.status === 'ok')).toBe(true);
    expect(ingested.map((stage) => stage.scopeKey).sort()).toEqual(matchIds);
    expect(stages.find((stage) => stage.stage === 'discover')).toMatchObject({
      status: 'ok',
      counters: { scanned: matchIds.length, selected: matchIds.length },
    });
    expect(stages.find((stage) => stage.stage === 'ratings')).toMatchObject({
      status: 'ok',
      counters: { matches: matchIds.length },
    });
    expect(stages.find((stage) => stage.stage === 'build')).toMatchObject({
      status: 'ok',
      durationMs: expect.any(Number),
    });
    expect(stages.find((stage) => stage.stage === 'publish')).toMatchObject({
      status: 'ok',
      counters: { publish: 'published', snapshot },
    });
    const table = await database.db
      .select()
      .from(curated.standings)
      .where(eq(curated.standings.seasonId, 'demo-cup.50011'));
    expect(table).toHaveLength(teams.size);
    expect(table.reduce((sum, row) => sum + row.played, 0)).toBe(2 * matchIds.length);
  }, 150_000);

  it('ends partial when one match breaks its contract: quarantined, the rest published', async () => {
    // The cup (15 matches): the partial outcome does not depend on the size of the season.
    const season = replay.world?.competitions
      .flatMap((competition) => competition.seasons)
      .find((candidate) => candidate.id === 50012);
    const broken = season?.matches.find((match) => match.fate === 'played');
    if (!season || !broken) throw new Error('no match');
    await fetch(`${replay.url}/_control/faults`, {
      method: 'PUT',
      body: JSON.stringify({ drift: { eventIds: [broken.id], mode: 'wrong-type' } }),
    });
    try {
      const started = await triggerRun(
        { db: database.db, producer: fleet.producer, config },
        { competitionId: 'demo-cup', season: '50012', mode: 'full', trigger: 'cli' },
      );
      if (started.outcome !== 'started') throw new Error('run not started');
      const run = await waitForRun(database, started.runId);
      expect(run).toMatchObject({
        status: 'partial',
        counters: {
          failedMatches: [String(broken.id)],
          matches: season.matches.length - 1,
          publish: 'published',
        },
      });
      const [failed] = await database.db
        .select()
        .from(ops.stageRuns)
        .where(and(eq(ops.stageRuns.runId, started.runId), eq(ops.stageRuns.scopeKey, String(broken.id))));
      expect(failed).toMatchObject({
        stage: 'ingest',
        status: 'failed',
        error: expect.stringContaining('contract-violation'),
      });
      // One try only: a contract violation is not retried.
      expect(failed?.attempt).toBe(1);
      const quarantined = await database.db
        .select()
        .from(raw.payloads)
        .where(and(eq(raw.payloads.key, String(broken.id)), eq(raw.payloads.quarantined, true)));
      expect(quarantined).toHaveLength(1);
      // The rest were built: every other match of the season is summarised, and a table written.
      const summarised = await database.db
        .select({ matchId: curated.matchSummary.matchId })
        .from(curated.matchSummary)
        .where(eq(curated.matchSummary.seasonId, 'demo-cup.50012'));
      expect(summarised.map((row) => row.matchId)).toEqual(
        expect.arrayContaining(
          season.matches.filter((match) => match.id !== broken.id).map((match) => `sofascore.match.${match.id}`),
        ),
      );
      expect(
        await database.db.select().from(curated.standings).where(eq(curated.standings.seasonId, 'demo-cup.50012')),
      ).not.toHaveLength(0);
    } finally {
      await fetch(`${replay.url}/_control/faults`, { method: 'DELETE' });
    }
  }, 150_000);

  it('rides out an upstream outage: the breaker opens, jobs wait instead of burning attempts, the run completes', async () => {
    // 200 matches of a league season: plenty still queued when the outage begins (the 503s
    // served below prove the run met it), without ingesting a whole season again.
    const named = (replay.world?.competitions[0]?.seasons.find((candidate) => candidate.id === 50002)?.matches ?? [])
      .slice(0, 200)
      .map((match) => String(match.id));
    expect(named).toHaveLength(200);
    const started = await triggerRun(
      { db: database.db, producer: fleet.producer, config },
      { competitionId: 'demo-league', season: '50002', mode: 'full', trigger: 'cli', matches: named },
    );
    if (started.outcome !== 'started') throw new Error('run not started');
    // Let discover and the first ingests through, then take the upstream down for two seconds.
    await vi.waitFor(
      async () => {
        const done = await database.db
          .select()
          .from(ops.stageRuns)
          .where(and(eq(ops.stageRuns.runId, started.runId), eq(ops.stageRuns.stage, 'ingest')));
        expect(done.filter((stage) => stage.status === 'ok').length).toBeGreaterThan(10);
      },
      { timeout: 60_000, interval: 50 },
    );
    await fetch(`${replay.url}/_control/faults`, {
      method: 'PUT',
      body: JSON.stringify({ outage: { mode: '503', durationMs: 2_000 } }),
    });
    const run = await waitForRun(database, started.runId);
    expect(run.status).toBe('ok');
    const stages = await database.db
      .select()
      .from(ops.stageRuns)
      .where(and(eq(ops.stageRuns.runId, started.runId), eq(ops.stageRuns.stage, 'ingest')));
    expect(stages.filter((stage) => stage.status === 'ok').map((stage) => stage.scopeKey)).toEqual(
      expect.arrayContaining(named),
    );
    expect(stages.filter((stage) => stage.status === 'ok')).toHaveLength(200);
    // Only the requests that met the outage before the breaker opened (and its probes) cost an
    // attempt; every other job waited for the breaker without retrying.
    const retried = stages.filter((stage) => stage.attempt > 1);
    expect(retried.length).toBeLessThanOrEqual(12);
    const served = (await (await fetch(`${replay.url}/_control/accounting`)).json()) as {
      byStatus: Record<string, number>;
    };
    expect(served.byStatus['503'] ?? 0).toBeGreaterThan(0);
  }, 150_000);

  it('skips a second trigger for a scope whose run is still going', async () => {
    // The cup: the second trigger comes right after the first has recorded its run.
    const request = { competitionId: 'demo-cup', season: '50013', mode: 'full' as const, trigger: 'cli' as const };
    const first = await triggerRun({ db: database.db, producer: fleet.producer, config }, request);
    const second = await triggerRun({ db: database.db, producer: fleet.producer, config }, request);
    if (first.outcome !== 'started') throw new Error('first run not started');
    expect(second).toEqual({ outcome: 'skipped', runningRunId: first.runId });
    const run = await waitForRun(database, first.runId);
    expect(run.status).toBe('ok');
    const runs = await database.db.select().from(ops.pipelineRuns);
    expect(runs.filter((candidate) => (candidate.scope as { season: string }).season === '50013')).toHaveLength(1);
  }, 150_000);
});

describe('the queue overlap policy', () => {
  it('runs a second trigger for a busy scope after the first, not beside it', async () => {
    const redis = testRedis(undefined, 'fleet-queue-policy');
    const database = await createTestDatabase('pglite', { label: 'queue-policy' });
    const publishDir = mkdtempSync(path.join(tmpdir(), 'matchflow-fleet-queue-'));
    const base = fleetConfig(redis.prefix, publishDir);
    const config: Config = { ...base, runs: { ...base.runs, overlap: 'queue' } };
    const fleet = Fleet.start({ config, db: database.db, logger });
    try {
      // The cup (15 matches), its build held back until the second trigger has come: the first
      // run is certainly still going then, however fast its ingests are.
      const request = {
        competitionId: 'demo-cup',
        season: '50013',
        mode: 'changed' as const,
        trigger: 'cli' as const,
      };
      await fleet.producer.queues.build.pause();
      const first = await triggerRun({ db: database.db, producer: fleet.producer, config }, request);
      if (first.outcome !== 'started') throw new Error('first run not started');
      // The first run's discover is done when the second trigger comes: its flow is still running.
      await vi.waitFor(
        async () => {
          const [stage] = await database.db
            .select()
            .from(ops.stageRuns)
            .where(and(eq(ops.stageRuns.runId, first.runId), eq(ops.stageRuns.stage, 'discover')));
          expect(stage?.status).toBe('ok');
        },
        { timeout: 30_000, interval: 50 },
      );
      const second = await triggerRun({ db: database.db, producer: fleet.producer, config }, request);
      if (second.outcome !== 'started') throw new Error('second run not started');
      const [stillRunning] = await database.db
        .select()
        .from(ops.pipelineRuns)
        .where(eq(ops.pipelineRuns.runId, first.runId));
      expect(stillRunning?.status).toBe('running');
      await fleet.producer.queues.build.resume();
      const firstRun = await waitForRun(database, first.runId);
      const secondRun = await waitForRun(database, second.runId);
      expect(firstRun.status).toBe('ok');
      // The second waited for the first, then found everything already ingested.
      expect(secondRun).toMatchObject({ status: 'ok', counters: { matches: 0 } });
      const [secondDiscover] = await database.db
        .select()
        .from(ops.stageRuns)
        .where(and(eq(ops.stageRuns.runId, second.runId), eq(ops.stageRuns.stage, 'discover')));
      expect(secondDiscover?.startedAt.getTime()).toBeGreaterThanOrEqual(
        firstRun.finishedAt?.getTime() ?? Number.POSITIVE_INFINITY,
      );
    } finally {
      await fleet.stop(5_000);
      await database.dispose();
      await redis.cleanup();
      rmSync(publishDir, { recursive: true, force: true });
    }
  }, 150_000);
});
