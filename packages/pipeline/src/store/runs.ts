import { type Db, ops, type RunStatus, type StageStatus } from '@matchflow/db';
import { and, asc, eq, gt, ne, sql } from 'drizzle-orm';

/** What a run covers: one competition-season of one source. */
export interface RunScope {
  source: string;
  competitionId: string;
  competition: string;
  season: string;
}

/** Key of a scope in stage rows and overlap checks: `demo-league.50003`. */
export function scopeKey(scope: Pick<RunScope, 'competitionId' | 'season'>): string {
  return `${scope.competitionId}.${scope.season}`;
}

export interface NewRun {
  runId: string;
  trigger: string;
  scope: RunScope;
  env: string;
}

/** Open a run (`running`). Creating the same run twice is a no-op. */
export async function createRun(db: Db, run: NewRun): Promise<void> {
  await db
    .insert(ops.pipelineRuns)
    .values({ runId: run.runId, trigger: run.trigger, scope: run.scope, env: run.env, status: 'running' })
    .onConflictDoNothing();
}

/**
 * A run for this scope still in flight (started less than `staleAfterMs` ago: older ones are
 * presumed dead and left to the stale-run reaper).
 */
export async function runningRunFor(
  db: Db,
  scope: Pick<RunScope, 'competitionId' | 'season'>,
  options: { staleAfterMs?: number; except?: string } = {},
): Promise<string | undefined> {
  const [row] = await db
    .select({ runId: ops.pipelineRuns.runId })
    .from(ops.pipelineRuns)
    .where(
      and(
        eq(ops.pipelineRuns.status, 'running'),
        sql`${ops.pipelineRuns.scope}->>'competitionId' = ${scope.competitionId}`,
        sql`${ops.pipelineRuns.scope}->>'season' = ${scope.season}`,
        gt(ops.pipelineRuns.startedAt, new Date(Date.now() - (options.staleAfterMs ?? 6 * 3_600_000))),
        ...(options.except ? [ne(ops.pipelineRuns.runId, options.except)] : []),
      ),
    )
    .orderBy(asc(ops.pipelineRuns.startedAt), asc(ops.pipelineRuns.runId))
    .limit(1);
  return row?.runId;
}

/** Forget a run that never started any work (it lost a race for its scope). */
export async function discardRun(db: Db, runId: string): Promise<void> {
  await db
    .delete(ops.pipelineRuns)
    .where(and(eq(ops.pipelineRuns.runId, runId), eq(ops.pipelineRuns.status, 'running')));
}

export type StageCounters = Record<string, number | string | string[]>;

/** A stage began working on a scope (again, on a retry: the attempt is recorded). */
export async function stageStarted(db: Db, runId: string, stage: string, key: string, attempt: number): Promise<void> {
  await db
    .insert(ops.stageRuns)
    .values({ runId, stage, scopeKey: key, status: 'running', attempt })
    .onConflictDoUpdate({
      target: [ops.stageRuns.runId, ops.stageRuns.stage, ops.stageRuns.scopeKey],
      set: { status: 'running', attempt, startedAt: sql`now()`, finishedAt: null, durationMs: null, error: null },
    });
}

/** A stage finished on a scope: status, counters and how long it took. */
export async function stageFinished(
  db: Db,
  runId: string,
  stage: string,
  key: string,
  outcome: { status: StageStatus; counters?: StageCounters; error?: string },
): Promise<void> {
  await db
    .update(ops.stageRuns)
    .set({
      status: outcome.status,
      counters: outcome.counters ?? {},
      error: outcome.error ?? null,
      finishedAt: sql`now()`,
      durationMs: sql`(extract(epoch from now() - ${ops.stageRuns.startedAt}) * 1000)::int`,
    })
    .where(and(eq(ops.stageRuns.runId, runId), eq(ops.stageRuns.stage, stage), eq(ops.stageRuns.scopeKey, key)));
}

/** Close a run. Only a running run closes: a late duplicate cannot rewrite its outcome. */
export async function closeRun(
  db: Db,
  runId: string,
  outcome: { status: Exclude<RunStatus, 'running'>; failedStage?: string; counters?: StageCounters; error?: string },
): Promise<boolean> {
  const closed = await db
    .update(ops.pipelineRuns)
    .set({
      status: outcome.status,
      failedStage: outcome.failedStage ?? null,
      counters: outcome.counters ?? {},
      error: outcome.error ?? null,
      finishedAt: sql`now()`,
    })
    .where(and(eq(ops.pipelineRuns.runId, runId), eq(ops.pipelineRuns.status, 'running')))
    .returning({ runId: ops.pipelineRuns.runId });
  return closed.length > 0;
}
