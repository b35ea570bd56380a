import { type Db, ops } from '@matchflow/db';
import {
  type DiscoverJob,
  JOBS,
  PAYLOADS,
  QUEUES,
  type StageStep,
  type Trigger,
  validatePayload,
} from '@matchflow/queues';
import { jobLogger, type Logger } from '@matchflow/telemetry';
import { DelayedError, type Job } from 'bullmq';
import { and, eq, sql } from 'drizzle-orm';
import { publishCounters, publishDeferred } from '../publish/deferred.js';
import { publishSnapshot } from '../publish/publish.js';
import {
  closeRun,
  decideBackfillPublish,
  markDeferredPublished,
  runningRunFor,
  type StageCounters,
  scopeKey,
  stageFinished,
  stageStarted,
} from '../store/runs.js';
import { buildSeason } from './build-season.js';
import { discoverSeason } from './discover-season.js';
import { type Fetcher, ingestMatch } from './ingest-match.js';
import { ingestSeasonFile, type SeasonFileResult } from './ingest-season-file.js';
import { ratePool } from './rate-pool.js';
import type { PipelineStage, StageRuntime } from './registry.js';

/*
 * The stages of a competition run (DESIGN §3): discover adds the run flow
 * `build <- [steps] <- ratings <- ingest x N`, where the steps are the standalone stages the
 * config puts in every run; build publishes and closes the run.
 */

/** A queued-overlap run looks again this often for its predecessor to finish. */
const OVERLAP_RETRY_MS = 2_000;

function fetcherFor(runtime: StageRuntime, source: string): Fetcher {
  const fetcher = runtime.fetcher(source);
  if (!fetcher) throw new Error(`source '${source}' is not configured`);
  return fetcher;
}

/** The standalone stages of a run, in the order they run (each after what it depends on). */
function runSteps(runtime: StageRuntime, runId: string, trigger: Trigger): StageStep[] {
  return runtime.registry.inRuns(runtime.config).map((stage) => ({
    queue: stage.queue,
    name: stage.jobName,
    data: {
      runId,
      stage: stage.name,
      scope: 'all',
      trigger,
      dryRun: false,
      budget: runtime.registry.budget(runtime.config, stage),
    },
  }));
}

async function discover(runtime: StageRuntime, job: Job, token: string | undefined): Promise<unknown> {
  const { db, config } = runtime;
  const log = jobLogger(runtime.logger, job);
  const data = validatePayload('discover', job.data);
  const key = scopeKey(data);
  const older = await runningRunFor(db, data, { staleAfterMs: config.runs.staleAfterMs, except: data.runId });
  if (older && older < data.runId) {
    // Queued behind a run still going for the same scope: look again shortly.
    await job.moveToDelayed(Date.now() + OVERLAP_RETRY_MS, token);
    throw new DelayedError();
  }
  await stageStarted(db, data.runId, 'discover', key, job.attemptsMade + 1);
  // A file-based source has no listing to page through: the season is one file.
  if (config.sources[data.source]?.kind === 'openfootball') return discoverSeasonFile(runtime, job, data, log);
  const found = await discoverSeason({ db, fetcher: fetcherFor(runtime, data.source), config, logger: log }, data);
  const counters = {
    scanned: found.scanned,
    ...(found.inScope === found.scanned ? {} : { inScope: found.inScope }),
    done: found.done,
    selected: found.matches.length,
    requests: found.requests,
  };
  if (found.matches.length === 0) {
    await stageFinished(db, data.runId, 'discover', key, { status: 'ok', counters });
    await closeRun(db, data.runId, { status: 'ok', counters: { matches: 0 } });
    log.info(counters, 'nothing changed: run closed');
    await publishDeferred({ db, config, logger: runtime.logger }, data.runId);
    return counters;
  }
  await addRunFlow(runtime, data, found.matches);
  await stageFinished(db, data.runId, 'discover', key, { status: 'ok', counters });
  return counters;
}

/**
 * Discover for a file-based source (openfootball): one request fetches the whole season, and
 * the file is ingested right here (`ingestSeasonFile`, recorded as the run's `ingest` stage on
 * the season's scope). When its content was new (or the run is `full`), the run flow follows
 * with ratings and build and no ingest jobs; otherwise the run closes `ok` with zero work.
 */
async function discoverSeasonFile(runtime: StageRuntime, job: Job, data: DiscoverJob, log: Logger): Promise<unknown> {
  const { db, config } = runtime;
  const key = scopeKey(data);
  await stageStarted(db, data.runId, 'ingest', key, job.attemptsMade + 1);
  let ingested: SeasonFileResult;
  try {
    ingested = await ingestSeasonFile({ db, fetcher: fetcherFor(runtime, data.source), config, logger: log }, data);
  } catch (error) {
    // The discover job fails with it (and, after its last attempt, the run); say where.
    const message = error instanceof Error ? error.message : String(error);
    await stageFinished(db, data.runId, 'ingest', key, { status: 'failed', error: message });
    throw error;
  }
  await stageFinished(db, data.runId, 'ingest', key, {
    status: 'ok',
    counters: {
      requests: ingested.requests,
      newPayloads: ingested.newPayload ? 1 : 0,
      matches: ingested.written,
      created: ingested.created,
      resultsChanged: ingested.resultsChanged,
      worker: runtime.workerId,
    },
  });
  const counters = { scanned: ingested.matches, selected: ingested.written, requests: ingested.requests };
  if (ingested.written === 0) {
    await stageFinished(db, data.runId, 'discover', key, { status: 'ok', counters });
    await closeRun(db, data.runId, { status: 'ok', counters: { matches: 0 } });
    log.info(counters, 'nothing changed: run closed');
    await publishDeferred({ db, config, logger: runtime.logger }, data.runId);
    return counters;
  }
  await addRunFlow(runtime, data, []);
  await stageFinished(db, data.runId, 'discover', key, { status: 'ok', counters });
  return counters;
}

/** The run flow of a discovered scope: build <- ratings <- one ingest per match (none for a season file). */
async function addRunFlow(runtime: StageRuntime, data: DiscoverJob, matches: string[]): Promise<void> {
  const pool = runtime.config.competitions.find((competition) => competition.id === data.competitionId)?.ratingPool;
  if (!pool) throw new Error(`competition '${data.competitionId}' has no rating pool`);
  const scope = {
    runId: data.runId,
    source: data.source,
    competitionId: data.competitionId,
    competition: data.competition,
    season: data.season,
  };
  await runtime.producer.addRunFlow({
    build: { ...scope, pool, trigger: data.trigger },
    ratings: { runId: data.runId, pool },
    ingests: matches.map((match) => ({ ...scope, match, trigger: data.trigger })),
    steps: runSteps(runtime, data.runId, data.trigger),
  });
}

async function ingest(runtime: StageRuntime, job: Job): Promise<unknown> {
  const { db, config } = runtime;
  const log = jobLogger(runtime.logger, job);
  const data = validatePayload('ingest', job.data);
  await stageStarted(db, data.runId, 'ingest', data.match, job.attemptsMade + 1);
  const result = await ingestMatch({ db, fetcher: fetcherFor(runtime, data.source), config, logger: log }, data);
  await stageFinished(db, data.runId, 'ingest', data.match, {
    status: 'ok',
    counters: {
      requests: result.requests,
      newPayloads: result.newPayloads,
      resultChanged: result.resultChanged ? 1 : 0,
      worker: runtime.workerId,
      ...recovered(job),
    },
  });
  return { match: data.match, requests: result.requests, newPayloads: result.newPayloads };
}

async function rate(runtime: StageRuntime, job: Job): Promise<unknown> {
  const { db, config } = runtime;
  const data = validatePayload('ratings', job.data);
  await stageStarted(db, data.runId, 'ratings', data.pool, job.attemptsMade + 1);
  // Ingests that failed for good were set aside; the run will say which.
  const failedIngests = Object.keys(await job.getIgnoredChildrenFailures())
    .map((key) => key.split(':').at(-1) ?? key)
    .map((id) => id.split('.')[2] ?? id)
    .sort();
  const rated = await ratePool({ db, config }, data);
  await stageFinished(db, data.runId, 'ratings', data.pool, {
    status: 'ok',
    counters: { ...rated, failedIngests, ...recovered(job) },
  });
  return { ...rated, failedIngests };
}

async function build(runtime: StageRuntime, job: Job): Promise<unknown> {
  const { db, config } = runtime;
  const data = validatePayload('build', job.data);
  const key = scopeKey(data);
  await stageStarted(db, data.runId, 'build', key, job.attemptsMade + 1);
  const children = Object.values(await job.getChildrenValues()) as Array<{
    failedIngests?: string[];
    failedSteps?: string[];
  }>;
  const failedIngests = children.flatMap((child) => child.failedIngests ?? []);
  // A step (optional stage) that failed for good was set aside, as a failed ingest is.
  const failedSteps = children.flatMap((child) => child.failedSteps ?? []);
  const { quality, blocked, ...built } = await buildSeason({ db, config }, data);
  const qualityCounters: StageCounters = quality ? { qualityScore: quality.score, qualityFailed: quality.failed } : {};
  if (blocked) {
    // The build rolled its tables back; the run fails and `latest` stays where it was.
    const error = `quality checks failed: ${quality?.failed.join(', ') ?? ''}; nothing published`;
    await stageFinished(db, data.runId, 'build', key, {
      status: 'failed',
      counters: { ...built, ...qualityCounters },
      error,
    });
    runtime.logger.warn({ runId: data.runId, failed: quality?.failed }, 'quality checks failed: publish blocked');
    await closeRun(db, data.runId, { status: 'failed', failedStage: 'build', counters: qualityCounters, error });
    await publishDeferred({ db, config, logger: runtime.logger }, data.runId);
    return { standings: built.standings, failedIngests, blocked: true };
  }
  await stageFinished(db, data.runId, 'build', key, {
    status: 'ok',
    counters: { ...built, ...qualityCounters, ...recovered(job) },
  });
  await stageStarted(db, data.runId, 'publish', key, job.attemptsMade + 1);
  const decision = await decideBackfillPublish(
    db,
    { runId: data.runId, trigger: data.trigger, key, counters: recovered(job) },
    config.runs.staleAfterMs,
  );
  let snapshotCounters: StageCounters;
  if ('deferTo' in decision) {
    snapshotCounters = { publish: 'deferred' };
    runtime.logger.info({ runId: data.runId, deferTo: decision.deferTo }, 'publish deferred to a later backfill run');
  } else {
    const published = await publishSnapshot({ db, config, logger: runtime.logger }, { runId: data.runId });
    snapshotCounters = publishCounters(published);
    await stageFinished(db, data.runId, 'publish', key, {
      status: 'ok',
      counters: { ...snapshotCounters, ...recovered(job) },
    });
    if (published.status !== 'blocked')
      await markDeferredPublished(db, decision.covers, { publishedBy: data.runId, counters: snapshotCounters });
  }
  const ingested = await countIngested(db, data.runId);
  await closeRun(db, data.runId, {
    status: failedIngests.length > 0 || failedSteps.length > 0 ? 'partial' : 'ok',
    counters: {
      matches: ingested,
      failedMatches: failedIngests,
      ...(failedSteps.length > 0 ? { failedSteps } : {}),
      standings: built.standings,
      ...qualityCounters,
      ...snapshotCounters,
    },
  });
  return { standings: built.standings, failedIngests };
}

/** Matches a run ingested: one per ingest job that ended ok, or the count a season-file ingest recorded. */
async function countIngested(db: Db, runId: string): Promise<number> {
  const [row] = await db
    .select({
      value: sql<number>`coalesce(sum(coalesce((${ops.stageRuns.counters} ->> 'matches')::int, 1)), 0)::int`,
    })
    .from(ops.stageRuns)
    .where(and(eq(ops.stageRuns.runId, runId), eq(ops.stageRuns.stage, 'ingest'), eq(ops.stageRuns.status, 'ok')));
  return Number(row?.value ?? 0);
}

/**
 * How often the job was taken back from a worker that died holding it (BullMQ's stalled count),
 * for the stage row: such a restart spends no attempt, so `attempt` alone would hide it.
 */
export function recovered(job: Job): StageCounters {
  return job.stalledCounter > 0 ? { recoveredFromStall: job.stalledCounter } : {};
}

type ScopedPayload = { runId?: string; match?: string; pool?: string; competitionId?: string; season?: string };

export const discoverStage: PipelineStage = {
  kind: 'pipeline',
  name: 'discover',
  queue: QUEUES.discover,
  jobName: JOBS.discover,
  summary: "list a competition-season's matches upstream and start the run flow for new or changed ones",
  payload: PAYLOADS.discover,
  dependsOn: [],
  concurrency: (config) => config.workers.concurrency.discover,
  scopeKey: (payload) => scopeKey(payload as { competitionId: string; season: string }),
  failureEndsRun: true,
  process: discover,
};

export const ingestStage: PipelineStage = {
  kind: 'pipeline',
  name: 'ingest',
  queue: QUEUES.ingest,
  jobName: JOBS.ingest,
  summary: "fetch one match's event, lineups, incidents and statistics into raw and core",
  payload: PAYLOADS.ingest,
  dependsOn: ['discover'],
  concurrency: (config) => config.workers.concurrency.ingest,
  scopeKey: (payload) => (payload as ScopedPayload).match ?? '',
  failureEndsRun: false,
  process: (runtime, job) => ingest(runtime, job),
};

export const ratingsStage: PipelineStage = {
  kind: 'pipeline',
  name: 'ratings',
  queue: QUEUES.ratings,
  jobName: JOBS.ratings,
  summary: "replay a rating pool's Elo ratings from its earliest dirty match",
  payload: PAYLOADS.ratings,
  dependsOn: ['ingest'],
  concurrency: (config) => config.workers.concurrency.ratings,
  scopeKey: (payload) => (payload as ScopedPayload).pool ?? '',
  failureEndsRun: true,
  process: (runtime, job) => rate(runtime, job),
};

export const buildStage: PipelineStage = {
  kind: 'pipeline',
  name: 'build',
  queue: QUEUES.build,
  jobName: JOBS.build,
  summary: 'rebuild the curated tables of a competition-season, check quality, publish a snapshot',
  payload: PAYLOADS.build,
  dependsOn: ['ratings'],
  concurrency: (config) => config.workers.concurrency.build,
  scopeKey: (payload) => scopeKey(payload as { competitionId: string; season: string }),
  failureEndsRun: true,
  process: (runtime, job) => build(runtime, job),
};
