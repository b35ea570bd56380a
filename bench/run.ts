import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { BACKFILL_DEFAULTS, benchBackfill } from './backfill.js';
import { benchCorrection } from './correction.js';
import { benchDashboard } from './dashboard.js';
import { benchEndToEnd } from './end-to-end.js';
import { benchEngine } from './engine.js';
import type { BenchEnv } from './fleet.js';
import { deleteKeys } from './fleet.js';
import { benchHourly } from './hourly.js';
import { benchPublish } from './publish.js';
import { benchUpstream } from './upstream.js';

/*
 * `npm run bench [-- NAME...]`: measures on this machine and writes bench/results/<timestamp>.json
 * plus a table. Benchmarks are not tests: nothing here passes or fails on a timing.
 * docs/performance.md explains the figures. NAMEs pick benchmarks (default: all of them).
 *
 * The fleet benchmarks (upstream, end-to-end, hourly, correction, backfill) use Redis at REDIS_URL (default
 * redis://127.0.0.1:6379) under a key prefix of this run's own, deleted afterwards, and a
 * PostgreSQL server at MATCHFLOW_BENCH_DATABASE_URL or TEST_DATABASE_URL, on which each creates
 * and drops a database of its own; without one, what needs PostgreSQL is skipped.
 * MATCHFLOW_BENCH_BACKFILL_MATCHES sizes the backfill benchmark (default 10,000 matches).
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const INTERNATIONAL = path.join(ROOT, '..', 'shared', 'fixtures', 'international', 'results.csv');

interface Row {
  benchmark: string;
  figure: string;
  value: number;
  unit: string;
  goal?: string;
}

/** The machine, and the servers the fleet benchmarks use (their versions, as they answer). */
async function machine(env: BenchEnv) {
  const cpus = os.cpus();
  let redis = 'unavailable';
  const client = new Redis(env.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    redis = /^redis_version:(\S+)/m.exec(await client.info('server'))?.[1] ?? 'unknown';
  } catch {
    // Reported as unavailable; the fleet benchmarks will say why they failed.
  } finally {
    client.disconnect();
  }
  let postgresVersion = 'not configured (MATCHFLOW_BENCH_DATABASE_URL / TEST_DATABASE_URL)';
  if (env.postgresUrl) {
    const sqlClient = postgres(env.postgresUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
    try {
      const [row] = await sqlClient<{ version: string }[]>`SELECT version()`;
      postgresVersion = row?.version ?? 'unknown';
    } catch (error) {
      postgresVersion = `unavailable (${(error as Error).message})`;
    } finally {
      await sqlClient.end();
    }
  }
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    redis,
    postgres: postgresVersion,
    loadAverageAtStart: os.loadavg().map((load) => Number(load.toFixed(2))),
  };
}

function engineRows(): Row[] {
  return benchEngine().flatMap((figures) => [
    {
      benchmark: `engine (${figures.model})`,
      figure: 'rateColumns',
      value: Math.round(figures.columnsMatchesPerSecond),
      unit: 'matches/s',
      goal: '>= 5,000,000',
    },
    {
      benchmark: `engine (${figures.model})`,
      figure: 'rate (objects in and out)',
      value: Math.round(figures.objectsMatchesPerSecond),
      unit: 'matches/s',
    },
  ]);
}

/** `matchflow ratings rate` over the international results, as a user runs it (built CLI, one process). */
function ratingsRateRows(): Row[] {
  if (!existsSync(INTERNATIONAL)) {
    console.info(`[bench] ${INTERNATIONAL} not found: ratings rate skipped`);
    return [];
  }
  const work = mkdtempSync(path.join(os.tmpdir(), 'matchflow-bench-'));
  try {
    const input = path.join(work, 'results.csv');
    writeFileSync(
      input,
      execFileSync(process.execPath, ['scripts/international-results.mjs', INTERNATIONAL], {
        cwd: ROOT,
        maxBuffer: 1 << 26,
      }),
    );
    const params = path.join(work, 'params.json');
    writeFileSync(params, '{"preset":"football"}');
    const cli = path.join(ROOT, 'apps', 'cli', 'dist', 'main.js');
    const runs = Array.from({ length: 5 }, () => {
      const started = performance.now();
      const child = spawnSync(
        process.execPath,
        [cli, 'ratings', 'rate', '--input', input, '--params', params, '--out', path.join(work, 'rated.csv'), '--json'],
        { encoding: 'utf8' },
      );
      const wallMs = performance.now() - started;
      if (child.status !== 0) throw new Error(`ratings rate failed: ${child.stderr}`);
      return {
        wallMs,
        ...(JSON.parse(child.stdout) as {
          matches: number;
          elapsedMs: number;
          ratingMs: number;
          brier: number;
          logLoss: number;
        }),
      };
    });
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    const first = runs[0] as (typeof runs)[number];
    const name = `ratings rate (${first.matches} international results)`;
    return [
      {
        benchmark: name,
        figure: 'process wall time (median of 5)',
        value: Math.round(median(runs.map((run) => run.wallMs))),
        unit: 'ms',
        goal: 'well under 1,000',
      },
      {
        benchmark: name,
        figure: 'read + rate + write (median)',
        value: Math.round(median(runs.map((run) => run.elapsedMs))),
        unit: 'ms',
      },
      {
        benchmark: name,
        figure: 'rating alone (median)',
        value: Math.round(median(runs.map((run) => run.ratingMs))),
        unit: 'ms',
      },
      { benchmark: name, figure: 'Brier score', value: Number(first.brier.toFixed(5)), unit: '' },
      { benchmark: name, figure: 'log loss', value: Number(first.logLoss.toFixed(5)), unit: 'nats' },
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Publishing a snapshot of a large curated zone (embedded PGlite, files on the local disk). */
async function publishRows(): Promise<Row[]> {
  const figures = await benchPublish();
  const name = `publish (${figures.rows.toLocaleString('en-US')} rows, ${(figures.bytes / 2 ** 20).toFixed(1)} MiB of files)`;
  return [
    {
      benchmark: name,
      figure: 'stream tables to files + hash + fsync + record (median of 5)',
      value: Math.round(figures.publishMs),
      unit: 'ms',
    },
    {
      benchmark: name,
      figure: 'rows published per second',
      value: Math.round(figures.rows / (figures.publishMs / 1000)),
      unit: 'rows/s',
    },
    {
      benchmark: name,
      figure: 'unchanged data (stream + compare + remove)',
      value: Math.round(figures.unchangedMs),
      unit: 'ms',
    },
  ];
}

/** Upstream-bound throughput: 1, 2 and 4 worker processes within a budget of R requests/s. */
async function upstreamRows(env: BenchEnv, details: Record<string, unknown>): Promise<Row[]> {
  if (!env.postgresUrl) {
    console.info('[bench] upstream: needs PostgreSQL (worker processes cannot share PGlite): skipped');
    return [];
  }
  const figures = await benchUpstream(env);
  details.upstream = figures;
  return figures.flatMap((figure) => {
    const counting =
      figure.sendGuardMs === undefined ? 'counted to release' : `counted from send + ${figure.sendGuardMs} ms`;
    const name = `upstream-bound: R = ${figure.ratePerSec}/s, ${latencyText(figure.latency)}, ${figure.processes} worker process${figure.processes === 1 ? '' : 'es'}, ${counting}, ${figure.matches} matches`;
    return [
      {
        benchmark: name,
        figure: 'achieved requests/s (requests / (first to last arrival + 1 s))',
        value: round(figure.achievedPerSec, 1),
        unit: 'requests/s',
      },
      {
        benchmark: name,
        figure: 'efficiency (achieved / R)',
        value: round(figure.efficiency, 3),
        unit: '',
        goal: figure.processes >= 2 && figure.latency.baseMs + figure.latency.jitterMs > 0 ? '>= 0.97' : '',
      },
      {
        benchmark: name,
        figure: 'steady-state efficiency (busiest 10 s window / (10 s x R))',
        value: round(figure.steadyPerSec / figure.ratePerSec, 3),
        unit: '',
      },
      {
        benchmark: name,
        figure: 'most requests in any 1 s window',
        value: figure.peakRequestsPer1s,
        unit: 'requests',
        goal: `<= ${figure.ratePerSec}`,
      },
      {
        benchmark: name,
        figure: 'matches/s (trigger to run closed)',
        value: round(figure.matchesPerSec, 1),
        unit: 'matches/s',
      },
      { benchmark: name, figure: 'run time (trigger to run closed)', value: Math.round(figure.runMs), unit: 'ms' },
      {
        benchmark: name,
        figure: `ideal time: ${figure.requests.toLocaleString('en-US')} requests / R`,
        value: Math.round(figure.idealMs),
        unit: 'ms',
      },
    ];
  });
}

/** Unthrottled end to end on PostgreSQL (1 and 2 worker processes) and PGlite (in process), with the floors. */
async function endToEndRows(env: BenchEnv, details: Record<string, unknown>): Promise<Row[]> {
  if (!env.postgresUrl) console.info('[bench] end-to-end: no PostgreSQL configured: PGlite only');
  const result = await benchEndToEnd(env);
  details.endToEnd = result;
  const rows: Row[] = [
    {
      benchmark: 'floor: no-op BullMQ jobs (one Worker, concurrency 8, this process)',
      figure: 'jobs/s',
      value: Math.round(result.noopJobsPerSec),
      unit: 'jobs/s',
    },
    {
      benchmark: 'floor: raw HTTP against the replay (undici Pool, 16 at once, this process)',
      figure: 'GET event/{id} + JSON.parse per second',
      value: Math.round(result.rawHttpPerSec),
      unit: 'requests/s',
    },
  ];
  for (const figure of result.scenarios) {
    const where =
      figure.backend === 'postgres'
        ? `PostgreSQL, ${figure.processes} worker process${figure.processes === 1 ? '' : 'es'}`
        : 'PGlite, Fleet inside the bench process (single process)';
    const name = `end to end, unthrottled: ${where}, ${figure.matches} matches`;
    const perMatch = (ms: number) => (ms / Math.max(1, figure.matches)).toFixed(1);
    rows.push(
      {
        benchmark: name,
        figure: 'matches/s (trigger to run closed)',
        value: round(figure.matchesPerSec, 1),
        unit: 'matches/s',
        goal: figure.backend === 'postgres' && figure.processes === 2 ? '>= 500' : '',
      },
      { benchmark: name, figure: 'run time (trigger to run closed)', value: Math.round(figure.runMs), unit: 'ms' },
      {
        benchmark: name,
        figure: 'of which ingest (first ingest start to last ingest end)',
        value: Math.round(figure.stages.ingestMs),
        unit: 'ms',
      },
      {
        benchmark: name,
        figure: 'of which ratings + build + publish',
        value: Math.round(figure.stages.ratingsMs + figure.stages.buildMs + figure.stages.publishMs),
        unit: 'ms',
      },
      {
        benchmark: name,
        figure: `CPU per match: workers ${perMatch(figure.cpu.workersMs)}, PostgreSQL ${perMatch(figure.cpu.postgresMs)}, Redis ${perMatch(figure.cpu.redisMs)}, replay + bench ${perMatch(figure.cpu.benchMs)}; total`,
        value: Number(perMatch(figure.cpu.workersMs + figure.cpu.postgresMs + figure.cpu.redisMs + figure.cpu.benchMs)),
        unit: 'ms CPU',
      },
      {
        benchmark: name,
        figure: `queue overhead share (${round(figure.jobsPerMatch, 3)} jobs/match at the no-op rate / time per match)`,
        value: round(figure.queueOverheadShare * 100, 1),
        unit: '%',
      },
    );
  }
  return rows;
}

/** The hourly run of a season with nothing new: trigger to closed, and the requests it made. */
async function hourlyRows(env: BenchEnv, details: Record<string, unknown>): Promise<Row[]> {
  if (!env.postgresUrl) console.info('[bench] hourly: no PostgreSQL configured: on PGlite, in this process');
  const figures = await benchHourly(env);
  details.hourly = figures;
  return figures.flatMap((figure) => {
    const where = figure.backend === 'postgres' ? 'PostgreSQL, 1 worker process' : 'PGlite, in process';
    const name = `hourly no-change run: ${figure.listed} matches held, ${where}, ${latencyText(figure.latency)}`;
    return [
      {
        benchmark: name,
        figure: `trigger to run closed (median of ${figure.closeMsAll.length})`,
        value: Math.round(figure.closeMs),
        unit: 'ms',
        goal: '< 2,000',
      },
      { benchmark: name, figure: 'upstream requests (season listing pages)', value: figure.requests, unit: 'requests' },
      {
        benchmark: name,
        figure: 'other upstream requests; matches selected',
        value: figure.otherRequests + figure.selected,
        unit: '',
        goal: '0',
      },
    ];
  });
}

/** One corrected match in a three-season pool: the ratings replay beside a full recompute. */
async function correctionRows(env: BenchEnv, details: Record<string, unknown>): Promise<Row[]> {
  if (!env.postgresUrl) console.info('[bench] correction: no PostgreSQL configured: on PGlite, in this process');
  const figures = await benchCorrection(env);
  details.correction = figures;
  const where = figures.backend === 'postgres' ? 'PostgreSQL' : 'PGlite';
  const name = `correction in a 3-season pool (${figures.poolMatches} rated matches, ${where})`;
  return [
    {
      benchmark: name,
      figure: `full recompute (${figures.fullRows} matches rated)`,
      value: Math.round(figures.fullMs),
      unit: 'ms',
    },
    ...figures.corrections.flatMap((correction) => [
      {
        benchmark: name,
        figure: `${correction.where} correction: ratings stage (${correction.ingested} match re-ingested)`,
        value: Math.round(correction.stageMs),
        unit: 'ms',
      },
      {
        benchmark: name,
        figure: `${correction.where} correction: match ratings rewritten`,
        value: correction.rewritten,
        unit: 'rows',
      },
    ]),
  ];
}

/** Backfill at scale: N Bench League seasons through `startBackfill`, 2 worker processes, no budget. */
async function backfillRows(env: BenchEnv, details: Record<string, unknown>, matches: number): Promise<Row[]> {
  if (!env.postgresUrl) {
    console.info('[bench] backfill: needs PostgreSQL (worker processes cannot share PGlite): skipped');
    return [];
  }
  const figures = await benchBackfill(env, { ...BACKFILL_DEFAULTS, matches });
  details.backfill = figures;
  const name = `backfill at scale: PostgreSQL, ${figures.processes} worker processes, ${figures.worldMatches.toLocaleString('en-US')} matches (${figures.runs} runs of ${figures.scale.leagues} league(s))`;
  const mib = (bytes: number) => round(bytes / 2 ** 20, 1);
  const perMatch = (ms: number) => (ms / Math.max(1, figures.runMatches)).toFixed(1);
  const { cpu, redis, stages } = figures;
  const jobs = Object.values(redis.jobsLeft);
  const statuses = Object.entries(figures.statuses)
    .map(([status, runs]) => `${runs} ${status}`)
    .join(', ');
  return [
    {
      benchmark: name,
      figure: `matches ingested (in core; runs: ${statuses})`,
      value: figures.coreMatches,
      unit: 'matches',
      goal: `= ${figures.worldMatches.toLocaleString('en-US')} (the world's)`,
    },
    {
      benchmark: name,
      figure: 'total time (trigger to every run closed)',
      value: Math.round(figures.totalMs),
      unit: 'ms',
    },
    {
      benchmark: name,
      figure: 'matches/s (trigger to every run closed)',
      value: round(figures.matchesPerSec, 1),
      unit: 'matches/s',
    },
    {
      benchmark: name,
      figure: 'matches/s into core: first fifth of the matches / last fifth',
      value: round(figures.earlyMatchesPerSec, 1),
      unit: `/ ${round(figures.lateMatchesPerSec, 1)} matches/s`,
    },
    {
      benchmark: name,
      figure: `of which ratings (${stages.ratingsReplayed.toLocaleString('en-US')} match ratings replayed) + build + publish (${stages.publishes} publish(es): first ${stages.firstPublishMs} ms, last ${stages.lastPublishMs} ms; ${stages.deferredPublishes} deferred), summed over runs`,
      value: Math.round(stages.ratingsMs + stages.buildMs + stages.publishMs),
      unit: 'ms',
    },
    {
      benchmark: name,
      figure: `Redis used_memory peak above the baseline before the trigger (${mib(redis.baselineBytes)} MiB; shared server)`,
      value: mib(redis.peakBytes - redis.baselineBytes),
      unit: 'MiB',
    },
    {
      benchmark: name,
      figure: 'Redis used_memory after completion minus before the trigger',
      value: mib(redis.afterBytes - redis.baselineBytes),
      unit: 'MiB',
    },
    {
      benchmark: name,
      figure: `Redis keys under the prefix after completion (before the trigger: ${redis.keysBefore}); jobs left: ${jobs.reduce((sum, job) => sum + job.completed, 0)} completed, ${jobs.reduce((sum, job) => sum + job.failed, 0)} failed, ${jobs.reduce((sum, job) => sum + job.waiting, 0)} waiting`,
      value: redis.keysAfter,
      unit: 'keys',
      goal: `bounded: <= ${redis.completedJobsKeep.toLocaleString('en-US')} completed jobs a queue`,
    },
    {
      benchmark: name,
      figure: 'largest worker RSS when core held a fifth of the matches / when the last run closed',
      value: mib(figures.workerRssAtFifthBytes),
      unit: `/ ${mib(figures.workerRssAtEndBytes)} MiB`,
    },
    ...figures.workers.map((worker, index) => ({
      benchmark: name,
      figure: `worker process ${index + 1}: RSS peak (VmHWM; largest sampled VmRSS ${mib(worker.peakSampledRssBytes)} MiB)`,
      value: mib(worker.hwmBytes),
      unit: 'MiB',
      goal: '< 300 MB',
    })),
    {
      benchmark: name,
      figure: `replay world in the bench process: ${figures.world.matches.toLocaleString('en-US')} matches built in ${Math.round(figures.world.buildMs)} ms; heap`,
      value: mib(figures.world.heapBytes),
      unit: 'MiB',
    },
    {
      benchmark: name,
      figure: 'replay + bench process: RSS peak (sampled)',
      value: mib(figures.benchPeakRssBytes),
      unit: 'MiB',
    },
    {
      benchmark: name,
      figure: `database size (pg_database_size); rows: ${[
        'core.matches',
        'core.appearances',
        'core.incidents',
        'raw.payloads',
        'ratings.match_ratings',
      ]
        .map((table) => `${table} ${(figures.database.rows[table] ?? 0).toLocaleString('en-US')}`)
        .join(', ')}`,
      value: mib(figures.database.bytes),
      unit: 'MiB',
    },
    {
      benchmark: name,
      figure: `CPU per match: workers ${perMatch(cpu.workersMs)}, PostgreSQL ${perMatch(cpu.postgresMs)}, Redis ${perMatch(cpu.redisMs)}, replay + bench ${perMatch(cpu.benchMs)}; total`,
      value: Number(perMatch(cpu.workersMs + cpu.postgresMs + cpu.redisMs + cpu.benchMs)),
      unit: 'ms CPU',
    },
  ];
}

/** The dashboard's pages over a full ops and ratings zone (embedded PGlite). */
async function dashboardRows(env: BenchEnv, details: Record<string, unknown>): Promise<Row[]> {
  const figures = await benchDashboard(env);
  details.dashboard = figures;
  const name = `dashboard pages (PGlite: ${figures.samples.toLocaleString('en-US')} ops samples, ${figures.stageRows.toLocaleString('en-US')} stage rows, ${figures.ratedMatches.toLocaleString('en-US')} rated matches)`;
  return figures.pages.flatMap((page) => [
    {
      benchmark: name,
      figure: `GET ${page.path} (${Math.round(page.bytes / 1024)} KiB of HTML, ${Math.round(page.wireBytes / 1024)} KiB sent): median of 10 after the first (${Math.round(page.firstMs)} ms)`,
      value: Math.round(page.medianMs),
      unit: 'ms',
    },
  ]);
}

function latencyText(latency: { baseMs: number; jitterMs: number }): string {
  return latency.baseMs + latency.jitterMs === 0
    ? 'no latency'
    : `latency ${latency.baseMs}-${latency.baseMs + latency.jitterMs} ms`;
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

const BENCHMARKS = [
  'engine',
  'ratings-rate',
  'publish',
  'upstream',
  'end-to-end',
  'hourly',
  'correction',
  'backfill',
  'dashboard',
] as const;
type BenchmarkName = (typeof BENCHMARKS)[number];
const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !(BENCHMARKS as readonly string[]).includes(name));
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark(s) ${unknown.join(', ')} (known: ${BENCHMARKS.join(', ')})`);
  process.exit(2);
}
const selected = requested.length > 0 ? BENCHMARKS.filter((name) => requested.includes(name)) : [...BENCHMARKS];

const createdAt = new Date().toISOString();
// Read once, here; `npm run bench` runs outside turbo, so nothing is cached on them.
const { REDIS_URL, MATCHFLOW_BENCH_DATABASE_URL, TEST_DATABASE_URL, MATCHFLOW_BENCH_BACKFILL_MATCHES } = process.env;
const backfillMatches =
  MATCHFLOW_BENCH_BACKFILL_MATCHES === undefined ? BACKFILL_DEFAULTS.matches : Number(MATCHFLOW_BENCH_BACKFILL_MATCHES);
if (!Number.isInteger(backfillMatches) || backfillMatches < 1) {
  console.error(
    `bench: MATCHFLOW_BENCH_BACKFILL_MATCHES must be a whole number of matches, not '${MATCHFLOW_BENCH_BACKFILL_MATCHES}'`,
  );
  process.exit(2);
}
const env: BenchEnv = {
  redisUrl: REDIS_URL ?? 'redis://127.0.0.1:6379',
  postgresUrl: MATCHFLOW_BENCH_DATABASE_URL ?? TEST_DATABASE_URL,
  prefix: `matchflow-bench:${createdAt.replace(/[-:.]/g, '')}`,
};
const details: Record<string, unknown> = {};
const RUNNERS: Record<BenchmarkName, () => Row[] | Promise<Row[]>> = {
  engine: engineRows,
  'ratings-rate': ratingsRateRows,
  publish: publishRows,
  upstream: () => upstreamRows(env, details),
  'end-to-end': () => endToEndRows(env, details),
  hourly: () => hourlyRows(env, details),
  correction: () => correctionRows(env, details),
  backfill: () => backfillRows(env, details, backfillMatches),
  dashboard: () => dashboardRows(env, details),
};

const machineInfo = await machine(env);
const rows: Row[] = [];
const secondsPerBenchmark: Record<string, number> = {};
const benchStarted = performance.now();
try {
  for (const name of selected) {
    const started = performance.now();
    console.info(`[bench] ${name}...`);
    rows.push(...(await RUNNERS[name]()));
    secondsPerBenchmark[name] = round((performance.now() - started) / 1_000, 1);
  }
} finally {
  // Whatever a fleet left behind under this run's prefix (each cleans its own; this is the net).
  await deleteKeys(env.redisUrl, env.prefix).catch(() => undefined);
}
const result = {
  createdAt,
  machine: { ...machineInfo, loadAverageAtEnd: os.loadavg().map((load) => round(load, 2)) },
  secondsPerBenchmark,
  totalSeconds: round((performance.now() - benchStarted) / 1_000, 1),
  results: rows,
  details,
};
const directory = path.join(ROOT, 'bench', 'results');
mkdirSync(directory, { recursive: true });
const file = path.join(directory, `${result.createdAt.replaceAll(':', '-')}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);

/** A plain text table: one column per key, widths to fit. */
function table(records: Array<Record<string, string>>): string {
  const keys = Object.keys(records[0] ?? {});
  const widths = keys.map((key) => Math.max(key.length, ...records.map((record) => (record[key] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, index) => cell.padEnd(widths[index] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    line(keys),
    line(widths.map((width) => '-'.repeat(width))),
    ...records.map((record) => line(keys.map((key) => record[key] ?? ''))),
  ].join('\n');
}

const formatted = rows.map((row) => ({
  benchmark: row.benchmark,
  figure: row.figure,
  value: Number.isInteger(row.value) ? row.value.toLocaleString('en-US') : String(row.value),
  unit: row.unit,
  goal: row.goal ?? '',
}));
process.stdout.write(
  `machine: ${result.machine.cpu}, ${result.machine.cores} cores, ${result.machine.memoryGiB} GiB, Node ${result.machine.node}, ` +
    `Redis ${result.machine.redis}, PostgreSQL ${result.machine.postgres.split(' on ')[0]}, ` +
    `load ${result.machine.loadAverageAtStart.join(' ')} at start, ${result.machine.loadAverageAtEnd.join(' ')} at end\n\n` +
    `${table(formatted)}\n\n${result.totalSeconds} s (${Object.entries(secondsPerBenchmark)
      .map(([name, seconds]) => `${name} ${seconds} s`)
      .join(', ')})\nwrote ${path.relative(ROOT, file)}\n`,
);
