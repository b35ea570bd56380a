import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Config, loadConfig } from '@matchflow/config';
import { type Db, ops } from '@matchflow/db';
import { createTestDatabase, type TestDatabase } from '@matchflow/db/testing';
import { readLatestVersion, triggerRun, verifySnapshotDirectory } from '@matchflow/pipeline';
import { Producer } from '@matchflow/queues';
import { type ReplayServer, startReplay } from '@matchflow/replay';
import { SourceClient } from '@matchflow/sources';
import { createLogger } from '@matchflow/telemetry';
import { type TestRedis, testRedis } from '@matchflow/testing';
import { and, eq, sql } from 'drizzle-orm';
import { expect, vi } from 'vitest';
import { runStages } from '../../support/run-stages.js';
import { FROM_SOURCE, spawnNode } from '../../support/spawn-node.js';

/*
 * The chaos suite's fleet: the replay upstream, a PostgreSQL database of the test file's own, a
 * Redis key prefix of its own (on the shared server, or on a private redis-server the test owns),
 * and real worker processes (apps/worker) started, killed and restarted by the test.
 *
 * Every scenario ends by comparing with `cleanReference`: the same scope run once, without
 * faults, into a database of its own. Equal content hashes mean the published data is the same
 * byte for byte; equal zone fingerprints mean nothing was lost or written twice on the way.
 */

export const serverUrl = process.env.TEST_DATABASE_URL;

const WORKER_MAIN = fileURLToPath(new URL('../../../apps/worker/src/main.ts', import.meta.url));
const SCHEDULER_MAIN = fileURLToPath(new URL('../../../apps/scheduler/src/main.ts', import.meta.url));
const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';
const quietLogger = createLogger({ service: 'chaos-test', level: 'silent' });

/** The Demo Cup: 15 knockout matches a season, small enough to run many times a file. */
export const CUP = { competitionId: 'demo-cup', source: 'sofascore', competition: '1002' } as const;

export interface ChaosFleetOptions {
  /** Goes into the database name and the Redis prefix. */
  label: string;
  /** Redis the fleet uses (default: the shared test server, under a prefix of the file's own). */
  redisUrl?: string;
  /** Settings merged over the chaos defaults (top-level keys replace the defaults' keys). */
  settings?: (replay: ReplayServer) => Record<string, unknown>;
}

export interface FleetProcess {
  child: ChildProcess;
  /** Resolves when the process has exited: its code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

export interface ZoneFingerprint {
  /** Row count per `schema.table` of the core, ratings and curated zones. */
  rows: Record<string, number>;
  /** Raw payloads kept (content-deduplicated), and how many of them are quarantined. */
  rawPayloads: number;
  quarantined: number;
  /** Every stored match rating (pre/post both sides) and current rating, in a stable order. */
  ratings: string;
}

export interface CleanReference {
  contentHash: string;
  fingerprint: ZoneFingerprint;
}

/** The chaos fleet's `sofascore` source: the replay, a generous budget, quick retries and breaker. */
export function chaosSourceSettings(replay: ReplayServer): Record<string, unknown> {
  return {
    kind: 'sofascore',
    baseUrl: replay.apiUrl,
    rateLimit: { requestsPerInterval: 200, intervalMs: 1000, maxConcurrent: 8 },
    retry: { attempts: 4, backoffMs: 100, maxBackoffMs: 1000 },
    breaker: { consecutiveFailures: 5, cooldownMs: 1000 },
  };
}

/** Defaults every chaos file starts from: fast stall detection, small batches, retries that span faults. */
function chaosSettings(replay: ReplayServer, prefix: string, publishDir: string): Record<string, unknown> {
  return {
    logLevel: 'info',
    redis: { prefix },
    publishDir,
    sources: { sofascore: chaosSourceSettings(replay) },
    // Batches of 4: a cup season's ratings commit in several transactions, so a crash can land
    // between two of them.
    ratingPools: { football: { batchSize: 4 } },
    competitions: [
      { id: CUP.competitionId, source: CUP.source, competition: 1002, seasons: [50011, 50012], ratingPool: 'football' },
    ],
    workers: {
      concurrency: { ingest: 2 },
      shutdownTimeoutMs: 15_000,
      lockDurationMs: 3_000,
      stalledIntervalMs: 1_500,
    },
  };
}

export class ChaosFleet {
  readonly processes: FleetProcess[] = [];
  private constructor(
    readonly replay: ReplayServer,
    readonly database: TestDatabase,
    readonly databaseUrl: string,
    readonly redisUrl: string,
    readonly prefix: string,
    readonly workDir: string,
    readonly publishDir: string,
    readonly settings: Record<string, unknown>,
    readonly config: Config,
    private readonly redis: TestRedis,
  ) {}

  static async start(options: ChaosFleetOptions): Promise<ChaosFleet> {
    if (!serverUrl) throw new Error('the chaos suite needs TEST_DATABASE_URL');
    const replay = await startReplay({ port: 0, seed: 7 });
    const redis = testRedis(options.redisUrl, `chaos-${options.label}`);
    const workDir = mkdtempSync(path.join(tmpdir(), `matchflow-chaos-${options.label}-`));
    const publishDir = path.join(workDir, 'published');
    const settings = {
      ...chaosSettings(replay, redis.prefix, publishDir),
      ...(options.settings?.(replay) ?? {}),
    };
    let config: Config;
    try {
      // Checked before the database is made: a bad scenario setting leaves nothing behind.
      config = loadConfig({}, JSON.stringify(settings));
    } catch (error) {
      await replay.close();
      rmSync(workDir, { recursive: true, force: true });
      throw error;
    }
    writeFileSync(path.join(workDir, 'matchflow.yaml'), JSON.stringify(settings));
    const database = await createTestDatabase('postgres', { serverUrl, label: `chaos_${options.label}` });
    const url = new URL(serverUrl);
    url.pathname = `/${database.name}`;
    return new ChaosFleet(
      replay,
      database,
      url.toString(),
      options.redisUrl ?? SHARED_REDIS_URL,
      redis.prefix,
      workDir,
      publishDir,
      settings,
      config,
      redis,
    );
  }

  /** A real worker process (`apps/worker`); `failpoints` arms MATCHFLOW_FAILPOINTS in it. */
  startWorker(options: { failpoints?: string; env?: Record<string, string> } = {}): FleetProcess {
    return this.spawnApp(WORKER_MAIN, {
      ...(options.failpoints ? { MATCHFLOW_FAILPOINTS: options.failpoints } : {}),
      ...options.env,
    });
  }

  /** A real scheduler process (`apps/scheduler`). */
  startScheduler(env: Record<string, string> = {}): FleetProcess {
    return this.spawnApp(SCHEDULER_MAIN, env);
  }

  private spawnApp(main: string, env: Record<string, string>): FleetProcess {
    const started = spawnNode([...FROM_SOURCE, main], {
      cwd: this.workDir,
      env: { DATABASE_URL: this.databaseUrl, REDIS_URL: this.redisUrl, ...env },
    });
    const fleetProcess: FleetProcess = { child: started.child, exited: started.ended, output: started.output };
    this.processes.push(fleetProcess);
    return fleetProcess;
  }

  /** SIGKILL whatever the test started and left running. */
  async killAll(): Promise<void> {
    const running = this.processes.splice(0).filter((started) => started.child.exitCode === null);
    for (const started of running) started.child.kill('SIGKILL');
    await Promise.all(running.map((started) => started.exited));
  }

  /** Start a run of a cup season the way `matchflow run` does (run row + discover job). */
  async trigger(season: string, mode: 'full' | 'changed' = 'full'): Promise<string> {
    const producer = new Producer({ connection: this.redis.connect(), prefix: this.prefix, config: this.config });
    try {
      const started = await triggerRun(
        { db: this.database.db, producer, config: this.config },
        { competitionId: CUP.competitionId, season, mode, trigger: 'cli' },
      );
      if (started.outcome !== 'started') throw new Error(`run not started: ${started.outcome}`);
      return started.runId;
    } finally {
      await producer.close();
    }
  }

  async run(runId: string): Promise<typeof ops.pipelineRuns.$inferSelect | undefined> {
    const [run] = await this.database.db.select().from(ops.pipelineRuns).where(eq(ops.pipelineRuns.runId, runId));
    return run;
  }

  /** Wait until the run is closed (any status but running) and return it. */
  async finishedRun(runId: string, timeout = 90_000): Promise<typeof ops.pipelineRuns.$inferSelect> {
    let run: typeof ops.pipelineRuns.$inferSelect | undefined;
    await vi.waitFor(
      async () => {
        run = await this.run(runId);
        expect(run?.status ?? 'running').not.toBe('running');
      },
      { timeout, interval: 250 },
    );
    return run as typeof ops.pipelineRuns.$inferSelect;
  }

  /** The run's stage rows of one stage. */
  async stages(runId: string, stage: string) {
    return this.database.db
      .select()
      .from(ops.stageRuns)
      .where(and(eq(ops.stageRuns.runId, runId), eq(ops.stageRuns.stage, stage)));
  }

  /**
   * What consumers see: the version `latest` names, after checking that its files match its
   * manifest (a half-written snapshot must never be latest), and its content hash.
   */
  async latestSnapshot(): Promise<{ version: string; contentHash: string } | undefined> {
    const version = await readLatestVersion(this.publishDir);
    if (!version) return undefined;
    expect(await verifySnapshotDirectory(this.publishDir, version), `latest ${version} is intact`).toEqual([]);
    const manifest = JSON.parse(readFileSync(path.join(this.publishDir, version, 'manifest.json'), 'utf8')) as {
      content_hash: string;
    };
    return { version, contentHash: manifest.content_hash };
  }

  /** The ops.snapshots row marked latest. */
  async latestRow() {
    const [row] = await this.database.db.select().from(ops.snapshots).where(eq(ops.snapshots.latest, true));
    return row;
  }

  /** Wait until at least `count` of the run's ingest jobs are done. */
  async waitForIngested(runId: string, count: number): Promise<void> {
    await vi.waitFor(
      async () => {
        const done = (await this.stages(runId, 'ingest')).filter((stage) => stage.status === 'ok');
        expect(done.length).toBeGreaterThanOrEqual(count);
      },
      { timeout: 60_000, interval: 50 },
    );
  }

  /**
   * Start a run of `season` with slow upstream answers (so that it stays under way long enough to
   * break something in the middle) and return once a few of its matches are ingested. Clear the
   * latency with `replay.faults.set({})` when the scenario no longer needs it.
   */
  async runUnderWay(season: string): Promise<string> {
    this.replay.faults.set({ latency: { baseMs: 120, jitterMs: 60 } });
    const runId = await this.trigger(season);
    await this.waitForIngested(runId, 3);
    return runId;
  }

  /** For `afterEach`: when the scenario failed, print what its processes said last. */
  reportOnFailure(context: { task: { result?: { state?: string } } }): void {
    if (context.task.result?.state !== 'fail') return;
    for (const started of this.processes) {
      console.info(`[chaos] output of pid ${started.child.pid}:\n${started.output().slice(-6_000)}`);
    }
  }

  async close(): Promise<void> {
    await this.killAll();
    await this.replay.close();
    await this.database.dispose();
    await this.redis.cleanup();
    rmSync(this.workDir, { recursive: true, force: true });
  }
}

/**
 * The same seasons run once, cleanly (no faults, no crash, one process), into a database of their
 * own: the state every chaos scenario must converge to. Runs against the fleet's replay, so call
 * it before injecting faults (or after clearing them).
 */
export async function cleanReference(fleet: ChaosFleet, seasons: readonly string[]): Promise<CleanReference> {
  const reference = await createTestDatabase('postgres', { serverUrl, label: 'chaos_reference' });
  const publishDir = mkdtempSync(path.join(tmpdir(), 'matchflow-chaos-reference-'));
  const redis = testRedis(undefined, 'chaos-reference');
  const config = loadConfig({}, JSON.stringify({ ...fleet.settings, publishDir, redis: { prefix: redis.prefix } }));
  const client = new SourceClient({
    name: CUP.source,
    settings: config.sources[CUP.source] as Config['sources'][string],
    redis: redis.connect(),
    prefix: redis.prefix,
    logger: quietLogger,
  });
  try {
    let contentHash = '';
    for (const season of seasons) {
      const run = await runStages(
        { db: reference.db, fetcher: client, config, logger: quietLogger },
        { ...CUP, season },
      );
      if (run.published?.status === 'blocked') throw new Error('the clean reference run was blocked');
      contentHash = run.published?.contentHash ?? contentHash;
    }
    return { contentHash, fingerprint: await zoneFingerprint(reference.db) };
  } finally {
    await client.close();
    await redis.cleanup();
    await reference.dispose();
    rmSync(publishDir, { recursive: true, force: true });
  }
}

/** Row counts of the data zones and every rating, to compare a chaos run with the clean one. */
export async function zoneFingerprint(db: Db): Promise<ZoneFingerprint> {
  const tables = await db.execute<{ schema: string; name: string }>(sql`
    SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
    WHERE table_schema IN ('core', 'ratings', 'curated') AND table_type = 'BASE TABLE'
    ORDER BY 1, 2`);
  const rows: Record<string, number> = {};
  for (const table of tables as unknown as { schema: string; name: string }[]) {
    const [counted] = (await db.execute(
      sql`SELECT count(*)::int AS n FROM ${sql.identifier(table.schema)}.${sql.identifier(table.name)}`,
    )) as unknown as { n: number }[];
    rows[`${table.schema}.${table.name}`] = counted?.n ?? 0;
  }
  const [raw] = (await db.execute(sql`
    SELECT count(*)::int AS payloads, count(*) FILTER (WHERE quarantined)::int AS quarantined
    FROM raw.payloads`)) as unknown as { payloads: number; quarantined: number }[];
  const ratingRows = (await db.execute(sql`
    SELECT string_agg(line, E'\n' ORDER BY line) AS dump FROM (
      SELECT concat_ws(' ', 'match', pool_id, match_id, home_pre, away_pre, home_post, away_post, expected_home) AS line
        FROM ratings.match_ratings
      UNION ALL
      SELECT concat_ws(' ', 'current', pool_id, participant_id, rating, games) FROM ratings.current_ratings
    ) lines`)) as unknown as { dump: string | null }[];
  return {
    rows,
    rawPayloads: raw?.payloads ?? 0,
    quarantined: raw?.quarantined ?? 0,
    ratings: ratingRows[0]?.dump ?? '',
  };
}

/** `cleanReference` on a fleet of its own, closed afterwards (for a file's `beforeAll`). */
export async function referenceRun(label: string, seasons: readonly string[]): Promise<CleanReference> {
  const fleet = await ChaosFleet.start({ label });
  try {
    return await cleanReference(fleet, seasons);
  } finally {
    await fleet.close();
  }
}

/**
 * The end state equals the clean run's: the published bytes (and `latest` intact and agreeing
 * with its row), every data zone's rows, every rating, the raw payloads (beyond `quarantined`
 * ones the scenario caused), and no snapshot directory without its row.
 */
export async function expectConverged(
  chaos: ChaosFleet,
  reference: CleanReference,
  options: { quarantined?: number } = {},
): Promise<void> {
  const latest = await chaos.latestSnapshot();
  expect(latest?.contentHash).toBe(reference.contentHash);
  expect((await chaos.latestRow())?.version).toBe(latest?.version);
  const fingerprint = await zoneFingerprint(chaos.database.db);
  expect(fingerprint.rows).toEqual(reference.fingerprint.rows);
  expect(fingerprint.ratings).toBe(reference.fingerprint.ratings);
  expect(fingerprint.quarantined).toBe(options.quarantined ?? 0);
  expect(fingerprint.rawPayloads - fingerprint.quarantined).toBe(reference.fingerprint.rawPayloads);
  const rows = await chaos.database.db.select({ version: ops.snapshots.version }).from(ops.snapshots);
  const directories = readdirSync(chaos.publishDir).filter((entry) => entry !== 'latest');
  expect(directories.sort()).toEqual(rows.map((row) => row.version).sort());
}
