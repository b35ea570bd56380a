import type { Config } from '@matchflow/config';
import { type Db, ops } from '@matchflow/db';
import { jobIds, type Producer, Trigger } from '@matchflow/queues';
import type { Logger } from '@matchflow/telemetry';
import { and, desc, eq, sql } from 'drizzle-orm';
import { publishDeferred } from '../publish/deferred.js';
import { closeRun, type RunScope } from '../store/runs.js';

/** The error a run closed because its jobs were gone gets. */
export const VANISHED_ERROR = 'jobs vanished (Redis flushed or restarted?)';

/** Triggers whose runs are carried by queue jobs (a `rebuild` runs in its own process, without jobs). */
const QUEUE_TRIGGERS: ReadonlySet<string> = new Set(Trigger.options);

export interface ReapDeps {
  db: Db;
  producer: Producer;
  config: Pick<Config, 'runs' | 'publishDir' | 'retention'>;
  logger: Logger;
}

export interface ReapOptions {
  /** Only runs of these competition-seasons (default: every running run). */
  scopes?: Array<Pick<RunScope, 'competitionId' | 'season'>>;
  /**
   * Runs younger than this are not checked for vanished jobs (default `runs.vanishedAfterMs`,
   * 60 s): `triggerRun` records the run a moment before it enqueues the discover job.
   */
  minAgeMs?: number;
}

export interface ReapResult {
  /** Running runs looked at. */
  checked: number;
  closed: Array<{ runId: string; reason: 'stale' | 'vanished'; failedStage: string }>;
}

/**
 * Close dead runs as `failed`, so they stop holding their scope under the overlap policy and the
 * run history tells the truth:
 *
 * - **stale**: `running` for longer than `runs.staleAfterMs`;
 * - **vanished**: a run carried by queue jobs (trigger schedule, cli, backfill, start), at least
 *   `runs.vanishedAfterMs` old (a minute by default), whose discover job
 *   (`discover.{source}.{competition}.{season}` holding this run) and build job (`build.{run}.{competition}.{season}`) are both absent from every state of
 *   their queues, as after a Redis flush. Discover is looked up first: the flow with the build
 *   job is added before the discover job goes away, so a live run is never seen without both.
 *
 * The failed stage is the one still running (else the last one recorded, else `discover`); its
 * running stage rows are closed `failed` with the same error. A run that closes meanwhile is left
 * as it closed (`closeRun` only closes a running run).
 */
export async function reapStaleRuns(deps: ReapDeps, options: ReapOptions = {}): Promise<ReapResult> {
  const { db, producer, config, logger } = deps;
  const minAgeMs = options.minAgeMs ?? config.runs.vanishedAfterMs ?? 60_000;
  const running = await db
    .select({
      runId: ops.pipelineRuns.runId,
      trigger: ops.pipelineRuns.trigger,
      scope: ops.pipelineRuns.scope,
      ageMs: sql<number>`(extract(epoch from now() - ${ops.pipelineRuns.startedAt}) * 1000)::float8`,
    })
    .from(ops.pipelineRuns)
    .where(eq(ops.pipelineRuns.status, 'running'));
  const wanted = options.scopes?.map((scope) => `${scope.competitionId}\u0000${scope.season}`);
  const result: ReapResult = { checked: 0, closed: [] };
  for (const run of running) {
    const scope = run.scope as Partial<RunScope>;
    if (wanted && !wanted.includes(`${scope.competitionId}\u0000${scope.season}`)) continue;
    result.checked += 1;
    const ageMs = Number(run.ageMs);
    let reason: 'stale' | 'vanished' | undefined;
    if (ageMs > config.runs.staleAfterMs) reason = 'stale';
    else if (QUEUE_TRIGGERS.has(run.trigger) && ageMs >= minAgeMs && (await jobsVanished(producer, run.runId, scope)))
      reason = 'vanished';
    if (!reason) continue;
    const error =
      reason === 'stale'
        ? `stale: still running after runs.staleAfterMs (${config.runs.staleAfterMs} ms); presumed dead`
        : VANISHED_ERROR;
    const failedStage = await closeStages(db, run.runId, error);
    if (await closeRun(db, run.runId, { status: 'failed', failedStage, error, counters: { reaped: reason } })) {
      result.closed.push({ runId: run.runId, reason, failedStage });
      logger.warn({ runId: run.runId, reason, failedStage, ageMs, scope }, 'dead run closed as failed');
      // Backfill runs may have deferred their publish to it.
      await publishDeferred({ db, config, logger }, run.runId);
    }
  }
  return result;
}

async function jobsVanished(
  producer: Producer,
  runId: string,
  scope: Partial<RunScope> & { stage?: string; queue?: string },
): Promise<boolean> {
  if (scope.stage && scope.queue) {
    // A run of a standalone stage is carried by its one job.
    return !(await producer.queue(scope.queue).getJob(jobIds.stage({ stage: scope.stage, runId })));
  }
  const { source, competition, season } = scope;
  // A scope we cannot read has no job ids to look for; only staleness can close it.
  if (!source || !competition || !season) return false;
  const discover = await producer.queues.discover.getJob(jobIds.discover({ source, competition, season }));
  if ((discover?.data as { runId?: string } | undefined)?.runId === runId) return false;
  const build = await producer.queues.build.getJob(jobIds.build({ runId, competition, season }));
  return !build;
}

/** Close the run's running stage rows as failed; returns the stage to blame. */
async function closeStages(db: Db, runId: string, error: string): Promise<string> {
  const stages = await db
    .select({ stage: ops.stageRuns.stage, status: ops.stageRuns.status })
    .from(ops.stageRuns)
    .where(eq(ops.stageRuns.runId, runId))
    .orderBy(desc(ops.stageRuns.startedAt));
  const blamed = stages.find((stage) => stage.status === 'running') ?? stages[0];
  await db
    .update(ops.stageRuns)
    .set({
      status: 'failed',
      error,
      finishedAt: sql`now()`,
      durationMs: sql`(extract(epoch from now() - ${ops.stageRuns.startedAt}) * 1000)::int`,
    })
    .where(and(eq(ops.stageRuns.runId, runId), eq(ops.stageRuns.status, 'running')));
  return blamed?.stage ?? 'discover';
}
