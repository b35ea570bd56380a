import { performance } from 'node:perf_hooks';
import { createRedis } from '@matchflow/queues';
import { type ReplayServer, startReplay } from '@matchflow/replay';
import { Queue, Worker } from 'bullmq';
import { Pool } from 'undici';
import { type BenchEnv, BenchFleet, type CpuSpent, cpuSpent, deleteKeys, leagueSettings } from './fleet.js';

/*
 * Unthrottled end to end: a season of the Demo League (380 matches) through discover -> ingest
 * -> ratings -> build + publish, against the replay with no budget and no latency, so the
 * pipeline's own cost is what is measured. On PostgreSQL with 1 and 2 real worker processes, and
 * on the embedded PGlite with the Fleet inside this process (PGlite cannot be shared by
 * processes). The floors, measured in the same run: BullMQ's no-op job rate, and raw HTTP
 * against the replay.
 */

export interface EndToEndScenario {
  backend: 'postgres' | 'pglite';
  /** Worker processes (postgres); 1 for pglite, whose Fleet runs in this process. */
  processes: number;
}

export interface EndToEndOptions {
  scenarios: EndToEndScenario[];
  season: string;
  /** Jobs each process runs at once on the ingest queue (the default setting). */
  ingestConcurrency: number;
  noopJobs: number;
  httpMs: number;
}

export interface StageTimes {
  discoverMs: number;
  /** First ingest started to last ingest finished. */
  ingestMs: number;
  ratingsMs: number;
  buildMs: number;
  publishMs: number;
}

export interface EndToEndFigures extends EndToEndScenario {
  matches: number;
  runMs: number;
  matchesPerSec: number;
  /** Queue jobs per match: one ingest each, plus the run's discover, ratings and build. */
  jobsPerMatch: number;
  /** jobsPerMatch / no-op job rate, as a share of the wall time per match. */
  queueOverheadShare: number;
  stages: StageTimes;
  /** CPU time spent during the run by the worker processes, the database's backends, Redis and this process. */
  cpu: CpuSpent;
  status: string;
}

export interface EndToEndResult {
  /** No-op BullMQ jobs per second, one Worker in this process at the ingest concurrency. */
  noopJobsPerSec: number;
  /** GET event/{id} + JSON.parse per second against the replay (undici Pool, 16 at once, this process). */
  rawHttpPerSec: number;
  scenarios: EndToEndFigures[];
}

export const END_TO_END_DEFAULTS: EndToEndOptions = {
  scenarios: [
    { backend: 'postgres', processes: 1 },
    { backend: 'postgres', processes: 2 },
    { backend: 'pglite', processes: 1 },
  ],
  season: '50001',
  ingestConcurrency: 8,
  noopJobs: 20_000,
  httpMs: 2_000,
};

/** BullMQ's floor: a Worker doing nothing, on a throwaway queue under the bench prefix, draining `jobs`. */
export async function noopJobRate(env: BenchEnv, jobs: number, concurrency: number): Promise<number> {
  const prefix = `${env.prefix}:noop`;
  const client = createRedis(env.redisUrl, 'client');
  const queue = new Queue('noop', { connection: client, prefix });
  // A connection handed to a Worker is not closed by it.
  const workerConnection = createRedis(env.redisUrl, 'worker');
  let worker: Worker | undefined;
  try {
    for (let first = 0; first < jobs; first += 1_000) {
      await queue.addBulk(
        Array.from({ length: Math.min(1_000, jobs - first) }, (_unused, index) => ({
          name: 'noop',
          data: { index: first + index },
          // As the pipeline's jobs are: finished ones trimmed by count.
          opts: { removeOnComplete: { count: 1_000 } },
        })),
      );
    }
    let completed = 0;
    let drained: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      drained = resolve;
    });
    const started = performance.now();
    worker = new Worker('noop', async () => undefined, {
      connection: workerConnection,
      prefix,
      concurrency,
    });
    worker.on('completed', () => {
      completed += 1;
      if (completed === jobs) drained();
    });
    await done;
    return jobs / ((performance.now() - started) / 1_000);
  } finally {
    await worker?.close();
    await queue.close();
    workerConnection.disconnect();
    client.disconnect();
    await deleteKeys(env.redisUrl, prefix);
  }
}

/** The HTTP floor: undici `Pool.request` + JSON.parse of `event/{id}` against the replay, for `durationMs`. */
export async function rawHttpRate(replay: ReplayServer, durationMs: number, concurrency = 16): Promise<number> {
  const listing = (await (
    await fetch(`${replay.apiUrl}/unique-tournament/1001/season/50001/events/last/0`)
  ).json()) as {
    events: Array<{ id: number }>;
  };
  const ids = listing.events.map((event) => event.id);
  const pool = new Pool(replay.url, { connections: concurrency });
  let requests = 0;
  try {
    const started = performance.now();
    const end = started + durationMs;
    await Promise.all(
      Array.from({ length: concurrency }, async (_unused, lane) => {
        for (let next = lane; performance.now() < end; next += concurrency) {
          const response = await pool.request({ method: 'GET', path: `/api/v1/event/${ids[next % ids.length]}` });
          JSON.parse(await response.body.text());
          requests += 1;
        }
      }),
    );
    return requests / ((performance.now() - started) / 1_000);
  } finally {
    await pool.close();
  }
}

function stageTimes(rows: Awaited<ReturnType<BenchFleet['stages']>>): StageTimes {
  const of = (stage: string) => rows.filter((row) => row.stage === stage);
  const duration = (stage: string) => of(stage).reduce((sum, row) => sum + (row.durationMs ?? 0), 0);
  const ingests = of('ingest');
  const firstStart = Math.min(...ingests.map((row) => row.startedAt.getTime()));
  const lastFinish = Math.max(...ingests.map((row) => row.finishedAt?.getTime() ?? 0));
  return {
    discoverMs: duration('discover'),
    ingestMs: ingests.length > 0 ? lastFinish - firstStart : 0,
    ratingsMs: duration('ratings'),
    buildMs: duration('build'),
    publishMs: duration('publish'),
  };
}

export async function benchEndToEnd(
  env: BenchEnv,
  options: EndToEndOptions = END_TO_END_DEFAULTS,
): Promise<EndToEndResult> {
  const replay = await startReplay({ port: 0, seed: 7 });
  try {
    const noopJobsPerSec = await noopJobRate(env, options.noopJobs, options.ingestConcurrency);
    const rawHttpPerSec = await rawHttpRate(replay, options.httpMs);
    const scenarios: EndToEndFigures[] = [];
    for (const scenario of options.scenarios) {
      if (scenario.backend === 'postgres' && !env.postgresUrl) continue;
      const fleet = await BenchFleet.start(env, {
        label: `e2e-${scenario.backend}-${scenario.processes}w`,
        backend: scenario.backend,
        processes: scenario.processes,
        settings: {
          // No budget to speak of: the limiter still decides every request (two Redis scripts).
          ...leagueSettings(replay, { requestsPerInterval: 1_000_000, maxConcurrent: 256 }),
          workers: { concurrency: { ingest: options.ingestConcurrency } },
        },
      });
      try {
        const cpuBefore = await fleet.cpuSample();
        const { runId, triggeredAt } = await fleet.trigger(options.season, 'full');
        const run = await fleet.waitClosed(runId, 300_000);
        const cpu = cpuSpent(cpuBefore, await fleet.cpuSample());
        const runMs = run.closedAt - triggeredAt;
        const matches = Number((run.counters as { matches?: number }).matches ?? 0);
        const rows = await fleet.stages(runId);
        const jobs = rows.filter((row) => row.stage === 'ingest').length + 3;
        const jobsPerMatch = jobs / Math.max(1, matches);
        const msPerMatch = runMs / Math.max(1, matches);
        scenarios.push({
          ...scenario,
          matches,
          runMs,
          matchesPerSec: matches / (runMs / 1_000),
          jobsPerMatch,
          queueOverheadShare: (jobsPerMatch * (1_000 / noopJobsPerSec)) / msPerMatch,
          stages: stageTimes(rows),
          cpu,
          status: run.status,
        });
      } finally {
        await fleet.close();
      }
    }
    return { noopJobsPerSec, rawHttpPerSec, scenarios };
  } finally {
    await replay.close();
  }
}
