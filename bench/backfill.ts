import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ops } from '@matchflow/db';
import { planBackfill, startBackfill } from '@matchflow/pipeline';
import { QUEUES } from '@matchflow/queues';
import {
  MAX_SCALE,
  type ReplayServer,
  SCALE_SEASON_MATCHES,
  scaleLeagueIds,
  startReplay,
  type WorldScale,
} from '@matchflow/replay';
import { and, count, eq, inArray, sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { type BenchEnv, BenchFleet, type CpuSpent, cpuSpent } from './fleet.js';

/*
 * Backfill at scale (issue 10, item 6): the replay world grown by Bench Leagues (20 clubs, 380
 * matches a season), a config tracking N of their league-seasons, and one backfill of all of
 * them through the product's own path (`planBackfill` + `startBackfill`, what `matchflow
 * backfill` calls) with real worker processes, no upstream budget and no latency. Measured: the
 * time from the trigger to every run closed, what Redis and the workers held at their peak,
 * what is left in Redis afterwards, and the database it leaves.
 */

export interface BackfillOptions {
  /** Matches to backfill, rounded to whole league-seasons of 380 (at least one). */
  matches: number;
  /** Seasons per Bench League (the last league may track fewer). */
  seasonsPerLeague: number;
  /** Worker processes (PostgreSQL); with no PostgreSQL, one Fleet in this process on PGlite. */
  processes: number;
  /** Jobs each process runs at once on the ingest queue (the default setting). */
  ingestConcurrency: number;
  /** How often Redis memory and the workers' RSS are sampled. */
  sampleMs: number;
  /** Give up waiting for the runs after this long (default: 10 minutes + 100 ms a match). */
  timeoutMs?: number;
}

/**
 * 10,000 matches by default, so that `npm run bench` as a whole stays within 10 minutes on a
 * 2-core machine; the 100,000 is `MATCHFLOW_BENCH_BACKFILL_MATCHES=100000` (about 40
 * minutes here, docs/performance.md).
 */
export const BACKFILL_DEFAULTS: BackfillOptions = {
  matches: 10_000,
  seasonsPerLeague: 10,
  processes: 2,
  ingestConcurrency: 8,
  sampleMs: 250,
};

/** What a backfill of `matches` covers: whole league-seasons, league by league, oldest season first. */
export interface BackfillScope {
  leagueSeasons: number;
  matches: number;
  scale: WorldScale;
  competitions: Array<{ id: string; competition: number; seasons: string[] }>;
}

export function backfillScope(matches: number, seasonsPerLeague: number): BackfillScope {
  const seasons = Math.min(Math.max(1, Math.floor(seasonsPerLeague)), MAX_SCALE.seasons);
  const leagueSeasons = Math.max(1, Math.round(matches / SCALE_SEASON_MATCHES));
  const leagues = Math.ceil(leagueSeasons / seasons);
  if (leagues > MAX_SCALE.leagues) {
    throw new RangeError(
      `backfill bench: ${leagueSeasons} league-seasons need ${leagues} leagues of ${seasons} seasons, more than ${MAX_SCALE.leagues}`,
    );
  }
  // A single league holding fewer seasons than asked for gets only those: the world stays small.
  const scale = { leagues, seasons: leagues === 1 ? leagueSeasons : seasons };
  let left = leagueSeasons;
  const competitions = scaleLeagueIds(scale).map((ids) => {
    const tracked = ids.seasonIds.slice(0, Math.min(left, ids.seasonIds.length));
    left -= tracked.length;
    return { id: `bench-league-${ids.league}`, competition: ids.uniqueTournamentId, seasons: tracked.map(String) };
  });
  return { leagueSeasons, matches: leagueSeasons * SCALE_SEASON_MATCHES, scale, competitions };
}

/** Peaks seen by the sampler. */
interface Peaks {
  redisUsedBytes: number;
  /** Per worker process id: the largest VmRSS sampled. */
  workerRssBytes: Map<number, number>;
  benchRssBytes: number;
  samples: number;
}

export interface BackfillFigures {
  backend: 'postgres' | 'pglite';
  processes: number;
  scale: WorldScale;
  leagueSeasons: number;
  runs: number;
  /** The replay world in this process: matches it holds, how long it took to build, the heap it added. */
  world: { matches: number; buildMs: number; heapBytes: number };
  /** Matches the tracked league-seasons hold in the replay world. */
  worldMatches: number;
  /** Matches in core after the backfill, and the sum of the runs' `matches` counters. */
  coreMatches: number;
  runMatches: number;
  statuses: Record<string, number>;
  /** planBackfill + startBackfill of every competition (runs recorded, discover jobs enqueued). */
  triggerMs: number;
  /** Trigger to every run seen closed (polled every sampleMs). */
  totalMs: number;
  matchesPerSec: number;
  /** Matches per second in core over the first and the last fifth of the matches (a slowdown shows here). */
  earlyMatchesPerSec: number;
  lateMatchesPerSec: number;
  /** The largest worker VmRSS when core first held a fifth of the matches, and when the last run closed (growth shows here). */
  workerRssAtFifthBytes: number;
  workerRssAtEndBytes: number;
  /**
   * Sums over the runs' stage rows; the publishes that ran (a backfill's runs defer theirs to the
   * last one: `deferred` counts those) and the first and last one's time (they grow with the
   * curated zone).
   */
  stages: {
    discoverMs: number;
    ratingsMs: number;
    ratingsReplayed: number;
    buildMs: number;
    publishMs: number;
    publishes: number;
    deferredPublishes: number;
    firstPublishMs: number;
    lastPublishMs: number;
  };
  redis: {
    /** used_memory just before the trigger (the server is shared: other clients' data is in it). */
    baselineBytes: number;
    peakBytes: number;
    afterBytes: number;
    keysBefore: number;
    keysAfter: number;
    /** Keys left under the fleet's prefix per queue after the backfill, and the job hashes among them. */
    keysByQueue: Record<string, number>;
    jobsLeft: Record<string, { completed: number; failed: number; waiting: number }>;
    completedJobsKeep: number;
  };
  /** Per worker process: the kernel's high-water mark (VmHWM) at the end and the largest VmRSS sampled. */
  workers: Array<{ pid: number; hwmBytes: number; peakSampledRssBytes: number }>;
  benchPeakRssBytes: number;
  database: { bytes: number; rows: Record<string, number> };
  cpu: CpuSpent;
  samples: number;
}

/** A full garbage collection on demand, to measure the heap the replay world takes. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** VmRSS / VmHWM of a local process in bytes (0 where unreadable). */
function procStatusBytes(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  if (pid === undefined) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    return kib ? Number(kib) * 1_024 : 0;
  } catch {
    return 0;
  }
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1] ?? 0);
}

/** Keys under `prefix:`, grouped by their next segment (the queue, or the source keys' name). */
async function keysUnder(redis: Redis, prefix: string): Promise<{ total: number; byGroup: Record<string, number> }> {
  const byGroup: Record<string, number> = {};
  let total = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
    for (const key of keys) {
      const group = key.slice(prefix.length + 1).split(':')[0] ?? '';
      byGroup[group] = (byGroup[group] ?? 0) + 1;
      total += 1;
    }
    cursor = next;
  } while (cursor !== '0');
  return { total, byGroup };
}

/** Sample Redis used_memory, the workers' VmRSS and this process's RSS until stopped. */
function startSampler(redis: Redis, fleet: BenchFleet, everyMs: number): { stop(): Promise<Peaks> } {
  const peaks: Peaks = { redisUsedBytes: 0, workerRssBytes: new Map(), benchRssBytes: 0, samples: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      peaks.redisUsedBytes = Math.max(peaks.redisUsedBytes, await usedMemory(redis).catch(() => 0));
      for (const worker of fleet.workers) {
        const pid = worker.child.pid;
        if (pid === undefined) continue;
        peaks.workerRssBytes.set(pid, Math.max(peaks.workerRssBytes.get(pid) ?? 0, procStatusBytes(pid, 'VmRSS')));
      }
      peaks.benchRssBytes = Math.max(peaks.benchRssBytes, process.memoryUsage.rss());
      peaks.samples += 1;
      await sleep(everyMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return peaks;
    },
  };
}

/** Rows of a query result: postgres.js answers an array, PGlite `{ rows }`. */
function resultRows<Row>(result: unknown): Row[] {
  return (Array.isArray(result) ? result : ((result as { rows?: Row[] }).rows ?? [])) as Row[];
}

async function countRows(fleet: BenchFleet, table: string): Promise<number> {
  const rows = resultRows<{ n: string | number }>(
    await fleet.db.execute(sql.raw(`SELECT count(*)::bigint AS n FROM ${table}`)),
  );
  return Number(rows[0]?.n ?? 0);
}

const COUNTED_TABLES = [
  'core.matches',
  'core.participants',
  'core.appearances',
  'core.incidents',
  'core.source_ids',
  'raw.payloads',
  'ratings.match_ratings',
  'curated.match_summary',
  'curated.player_appearances',
  'ops.stage_runs',
];

export async function benchBackfill(
  env: BenchEnv,
  options: BackfillOptions = BACKFILL_DEFAULTS,
): Promise<BackfillFigures> {
  const scope = backfillScope(options.matches, options.seasonsPerLeague);
  const backend = env.postgresUrl ? 'postgres' : 'pglite';
  const processes = backend === 'postgres' ? options.processes : 1;

  const gc = exposeGc();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const buildStarted = performance.now();
  const replay: ReplayServer = await startReplay({ port: 0, seed: 7, scale: scope.scale });
  const buildMs = performance.now() - buildStarted;
  gc();
  const world = replay.world;
  if (!world) throw new Error('the replay has no world');
  const world_ = { matches: world.matches.size, buildMs, heapBytes: process.memoryUsage().heapUsed - heapBefore };
  const trackedSeasons = new Set(scope.competitions.flatMap((competition) => competition.seasons.map(Number)));
  const worldMatches = world.competitions
    .flatMap((competition) => competition.seasons)
    .filter((season) => trackedSeasons.has(season.id))
    .reduce((sum, season) => sum + season.matches.length, 0);

  const admin = new Redis(env.redisUrl, { maxRetriesPerRequest: 3 });
  try {
    const fleet = await BenchFleet.start(env, {
      label: `backfill-${backend}-${processes}w`,
      backend,
      processes,
      settings: {
        logLevel: 'warn',
        sources: {
          sofascore: {
            kind: 'sofascore',
            baseUrl: replay.apiUrl,
            // No budget to speak of: the limiter still decides every request.
            rateLimit: { requestsPerInterval: 1_000_000, maxConcurrent: 256, intervalMs: 1_000 },
            retry: { attempts: 5, backoffMs: 200, maxBackoffMs: 2_000 },
          },
        },
        // A pool per league, as a league's own Elo table: one shared pool would make every
        // run's ratings replay the other leagues' matches that finished out of date order.
        ratingPools: Object.fromEntries(
          scope.competitions.map((competition) => [competition.id, { preset: 'football', homeAdvantage: 65 }]),
        ),
        competitions: scope.competitions.map((competition) => ({
          ...competition,
          source: 'sofascore',
          ratingPool: competition.id,
        })),
        workers: { concurrency: { ingest: options.ingestConcurrency } },
      },
    });
    try {
      const keysBefore = await keysUnder(admin, fleet.prefix);
      const baselineBytes = await usedMemory(admin);
      const cpuBefore = await fleet.cpuSample();
      const sampler = startSampler(admin, fleet, options.sampleMs);
      let peaks: Peaks | undefined;
      try {
        // What `matchflow backfill --competition C --seasons ...` does, once per competition.
        const triggeredAt = performance.now();
        const runIds: string[] = [];
        for (const competition of scope.competitions) {
          const plan = planBackfill(fleet.config, { competitionId: competition.id, seasons: competition.seasons });
          const started = await startBackfill({ db: fleet.db, producer: fleet.producer, config: fleet.config }, plan);
          for (const run of started) {
            if (run.outcome !== 'started') throw new Error(`backfill of ${competition.id} ${run.season} not started`);
            runIds.push(run.runId);
          }
        }
        const triggerMs = performance.now() - triggeredAt;
        const progress = await waitAllClosed(fleet, runIds, scope.matches, triggeredAt, options);
        const totalMs = progress.closedAt - triggeredAt;
        const cpu = cpuSpent(cpuBefore, await fleet.cpuSample());
        // The high-water marks before anything stops.
        const workers = fleet.workers.map((worker) => ({
          pid: worker.child.pid ?? 0,
          hwmBytes: procStatusBytes(worker.child.pid, 'VmHWM'),
          peakSampledRssBytes: 0,
        }));
        peaks = await sampler.stop();
        for (const worker of workers) worker.peakSampledRssBytes = peaks.workerRssBytes.get(worker.pid) ?? 0;

        const runs = await fleet.db.select().from(ops.pipelineRuns).where(inArray(ops.pipelineRuns.runId, runIds));
        const statuses: Record<string, number> = {};
        for (const run of runs) statuses[run.status] = (statuses[run.status] ?? 0) + 1;
        const runMatches = runs.reduce(
          (sum, run) => sum + Number((run.counters as { matches?: number }).matches ?? 0),
          0,
        );
        const stageRows = await fleet.db
          .select()
          .from(ops.stageRuns)
          .where(inArray(ops.stageRuns.stage, ['discover', 'ratings', 'build', 'publish']));
        const sum = (stage: string) =>
          stageRows.filter((row) => row.stage === stage).reduce((total, row) => total + (row.durationMs ?? 0), 0);
        const publishes = stageRows
          .filter((row) => row.stage === 'publish' && row.status === 'ok')
          .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());

        // After the last run closed: what stays in Redis.
        const keysAfter = await keysUnder(admin, fleet.prefix);
        const jobsLeft: BackfillFigures['redis']['jobsLeft'] = {};
        for (const queue of [QUEUES.discover, QUEUES.ingest, QUEUES.ratings, QUEUES.build]) {
          const key = (suffix: string) => `${fleet.prefix}:${queue}:${suffix}`;
          const [completed, failed, waiting, prioritized] = await Promise.all([
            admin.zcard(key('completed')),
            admin.zcard(key('failed')),
            admin.llen(key('wait')),
            admin.zcard(key('prioritized')),
          ]);
          jobsLeft[queue] = { completed, failed, waiting: waiting + prioritized };
        }
        const afterBytes = await usedMemory(admin);

        const rows: Record<string, number> = {};
        for (const table of COUNTED_TABLES) rows[table] = await countRows(fleet, table);
        const databaseBytes =
          backend === 'postgres'
            ? Number(
                resultRows<{ bytes: string | number }>(
                  await fleet.db.execute(sql`SELECT pg_database_size(current_database())::bigint AS bytes`),
                )[0]?.bytes ?? 0,
              )
            : 0;

        return {
          backend,
          processes,
          scale: scope.scale,
          leagueSeasons: scope.leagueSeasons,
          runs: runIds.length,
          world: world_,
          worldMatches,
          coreMatches: rows['core.matches'] ?? 0,
          runMatches,
          statuses,
          triggerMs,
          totalMs,
          matchesPerSec: runMatches / (totalMs / 1_000),
          earlyMatchesPerSec: progress.earlyPerSec,
          lateMatchesPerSec: progress.latePerSec,
          workerRssAtFifthBytes: progress.rssAtFifth,
          workerRssAtEndBytes: progress.rssAtEnd,
          stages: {
            discoverMs: sum('discover'),
            ratingsMs: sum('ratings'),
            ratingsReplayed: stageRows
              .filter((row) => row.stage === 'ratings')
              .reduce((total, row) => total + Number((row.counters as { replayed?: number }).replayed ?? 0), 0),
            buildMs: sum('build'),
            publishMs: sum('publish'),
            publishes: publishes.length,
            deferredPublishes: stageRows.filter((row) => row.stage === 'publish' && row.status === 'skipped').length,
            firstPublishMs: publishes[0]?.durationMs ?? 0,
            lastPublishMs: publishes.at(-1)?.durationMs ?? 0,
          },
          redis: {
            baselineBytes,
            peakBytes: peaks.redisUsedBytes,
            afterBytes,
            keysBefore: keysBefore.total,
            keysAfter: keysAfter.total,
            keysByQueue: keysAfter.byGroup,
            jobsLeft,
            completedJobsKeep: fleet.config.retention.completedJobsKeep,
          },
          workers,
          benchPeakRssBytes: peaks.benchRssBytes,
          database: { bytes: databaseBytes, rows },
          cpu,
          samples: peaks.samples,
        };
      } finally {
        if (!peaks) await sampler.stop();
      }
    } finally {
      await fleet.close();
    }
  } finally {
    admin.disconnect();
    await replay.close();
  }
}

/**
 * Poll until every run is closed; meanwhile count core's matches, to tell the rate over the
 * first fifth of the matches from the rate over the last fifth.
 */
async function waitAllClosed(
  fleet: BenchFleet,
  runIds: string[],
  matches: number,
  triggeredAt: number,
  options: BackfillOptions,
): Promise<{ closedAt: number; earlyPerSec: number; latePerSec: number; rssAtFifth: number; rssAtEnd: number }> {
  const timeoutMs = options.timeoutMs ?? 600_000 + matches * 100;
  const marks: Mark[] = [{ at: triggeredAt, matches: 0, workerRss: largestWorkerRss(fleet) }];
  let lastCount = 0;
  for (;;) {
    const [open] = await fleet.db
      .select({ n: count() })
      .from(ops.pipelineRuns)
      .where(and(inArray(ops.pipelineRuns.runId, runIds), eq(ops.pipelineRuns.status, 'running')));
    const now = performance.now();
    if (Number(open?.n ?? 1) === 0) {
      const workerRss = largestWorkerRss(fleet);
      marks.push({ at: now, matches: Math.max(lastCount, await countMatches(fleet)), workerRss });
      const fifth = marks.find((mark) => mark.matches >= 0.2 * matches);
      return { closedAt: now, ...rates(marks, matches), rssAtFifth: fifth?.workerRss ?? 0, rssAtEnd: workerRss };
    }
    if (now - (marks.at(-1)?.at ?? 0) >= 1_000) {
      lastCount = await countMatches(fleet);
      marks.push({ at: performance.now(), matches: lastCount, workerRss: largestWorkerRss(fleet) });
    }
    const dead = fleet.workers.find((worker) => worker.child.exitCode !== null);
    if (dead)
      throw new Error(`a worker process exited (${dead.child.exitCode}) during the backfill:\n${dead.output()}`);
    if (now - triggeredAt > timeoutMs) {
      throw new Error(
        `backfill not closed after ${Math.round(timeoutMs / 1_000)} s (${lastCount} of ${matches} matches in core)`,
      );
    }
    await sleep(options.sampleMs);
  }
}

interface Mark {
  at: number;
  /** Matches in core. */
  matches: number;
  /** The largest VmRSS of the worker processes. */
  workerRss: number;
}

function largestWorkerRss(fleet: BenchFleet): number {
  return Math.max(0, ...fleet.workers.map((worker) => procStatusBytes(worker.child.pid, 'VmRSS')));
}

async function countMatches(fleet: BenchFleet): Promise<number> {
  return countRows(fleet, 'core.matches');
}

/** Matches/s over the first fifth of the matches (from the first one in core) and over the last fifth. */
function rates(marks: Mark[], matches: number): { earlyPerSec: number; latePerSec: number } {
  /** When core passed `target` matches, interpolated between the marks around it. */
  const when = (target: number) => {
    const index = marks.findIndex((mark) => mark.matches >= target);
    const mark = marks[index];
    const previous = marks[index - 1];
    if (!mark) return marks.at(-1)?.at ?? 0;
    if (!previous || mark.matches === previous.matches) return mark.at;
    return previous.at + ((target - previous.matches) / (mark.matches - previous.matches)) * (mark.at - previous.at);
  };
  const perSec = (from: number, to: number) => (to - from) / Math.max(0.001, (when(to) - when(from)) / 1_000);
  return { earlyPerSec: perSec(1, 0.2 * matches), latePerSec: perSec(0.8 * matches, matches) };
}
