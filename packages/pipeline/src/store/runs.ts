import { type Db, ops, type RunStatus, type StageStatus } from '@matchflow/db';
import { and, asc, desc, eq, gt, ne, type SQL, sql } from 'drizzle-orm';

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
  /** A competition-season, or for a run of a standalone stage `{ stage, queue, scope }`. */
  scope: RunScope | { stage: string; queue: string; scope: string };
  env: string;
}

/** Open a run (`running`). Creating the same run twice is a no-op. */
export async function createRun(db: Db, run: NewRun): Promise<void> {
  await db
    .insert(ops.pipelineRuns)
    .values({ runId: run.runId, trigger: run.trigger, scope: run.scope, env: run.env, status: 'running' })
    .onConflictDoNothing();
}

/** Runs `running` that started less than `staleAfterMs` ago (older ones are presumed dead). */
function inFlight(staleAfterMs: number): SQL | undefined {
  return and(
    eq(ops.pipelineRuns.status, 'running'),
    gt(ops.pipelineRuns.startedAt, new Date(Date.now() - staleAfterMs)),
  );
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
        inFlight(options.staleAfterMs ?? 6 * 3_600_000),
        sql`${ops.pipelineRuns.scope}->>'competitionId' = ${scope.competitionId}`,
        sql`${ops.pipelineRuns.scope}->>'season' = ${scope.season}`,
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

/*
 * A backfill loads many seasons at once, and each season's run ends in a publish that reads the
 * whole curated zone: N seasons would publish N times, each larger than the last. So a backfill
 * run whose build is done defers its publish while another backfill run has not reached its own
 * publish yet: that one publishes later, and its snapshot holds this run's tables too. A backfill
 * run that closes without publishing (nothing to do, blocked by quality, failed, reaped)
 * publishes for the runs that deferred to it instead (`takeDeferredPublishes`).
 *
 * The decisions are taken one at a time under an advisory lock, and a run records its publish
 * stage before deciding: so whichever of a backfill's runs decides last sees no one still to come
 * and publishes, and a deferral is never missed by the run it waited for. A deferred publish stage
 * says `publish: deferred` until the publish that covers it records its snapshot there.
 */
const DEFERRAL_LOCK = sql`hashtext('matchflow.publish-deferral')`;

async function lockDeferrals(tx: Db): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${DEFERRAL_LOCK})`);
}

/** A publish stage left `deferred`, waiting for a later publish. */
export interface DeferredPublish {
  runId: string;
  key: string;
}

/**
 * A running backfill run other than `runId` (started within `staleAfterMs`) that has not
 * reached its publish stage yet.
 */
async function backfillRunStillToPublish(db: Db, runId: string, staleAfterMs: number): Promise<string | undefined> {
  const [row] = await db
    .select({ runId: ops.pipelineRuns.runId })
    .from(ops.pipelineRuns)
    .where(
      and(
        inFlight(staleAfterMs),
        eq(ops.pipelineRuns.trigger, 'backfill'),
        ne(ops.pipelineRuns.runId, runId),
        sql`NOT EXISTS (SELECT 1 FROM ${ops.stageRuns} s
          WHERE s.run_id = ${ops.pipelineRuns.runId} AND s.stage = 'publish')`,
      ),
    )
    .orderBy(asc(ops.pipelineRuns.startedAt), asc(ops.pipelineRuns.runId))
    .limit(1);
  return row?.runId;
}

/** Publish stages still `deferred`, newest first. */
async function deferredPublishes(db: Db): Promise<DeferredPublish[]> {
  return db
    .select({ runId: ops.stageRuns.runId, key: ops.stageRuns.scopeKey })
    .from(ops.stageRuns)
    .where(and(eq(ops.stageRuns.stage, 'publish'), sql`${ops.stageRuns.counters}->>'publish' = 'deferred'`))
    .orderBy(desc(ops.stageRuns.finishedAt), desc(ops.stageRuns.runId));
}

/**
 * Called with the run's publish stage started. For a backfill run while another backfill run is
 * still to publish: records this publish stage `skipped` with `publish: deferred` and returns
 * `{ deferTo }`. Otherwise the caller publishes, and its snapshot covers the deferred publish
 * stages returned (`markDeferredPublished`).
 */
export async function decideBackfillPublish(
  db: Db,
  run: { runId: string; trigger: string; key: string; counters?: StageCounters },
  staleAfterMs: number,
): Promise<{ deferTo: string } | { covers: DeferredPublish[] }> {
  if (run.trigger !== 'backfill') return { covers: [] };
  return db.transaction(async (txn) => {
    const tx = txn as unknown as Db;
    await lockDeferrals(tx);
    const later = await backfillRunStillToPublish(tx, run.runId, staleAfterMs);
    if (!later) return { covers: await deferredPublishes(tx) };
    await stageFinished(tx, run.runId, 'publish', run.key, {
      status: 'skipped',
      counters: { publish: 'deferred', ...run.counters },
    });
    return { deferTo: later };
  });
}

/**
 * `closedRunId` closed without publishing. When it is a backfill run and no other backfill run
 * is still to publish, returns the publish stages still deferred (newest first): the caller
 * publishes for the first, and the snapshot covers them all. Otherwise returns none.
 */
export async function takeDeferredPublishes(
  db: Db,
  closedRunId: string,
  staleAfterMs: number,
): Promise<DeferredPublish[]> {
  return db.transaction(async (txn) => {
    const tx = txn as unknown as Db;
    const [closed] = await tx
      .select({ trigger: ops.pipelineRuns.trigger })
      .from(ops.pipelineRuns)
      .where(eq(ops.pipelineRuns.runId, closedRunId));
    if (closed?.trigger !== 'backfill') return [];
    await lockDeferrals(tx);
    if (await backfillRunStillToPublish(tx, closedRunId, staleAfterMs)) return [];
    return deferredPublishes(tx);
  });
}

/** Record in deferred publish stages the snapshot that covered them, and which run published it. */
export async function markDeferredPublished(
  db: Db,
  covered: readonly DeferredPublish[],
  outcome: { publishedBy: string; counters: StageCounters },
): Promise<void> {
  for (const stage of covered)
    await db
      .update(ops.stageRuns)
      .set({ counters: { ...outcome.counters, publishedBy: outcome.publishedBy } })
      .where(
        and(
          eq(ops.stageRuns.runId, stage.runId),
          eq(ops.stageRuns.stage, 'publish'),
          eq(ops.stageRuns.scopeKey, stage.key),
          sql`${ops.stageRuns.counters}->>'publish' = 'deferred'`,
        ),
      );
}
