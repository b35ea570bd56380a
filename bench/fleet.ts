import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type Config, loadConfig } from '@matchflow/config';
import { type Db, migrate, openPglite, ops } from '@matchflow/db';
import { createTestDatabase, type TestDatabase } from '@matchflow/db/testing';
import { Fleet, triggerRun } from '@matchflow/pipeline';
import { createRedis, Producer, type QueueName } from '@matchflow/queues';
import type { ReplayServer } from '@matchflow/replay';
import { createLogger } from '@matchflow/telemetry';
import { Queue } from 'bullmq';
import { eq, sql } from 'drizzle-orm';
import { Redis } from 'ioredis';

/*
 * The fleet benchmarks' harness: a matchflow fleet of real worker processes (the built
 * apps/worker, as deployed) over a PostgreSQL database of its own and a Redis key prefix of its
 * own, or one Fleet inside this process over an embedded PGlite. Whatever it starts it stops:
 * worker processes are killed, the database dropped, the Redis keys under its prefix deleted —
 * on failure and on Ctrl-C too.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKER_DIST = path.join(ROOT, 'apps', 'worker', 'dist', 'main.js');
const WORKER_SOURCE = path.join(ROOT, 'apps', 'worker', 'src', 'main.ts');

/** Where the fleet benchmarks run: read once by bench/run.ts. */
export interface BenchEnv {
  redisUrl: string;
  /** A PostgreSQL server URL; each fleet creates (and drops) a database of its own beside it. */
  postgresUrl: string | undefined;
  /** Redis key prefix of this `npm run bench`; each fleet takes a sub-prefix of it. */
  prefix: string;
}

/** The benchmarks' competition: the replay's Demo League, 380 matches a season. */
export const LEAGUE = { id: 'demo-league', competition: 1001, seasons: [50001, 50002, 50003] } as const;
/** The replay's Demo Cup, 15 matches a season: for the harness's smoke test. */
export const CUP = { id: 'demo-cup', competition: 1002, seasons: [50011, 50012, 50013] } as const;

const quiet = createLogger({ service: 'bench', level: 'silent' });

/** Delete every key under `prefix:` (SCAN + DEL): nothing else on the server is touched. */
export async function deleteKeys(redisUrl: string, prefix: string): Promise<number> {
  const admin = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) deleted += await admin.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    admin.disconnect();
  }
  return deleted;
}

/* Every worker process still running, killed if this process exits in any way. */
const liveChildren = new Set<ChildProcess>();
/* Every fleet not yet closed, closed on Ctrl-C / SIGTERM before exiting. */
const openFleets = new Set<BenchFleet>();
let signalled = false;

let guarded = false;

/** Once, at the first fleet: kill worker processes on any exit; on Ctrl-C / SIGTERM, close the fleets first. */
function guardProcess(): void {
  if (guarded) return;
  guarded = true;
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (signalled) process.exit(130);
      signalled = true;
      console.error(`[bench] ${signal}: stopping worker processes, dropping databases, deleting Redis keys`);
      // Stopping workers mid-publish takes up to 10 s, then dropping a large database and
      // deleting tens of thousands of keys (a backfill at scale): 20 s was not enough.
      const deadline = sleep(90_000, undefined, { ref: false });
      void Promise.race([Promise.allSettled([...openFleets].map((fleet) => fleet.close())), deadline]).finally(() =>
        process.exit(130),
      );
    });
  }
}

export interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** The last 20,000 characters it wrote (stdout and stderr). */
  output(): string;
}

/**
 * Arrival times (performance.now(), ms) of the upstream requests the replay receives from now on:
 * the replay's accounting gives counts and peaks, the benchmarks also need the first and last.
 */
export function recordArrivals(replay: ReplayServer): { arrivals: number[]; reset(): void } {
  const recorder = { arrivals: [] as number[], reset: () => recorder.arrivals.splice(0) };
  const begin = replay.accounting.begin.bind(replay.accounting);
  replay.accounting.begin = (endpoint: string) => {
    recorder.arrivals.push(performance.now());
    return begin(endpoint);
  };
  return recorder;
}

export interface FleetSpec {
  /** Goes into the Redis prefix, the database name and the work directory. */
  label: string;
  /** `postgres`: `processes` worker processes; `pglite`: one Fleet inside this process. */
  backend: 'postgres' | 'pglite';
  processes: number;
  /** matchflow settings (sources, competitions, ratingPools, workers, ...); redis, database and paths are added. */
  settings: Record<string, unknown>;
}

export type RunRow = typeof ops.pipelineRuns.$inferSelect;

/** CPU time (user + system, ms) spent by each part of a fleet, cumulative: diff two with `cpuSpent`. */
export interface CpuSample {
  /** Per process id: the worker processes, and the PostgreSQL backends serving the fleet's database. */
  workers: Map<number, number>;
  postgres: Map<number, number>;
  /** The Redis server as a whole (INFO cpu), which other clients may share. */
  redisMs: number;
  /** This process: the replay upstream, the bench's polling, and an in-process Fleet. */
  benchMs: number;
}

export interface CpuSpent {
  workersMs: number;
  postgresMs: number;
  redisMs: number;
  benchMs: number;
}

/** Linux's USER_HZ: /proc reports CPU time in these ticks (100 on every mainstream kernel). */
const CLOCK_TICKS_PER_SEC = 100;

/** CPU time (user + system, ms) of a local process, from /proc; undefined where unreadable (not Linux, not local). */
function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (command) ": state is field 3, utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1_000) / CLOCK_TICKS_PER_SEC;
  } catch {
    return undefined;
  }
}

/** What each part spent between two samples (a process that appeared in between counts whole). */
export function cpuSpent(before: CpuSample, after: CpuSample): CpuSpent {
  const spent = (first: Map<number, number>, second: Map<number, number>) =>
    [...second].reduce((sum, [pid, ms]) => sum + ms - (first.get(pid) ?? 0), 0);
  return {
    workersMs: spent(before.workers, after.workers),
    postgresMs: spent(before.postgres, after.postgres),
    redisMs: after.redisMs - before.redisMs,
    benchMs: after.benchMs - before.benchMs,
  };
}

/** The Demo League (and Cup) on the replay, rated in a `football` pool: what every fleet benchmark runs. */
export function leagueSettings(
  replay: ReplayServer,
  rateLimit: { requestsPerInterval: number; maxConcurrent: number; sendGuardMs?: number },
): Record<string, unknown> {
  return {
    logLevel: 'warn',
    sources: {
      sofascore: {
        kind: 'sofascore',
        baseUrl: replay.apiUrl,
        rateLimit: { ...rateLimit, intervalMs: 1_000 },
        retry: { attempts: 5, backoffMs: 200, maxBackoffMs: 2_000 },
      },
    },
    ratingPools: { football: { preset: 'football', homeAdvantage: 65 } },
    competitions: [LEAGUE, CUP].map((competition) => ({
      id: competition.id,
      source: 'sofascore',
      competition: competition.competition,
      seasons: [...competition.seasons],
      ratingPool: 'football',
    })),
  };
}

/** A running fleet: trigger runs, wait for them to close, read their rows; `close()` removes it all. */
export class BenchFleet {
  readonly workers: WorkerProcess[] = [];
  private inProcess: Fleet | undefined;
  private closed = false;

  private constructor(
    readonly spec: FleetSpec,
    readonly env: BenchEnv,
    readonly prefix: string,
    readonly workDir: string,
    readonly config: Config,
    readonly database: TestDatabase,
    private readonly redis: Redis,
    readonly producer: Producer,
  ) {}

  get db(): Db {
    return this.database.db;
  }

  /** Create the database, write the config, start the workers and wait until they listen on their queues. */
  static async start(env: BenchEnv, spec: FleetSpec): Promise<BenchFleet> {
    if (spec.backend === 'postgres' && !env.postgresUrl) throw new Error('a postgres fleet needs a server URL');
    guardProcess();
    const prefix = `${env.prefix}:${spec.label}`;
    const workDir = mkdtempSync(path.join(os.tmpdir(), `matchflow-bench-${spec.label}-`));
    const settings = {
      ...spec.settings,
      redis: { url: env.redisUrl, prefix },
      dataDir: path.join(workDir, 'data'),
      publishDir: path.join(workDir, 'published'),
    };
    let database: TestDatabase | undefined;
    let redis: Redis | undefined;
    let fleet: BenchFleet | undefined;
    try {
      const config = loadConfig({}, JSON.stringify(settings));
      writeFileSync(path.join(workDir, 'matchflow.yaml'), JSON.stringify(settings));
      if (spec.backend === 'postgres') {
        database = await createTestDatabase('postgres', { serverUrl: env.postgresUrl, label: `bench_${spec.label}` });
      } else {
        const embedded = await openPglite(path.join(workDir, 'pglite'));
        await migrate(embedded);
        database = { ...embedded, name: undefined, dispose: () => embedded.close() };
      }
      redis = createRedis(env.redisUrl, 'client');
      const producer = new Producer({ connection: redis, prefix, config });
      fleet = new BenchFleet(spec, env, prefix, workDir, config, database, redis, producer);
      openFleets.add(fleet);
      await fleet.startWorkers();
      return fleet;
    } catch (error) {
      if (fleet) {
        await fleet.close();
      } else {
        // Failed before the fleet existed: undo what was made so far.
        await database?.dispose().catch(() => undefined);
        redis?.disconnect();
        await deleteKeys(env.redisUrl, prefix).catch(() => undefined);
        rmSync(workDir, { recursive: true, force: true });
      }
      throw error;
    }
  }

  private async startWorkers(): Promise<void> {
    if (this.spec.backend === 'pglite') {
      this.inProcess = Fleet.start({ config: this.config, db: this.db, logger: quiet });
    } else {
      for (let index = 0; index < this.spec.processes; index += 1) this.workers.push(this.spawnWorker());
    }
    await this.waitForListeners();
  }

  private spawnWorker(): WorkerProcess {
    const databaseUrl = new URL(this.env.postgresUrl as string);
    databaseUrl.pathname = `/${this.database.name}`;
    // The built worker, as deployed; from source (tsx) when bench modules run without a build.
    const args = existsSync(WORKER_DIST)
      ? [WORKER_DIST]
      : ['--conditions=matchflow-source', '--import', import.meta.resolve('tsx'), WORKER_SOURCE];
    // e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where a worker's time goes (docs/performance.md).
    const { MATCHFLOW_BENCH_WORKER_NODE_ARGS } = process.env;
    args.unshift(...(MATCHFLOW_BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? []));
    const child = spawn(process.execPath, args, {
      cwd: this.workDir,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl.toString(), REDIS_URL: this.env.redisUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    liveChildren.add(child);
    let output = '';
    const keep = (chunk: unknown) => {
      output = (output + String(chunk)).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => {
        liveChildren.delete(child);
        resolve(code);
      }),
    );
    return { child, exited, output: () => output };
  }

  /** Until every process has a BullMQ worker on each pipeline queue (each registers a named Redis client). */
  private async waitForListeners(timeoutMs = 60_000): Promise<void> {
    const expected = this.spec.backend === 'pglite' ? 1 : this.spec.processes;
    const names: QueueName[] = ['discover', 'ingest', 'ratings', 'build'];
    const queues = names.map((name) => new Queue(name, { connection: this.redis, prefix: this.prefix }));
    try {
      const started = performance.now();
      for (;;) {
        const counts = await Promise.all(queues.map((queue) => queue.getWorkersCount()));
        if (counts.every((count) => count >= expected)) return;
        const dead = this.workers.find((worker) => worker.child.exitCode !== null);
        if (dead) throw new Error(`a worker process exited (${dead.child.exitCode}) on start:\n${dead.output()}`);
        if (performance.now() - started > timeoutMs) {
          throw new Error(
            `workers not listening after ${timeoutMs} ms:\n${this.workers.map((worker) => worker.output()).join('\n')}`,
          );
        }
        await sleep(50);
      }
    } finally {
      // The queues share the fleet's client connection, which close() leaves open.
      await Promise.all(queues.map((queue) => queue.close()));
    }
  }

  /** Start a run of a season (of the Demo League by default) as `matchflow run` does; returns its id and when it was asked for. */
  async trigger(
    season: string,
    mode: 'full' | 'changed',
    competitionId: string = LEAGUE.id,
  ): Promise<{ runId: string; triggeredAt: number }> {
    const triggeredAt = performance.now();
    const started = await triggerRun(
      { db: this.db, producer: this.producer, config: this.config },
      { competitionId, season, mode, trigger: 'cli' },
    );
    if (started.outcome !== 'started') throw new Error(`run of season ${season} not started: ${started.outcome}`);
    return { runId: started.runId, triggeredAt };
  }

  /** Poll the run row until it is closed; `closedAt` is when this process saw it closed (performance.now()). */
  async waitClosed(runId: string, timeoutMs: number, pollMs = 25): Promise<RunRow & { closedAt: number }> {
    const started = performance.now();
    for (;;) {
      const [run] = await this.db.select().from(ops.pipelineRuns).where(eq(ops.pipelineRuns.runId, runId));
      if (run && run.status !== 'running') return { ...run, closedAt: performance.now() };
      const dead = this.workers.find((worker) => worker.child.exitCode !== null);
      if (dead)
        throw new Error(`a worker process exited (${dead.child.exitCode}) during run ${runId}:\n${dead.output()}`);
      if (performance.now() - started > timeoutMs) {
        throw new Error(
          `run ${runId} still running after ${timeoutMs} ms:\n${this.workers.map((worker) => worker.output().slice(-3_000)).join('\n')}`,
        );
      }
      await sleep(pollMs);
    }
  }

  /** Cumulative CPU time of the fleet's parts now (see `cpuSpent`). */
  async cpuSample(): Promise<CpuSample> {
    const workers = new Map<number, number>();
    for (const worker of this.workers) {
      const ms = processCpuMs(worker.child.pid);
      if (ms !== undefined && worker.child.pid !== undefined) workers.set(worker.child.pid, ms);
    }
    const postgres = new Map<number, number>();
    if (this.database.backend === 'postgres') {
      const backends = (await this.db.execute(
        sql`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`,
      )) as unknown as Array<{ pid: number }>;
      for (const { pid } of backends) {
        const ms = processCpuMs(pid);
        if (ms !== undefined) postgres.set(pid, ms);
      }
    }
    const info = await this.redis.info('cpu');
    const seconds = (key: string) => Number(new RegExp(`^${key}:(\\S+)`, 'm').exec(info)?.[1] ?? 0);
    const usage = process.cpuUsage();
    return {
      workers,
      postgres,
      redisMs: (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1_000,
      benchMs: (usage.user + usage.system) / 1_000,
    };
  }

  /** The run's stage rows. */
  async stages(runId: string) {
    return this.db.select().from(ops.stageRuns).where(eq(ops.stageRuns.runId, runId));
  }

  /** Stop the workers (SIGTERM, SIGKILL after 10 s), drop the database, delete the Redis keys, remove files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const steps: Array<() => Promise<unknown>> = [
      async () => {
        for (const worker of this.workers) if (worker.child.exitCode === null) worker.child.kill('SIGTERM');
        const all = Promise.all(this.workers.map((worker) => worker.exited));
        if ((await Promise.race([all.then(() => 'done'), sleep(10_000, 'timeout', { ref: false })])) === 'timeout') {
          for (const worker of this.workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
          await all;
        }
      },
      async () => this.inProcess?.stop(10_000),
      async () => this.producer.close(),
      async () => this.redis.quit().catch(() => this.redis.disconnect()),
      async () => this.database.dispose(),
      async () => deleteKeys(this.env.redisUrl, this.prefix),
      async () => rmSync(this.workDir, { recursive: true, force: true }),
    ];
    const failures: unknown[] = [];
    for (const step of steps) {
      try {
        await step();
      } catch (error) {
        failures.push(error);
      }
    }
    openFleets.delete(this);
    if (failures.length > 0) console.error('[bench] cleaning up a fleet:', failures);
  }
}

/** The median of some numbers (the upper one of an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}
