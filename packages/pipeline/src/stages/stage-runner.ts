import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '@matchflow/config';
import { type Db, ops } from '@matchflow/db';
import { InvalidJobPayload, newRunId, type Producer, StageJob, type Trigger } from '@matchflow/queues';
import { jobLogger } from '@matchflow/telemetry';
import { DelayedError, type Job } from 'bullmq';
import { and, asc, eq, gt, ne, sql } from 'drizzle-orm';
import { closeRun, createRun, discardRun, type StageCounters, stageFinished, stageStarted } from '../store/runs.js';
import type { StageRegistry, StageRuntime, StandaloneStage } from './registry.js';
import type { StageBudget, StageEvent, StageWorkResult } from './stage-work.js';

/*
 * Runs of standalone stages (docs/adding-a-stage.md): the trigger records the run and enqueues
 * one job on the stage's queue; the processor records the stage row, runs the stage's work
 * within its budget, streams its events and keeps metrics.json and events.jsonl under
 * `<logDir>/runs/<run>/`. The same path serves `matchflow stage run`, the stage's schedule, and
 * the stage as a step of a competition run.
 */

/** What `ops.pipeline_runs.scope` holds for a run of a standalone stage. */
export interface StageRunScope {
  stage: string;
  /** The stage's queue: the reaper looks there for the run's job. */
  queue: string;
  scope: string;
}

export interface StageRunRequest {
  stage: string;
  /** What the stage runs over; `all` when absent. */
  scope?: string;
  trigger: Trigger;
  dryRun?: boolean;
  /** Overrides of the stage's budget (CLI flags). */
  budget?: Partial<StageBudget>;
}

export type StageRunStart =
  | { outcome: 'started'; runId: string; budget: StageBudget }
  | { outcome: 'skipped'; runningRunId: string | undefined };

/** Where a run's metrics.json and events.jsonl are kept. */
export function runArtifactsDir(config: Pick<Config, 'logDir'>, runId: string): string {
  return path.join(config.logDir, 'runs', runId);
}

/** A queued-overlap stage run looks again this often for its predecessor to finish. */
const OVERLAP_RETRY_MS = 2_000;

/**
 * A run of this stage over this scope still in flight (started less than `staleAfterMs` ago),
 * other than `except`: the oldest one.
 */
export async function runningStageRun(
  db: Db,
  stage: string,
  scope: string,
  options: { staleAfterMs: number; except?: string },
): Promise<string | undefined> {
  const [row] = await db
    .select({ runId: ops.pipelineRuns.runId })
    .from(ops.pipelineRuns)
    .where(
      and(
        eq(ops.pipelineRuns.status, 'running'),
        gt(ops.pipelineRuns.startedAt, new Date(Date.now() - options.staleAfterMs)),
        sql`${ops.pipelineRuns.scope}->>'stage' = ${stage}`,
        sql`${ops.pipelineRuns.scope}->>'scope' = ${scope}`,
        ...(options.except ? [ne(ops.pipelineRuns.runId, options.except)] : []),
      ),
    )
    .orderBy(asc(ops.pipelineRuns.startedAt), asc(ops.pipelineRuns.runId))
    .limit(1);
  return row?.runId;
}

/**
 * Start a run of a standalone stage: record it and enqueue its job. Under the `skip` overlap
 * policy (`runs.overlap`) a stage whose previous run over the same scope is still going gets
 * no new run; under `queue` the new run's job waits for the older one, as competition runs do.
 *
 * @throws Error for an unknown or non-standalone stage; InvalidJobPayload for a payload its schema refuses (a bad scope).
 */
export async function startStageRun(
  deps: { db: Db; producer: Producer; config: Pick<Config, 'stages' | 'runs' | 'env'>; registry: StageRegistry },
  request: StageRunRequest,
): Promise<StageRunStart> {
  const stage = standaloneStage(deps.registry, request.stage);
  const budget = deps.registry.budget(deps.config, stage, request.budget);
  const runId = newRunId();
  const scope: StageRunScope = { stage: stage.name, queue: stage.queue, scope: request.scope ?? 'all' };
  const payload: StageJob = {
    runId,
    stage: stage.name,
    scope: scope.scope,
    trigger: request.trigger,
    dryRun: request.dryRun ?? false,
    budget,
  };
  // Refused before anything is recorded: a bad scope names itself, nothing is left behind.
  for (const schema of [StageJob, stage.payload]) {
    const checked = schema.safeParse(payload);
    if (!checked.success) {
      throw new InvalidJobPayload(
        stage.queue,
        checked.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(payload)'}: ${issue.message}`),
      );
    }
  }
  const run = { runId, trigger: request.trigger, scope, env: deps.config.env };
  if (deps.config.runs.overlap === 'skip') {
    // Look and record under the scope's lock, as competition runs do: two triggers at the same
    // moment take turns, and the second finds the first's run.
    const running = await deps.db.transaction(async (txn) => {
      const tx = txn as unknown as Db;
      await tx.execute(
        sql`SELECT pg_advisory_xact_lock(hashtext(${`matchflow.run.stage.${stage.name}.${scope.scope}`}))`,
      );
      const found = await runningStageRun(tx, stage.name, scope.scope, { staleAfterMs: deps.config.runs.staleAfterMs });
      if (!found) await createRun(tx, run);
      return found;
    });
    if (running) return { outcome: 'skipped', runningRunId: running };
  } else {
    await createRun(deps.db, run);
  }
  try {
    await deps.producer.enqueueStage({ queue: stage.queue, name: stage.jobName, data: payload });
  } catch (error) {
    await discardRun(deps.db, runId);
    throw error;
  }
  return { outcome: 'started', runId, budget };
}

/** The standalone stage of that name, or an error listing the ones there are. */
export function standaloneStage(registry: StageRegistry, name: string): StandaloneStage {
  const stage = registry.get(name);
  const known = registry
    .standalone()
    .map((candidate) => candidate.name)
    .join(', ');
  if (!stage) throw new Error(`unknown stage '${name}' (standalone stages: ${known || 'none'})`);
  if (stage.kind !== 'standalone')
    throw new Error(
      `'${name}' runs as part of every competition run; use 'matchflow run' (standalone stages: ${known})`,
    );
  return stage;
}

/** What a stage run's metrics.json holds (`--metrics-json`). */
export interface StageMetrics {
  runId: string;
  stage: string;
  scope: string;
  trigger: string;
  dryRun: boolean;
  status: 'ok' | 'partial' | 'failed';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  budget: StageBudget;
  scanned: number;
  processed: number;
  skipped: number;
  failed: number;
  complete: boolean;
  counters: Record<string, number | string>;
  error?: string;
}

/**
 * The job handler of a standalone stage. Standing alone, it closes its run; as a step of a
 * competition run, it hands on what the stages before it reported and, once its own work has
 * failed for good, records that and lets the run go on without it.
 */
export async function processStageJob(
  runtime: StageRuntime,
  stage: StandaloneStage,
  job: Job,
  token: string | undefined,
): Promise<unknown> {
  const data = StageJob.parse(job.data);
  stage.payload.parse(job.data);
  const inRun = job.parent !== undefined;
  const { db, config } = runtime;
  if (!inRun) {
    const older = await runningStageRun(db, data.stage, data.scope, {
      staleAfterMs: config.runs.staleAfterMs,
      except: data.runId,
    });
    if (older && older < data.runId) {
      // Queued behind a run still going over the same scope: look again shortly.
      await job.moveToDelayed(Date.now() + OVERLAP_RETRY_MS, token);
      throw new DelayedError();
    }
  }
  const log = jobLogger(runtime.logger, job);
  const dir = runArtifactsDir(config, data.runId);
  await mkdir(dir, { recursive: true });
  const eventsFile = path.join(dir, 'events.jsonl');
  // Events are written in order, one line each, without holding the work up.
  let writing: Promise<void> = Promise.resolve();
  const emit = (event: StageEvent) => {
    const line = JSON.stringify({ at: new Date().toISOString(), stage: data.stage, runId: data.runId, ...event });
    writing = writing
      .then(() => appendFile(eventsFile, `${line}\n`))
      .then(() => job.log(line).then(() => undefined))
      .catch((error: unknown) => log.warn({ err: error }, 'could not write a stage event'));
  };
  const attempt = job.attemptsMade + 1;
  const startedAt = new Date();
  await stageStarted(db, data.runId, data.stage, data.scope, attempt);
  emit({ type: 'started', attempt, scope: data.scope, dryRun: data.dryRun, budget: data.budget });
  const children = inRun ? (Object.values(await job.getChildrenValues()) as Array<Record<string, unknown>>) : [];
  const handedOn = {
    failedIngests: children.flatMap((child) => (child.failedIngests as string[] | undefined) ?? []),
    failedSteps: children.flatMap((child) => (child.failedSteps as string[] | undefined) ?? []),
  };
  let result: StageWorkResult;
  try {
    result = await stage.work({
      db,
      config,
      logger: log,
      runId: data.runId,
      trigger: data.trigger,
      scope: data.scope,
      budget: data.budget,
      dryRun: data.dryRun,
      fetcher: runtime.fetcher,
      emit,
      now: () => new Date(),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    emit({ type: 'failed', attempt, error: message, final });
    await writing;
    if (!final) throw error;
    const finishedAt = new Date();
    await writeMetrics(dir, {
      ...metricsBase(data, startedAt, finishedAt),
      status: 'failed',
      scanned: 0,
      processed: 0,
      skipped: 0,
      failed: 0,
      complete: false,
      counters: {},
      error: message,
    });
    if (!inRun) throw error;
    // As a step, a failure of its own work is set aside: the run ends partial.
    await stageFinished(db, data.runId, data.stage, data.scope, { status: 'failed', error: message });
    log.warn({ err: error, stage: data.stage }, 'stage failed: the run goes on without it');
    return { ...handedOn, failedSteps: [...handedOn.failedSteps, data.stage] };
  }
  const finishedAt = new Date();
  const status = result.failed > 0 ? 'partial' : 'ok';
  const counters: StageCounters = {
    scanned: result.scanned,
    processed: result.processed,
    skipped: result.skipped,
    failed: result.failed,
    complete: result.complete ? 'yes' : 'no',
    ...(data.dryRun ? { dryRun: 'yes' } : {}),
    ...result.counters,
    worker: runtime.workerId,
  };
  await stageFinished(db, data.runId, data.stage, data.scope, { status, counters });
  emit({ type: 'finished', status, ...countsOf(result) });
  await writing;
  await writeMetrics(dir, { ...metricsBase(data, startedAt, finishedAt), status, ...countsOf(result) });
  if (!inRun)
    await closeRun(db, data.runId, { status, counters: { ...countsOf(result).counters, processed: result.processed } });
  return { ...handedOn, stage: data.stage, status, processed: result.processed };
}

function countsOf(result: StageWorkResult) {
  return {
    scanned: result.scanned,
    processed: result.processed,
    skipped: result.skipped,
    failed: result.failed,
    complete: result.complete,
    counters: result.counters,
  };
}

function metricsBase(data: StageJob, startedAt: Date, finishedAt: Date) {
  return {
    runId: data.runId,
    stage: data.stage,
    scope: data.scope,
    trigger: data.trigger,
    dryRun: data.dryRun,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    budget: data.budget,
  };
}

async function writeMetrics(dir: string, metrics: StageMetrics): Promise<void> {
  await writeFile(path.join(dir, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
}
