import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { type Db, ops, raw } from '@matchflow/db';
import type { Queue } from 'bullmq';
import { and, asc, eq, gt, inArray, lt, ne, sql } from 'drizzle-orm';

/** Rows deleted per statement: keeps each transaction (and its locks) short. */
const BATCH = 5_000;

/**
 * Delete old raw payloads, by the rule of docs/retention.md. A payload fetched before `olderThan`
 * goes when a newer payload of the same resource (source, endpoint, key) exists that is sound
 * (not quarantined), or when it is itself quarantined and any newer payload of the resource
 * exists. So the newest payload of every resource stays, and so does the newest sound one, which
 * core was built from and `rebuild --from-raw` reads (a newer quarantined body never reached
 * core, so it does not supersede it). "Newer" orders by `fetched_at`, then id, as rebuild does.
 *
 * @returns payloads deleted
 */
export async function pruneRawPayloads(db: Db, options: { olderThan: Date }): Promise<number> {
  const p = raw.payloads;
  let deleted = 0;
  // Walk the ids upwards, so each batch starts where the last stopped instead of scanning the
  // kept payloads again.
  let after = 0;
  for (;;) {
    const doomed = db
      .select({ id: p.id })
      .from(p)
      .where(
        and(
          gt(p.id, after),
          lt(p.fetchedAt, options.olderThan),
          sql`EXISTS (
            SELECT 1 FROM raw.payloads AS newer
            WHERE newer.source = ${p.source} AND newer.endpoint = ${p.endpoint} AND newer.key = ${p.key}
              AND (newer.fetched_at, newer.id) > (${p.fetchedAt}, ${p.id})
              AND (${p.quarantined} OR NOT newer.quarantined)
          )`,
        ),
      )
      .orderBy(asc(p.id))
      .limit(BATCH);
    const batch = await db.delete(p).where(inArray(p.id, doomed)).returning({ id: p.id });
    deleted += batch.length;
    if (batch.length < BATCH) return deleted;
    after = Math.max(...batch.map((row) => row.id));
  }
}

/**
 * Delete finished runs started before `olderThan`, with their stage rows and quality results
 * (the foreign keys cascade). Kept: running runs (the reaper's business) and runs whose snapshot
 * is still on disk (an unpruned `ops.snapshots` row), so what `latest` and every rollback target
 * were built from stays explained. `ops.snapshots` rows are never deleted.
 *
 * @returns runs deleted
 */
export async function pruneRunHistory(db: Db, options: { olderThan: Date }): Promise<number> {
  const runs = ops.pipelineRuns;
  let deleted = 0;
  for (;;) {
    const doomed = db
      .select({ runId: runs.runId })
      .from(runs)
      .where(
        and(
          ne(runs.status, 'running'),
          lt(runs.startedAt, options.olderThan),
          sql`NOT EXISTS (
            SELECT 1 FROM ops.snapshots AS kept WHERE kept.run_id = ${runs.runId} AND kept.pruned_at IS NULL
          )`,
        ),
      )
      .limit(BATCH);
    const batch = await db.delete(runs).where(inArray(runs.runId, doomed)).returning({ runId: runs.runId });
    deleted += batch.length;
    if (batch.length < BATCH) return deleted;
  }
}

/**
 * Remove the kept artifacts (`<logDir>/runs/<run_id>/`: metrics.json, events.jsonl) of runs
 * that are no longer in the run history and are older than `olderThan` (by the directory's
 * last change): they go with their run, and never before it.
 *
 * @returns directories removed
 */
export async function pruneRunArtifacts(db: Db, options: { logDir: string; olderThan: Date }): Promise<number> {
  const root = path.join(options.logDir, 'runs');
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let removed = 0;
  for (const entry of entries) {
    if (!/^run-[a-z0-9-]+$/.test(entry)) continue;
    const dir = path.join(root, entry);
    const stats = await stat(dir);
    if (!stats.isDirectory() || stats.mtime >= options.olderThan) continue;
    const [kept] = await db
      .select({ runId: ops.pipelineRuns.runId })
      .from(ops.pipelineRuns)
      .where(eq(ops.pipelineRuns.runId, entry));
    if (kept) continue;
    await rm(dir, { recursive: true, force: true });
    removed += 1;
  }
  return removed;
}

/**
 * Delete ops samples (`ops.samples`, the ops page's resource charts) taken before `olderThan`,
 * a batch at a time.
 *
 * @returns samples deleted
 */
export async function pruneOpsSamples(db: Db, options: { olderThan: Date }): Promise<number> {
  const s = ops.samples;
  let deleted = 0;
  for (;;) {
    const batch = await db
      .delete(s)
      .where(
        sql`(${s.metric}, ${s.subject}, ${s.sampledAt}) IN (
          SELECT metric, subject, sampled_at FROM ops.samples
          WHERE sampled_at < to_timestamp(${options.olderThan.getTime() / 1000}) LIMIT ${BATCH}
        )`,
      )
      .returning({ metric: s.metric });
    deleted += batch.length;
    if (batch.length < BATCH) return deleted;
  }
}

export interface CleanedJobs {
  completed: number;
  failed: number;
}

/**
 * Remove finished jobs from the queues: completed ones finished before `completedBefore`, failed
 * ones before `failedBefore` (ms since the epoch). The jobs' own `removeOnFail: { age }` only
 * trims when another job of the queue fails (DESIGN §12), so a quiet queue keeps old failures
 * until this runs.
 */
export async function cleanQueues(
  queues: Record<string, Queue>,
  options: { completedBefore: number; failedBefore: number },
): Promise<Record<string, CleanedJobs>> {
  const cleaned: Record<string, CleanedJobs> = {};
  for (const [name, queue] of Object.entries(queues)) {
    // clean() takes a grace period before now; a limit of 0 means no limit.
    const completed = await queue.clean(Date.now() - options.completedBefore, 0, 'completed');
    const failed = await queue.clean(Date.now() - options.failedBefore, 0, 'failed');
    cleaned[name] = { completed: completed.length, failed: failed.length };
  }
  return cleaned;
}
