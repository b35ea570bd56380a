import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '@matchflow/config';
import { type Db, ops } from '@matchflow/db';
import { failpoint, type Logger } from '@matchflow/telemetry';
import { and, asc, desc, eq, isNull, sql } from 'drizzle-orm';
import { qualityScore } from '../quality/checks.js';
import { rows } from '../store/sql-rows.js';
import { publishLockExclusive } from './publish-lock.js';
import {
  commitSnapshot,
  discardSnapshot,
  listPublishDirectory,
  pointLatest,
  stageSnapshot,
  type TablePages,
  verifySnapshotDirectory,
  versionId,
} from './snapshot-files.js';
import { readTableLineage } from './table-lineage.js';
import type { SnapshotManifest } from './tables.js';

export interface PublishDeps {
  db: Db;
  config: Pick<Config, 'publishDir' | 'retention'>;
  logger?: Logger;
  now?: () => Date;
}

export type PublishOutcome =
  /** `unchanged`: the data equals the current latest snapshot's; nothing new was written. */
  | { status: 'published' | 'unchanged'; version: string; contentHash: string }
  /** A FAIL-level quality check failed in the run: nothing was written, `latest` did not move. */
  | { status: 'blocked'; failed: string[] };

/** A publish-directory operation that cannot be done (nothing to roll back to, a damaged snapshot). */
export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
}

/**
 * Publish the curated zone as a new snapshot for `runId`, unless the run failed a FAIL-level
 * quality check. Streams every published table into a temporary directory under the exclusive
 * publish lock (no build is half done), and when the content differs from the current latest's,
 * renames the directory into place, records it in `ops.snapshots` as latest, and then moves the
 * `latest` file; when it is equal, the temporary directory is removed. Finally applies retention.
 * Safe to repeat: a second call for the same data is `unchanged`.
 */
export async function publishSnapshot(deps: PublishDeps, input: { runId: string }): Promise<PublishOutcome> {
  const { db, config } = deps;
  const results = await db
    .select()
    .from(ops.qualityResults)
    .where(eq(ops.qualityResults.runId, input.runId))
    .orderBy(asc(ops.qualityResults.check), asc(ops.qualityResults.scope));
  const failed = results
    .filter((result) => result.status === 'fail')
    .map((result) => `${result.check}:${result.scope}`);
  if (failed.length > 0) {
    deps.logger?.warn({ runId: input.runId, failed }, 'publish blocked by quality checks');
    return { status: 'blocked', failed };
  }

  const outcome = await db.transaction(async (txn) => {
    const tx = txn as unknown as Db;
    await publishLockExclusive(tx);
    await removeLeftovers(tx, config.publishDir, deps.logger);
    // Read before staging, so nothing can fail between writing the files and keeping or removing them.
    const watermarks = await readWatermarks(tx);
    const tableLineage = await readTableLineage(tx, input.runId);
    const staged = await stageSnapshot(config.publishDir, cursorPages(tx));
    const [current] = await tx.select().from(ops.snapshots).where(eq(ops.snapshots.latest, true));
    if (current?.contentHash === staged.contentHash) {
      await discardSnapshot(staged);
      return { status: 'unchanged' as const, version: current.version, contentHash: current.contentHash };
    }

    const createdAt = deps.now?.() ?? new Date();
    const version = versionId(createdAt, staged.contentHash);
    const manifest = await commitSnapshot(config.publishDir, staged, {
      version,
      runId: input.runId,
      createdAt,
      watermarks,
      tableLineage,
      quality: qualitySummary(results),
    });
    failpoint('publish.files-written');
    await tx.update(ops.snapshots).set({ latest: false }).where(eq(ops.snapshots.latest, true));
    await tx.insert(ops.snapshots).values({
      version,
      runId: input.runId,
      createdAt,
      contentHash: staged.contentHash,
      rowCounts: Object.fromEntries(manifest.tables.map((table) => [table.name, table.rows])),
      qualityScore: manifest.quality.score,
      manifest,
      latest: true,
      latestSince: createdAt,
    });
    return { status: 'published' as const, version, contentHash: staged.contentHash };
  });

  if (outcome.status === 'published') failpoint('publish.row-committed');
  await syncLatestPointer(deps);
  if (outcome.status === 'published') {
    deps.logger?.info({ runId: input.runId, ...outcome }, 'snapshot published');
    await applySnapshotRetention(deps);
  }
  return outcome;
}

/** Rows a publish holds in memory at once: one page of one table. */
const PAGE_ROWS = 5_000;
// FETCH takes its row count as a literal: it cannot be a bound parameter.
const FETCH_PAGE = sql.raw(`FETCH FORWARD ${PAGE_ROWS} FROM`);

/**
 * Each table read through a cursor of the publish transaction, `PAGE_ROWS` at a time: one sort
 * per table, and memory bounded by a page whatever the size of the curated zone.
 */
function cursorPages(tx: Db): TablePages {
  return (table) =>
    (async function* () {
      const cursor = sql.identifier(`snapshot_${table.name}`);
      await tx.execute(sql`DECLARE ${cursor} NO SCROLL CURSOR FOR ${table.query}`);
      for (;;) {
        const page = await rows<Record<string, unknown>>(tx, sql`${FETCH_PAGE} ${cursor}`);
        if (page.length > 0) yield page;
        if (page.length < PAGE_ROWS) break;
      }
      await tx.execute(sql`CLOSE ${cursor}`);
    })();
}

/** The run's quality results, summarised for the manifest. */
function qualitySummary(
  results: readonly { check: string; scope: string; status: string; observed: number; threshold: number }[],
): SnapshotManifest['quality'] {
  const statuses = results.map((result) => ({ status: result.status as 'pass' | 'warn' | 'fail' }));
  return {
    score: qualityScore(statuses),
    checks: results.length,
    passed: results.filter((result) => result.status === 'pass').length,
    warned: results.filter((result) => result.status === 'warn').length,
    failed: results.filter((result) => result.status === 'fail').length,
    issues: results
      .filter((result) => result.status !== 'pass')
      .map(({ check, scope, status, observed, threshold }) => ({ check, scope, status, observed, threshold })),
  };
}

/** Per source: the newest payload fetched and the newest upstream change seen in core. */
async function readWatermarks(tx: Db): Promise<SnapshotManifest['watermarks']> {
  const iso = (column: string) =>
    sql.raw(`to_char(max(${column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);
  const fetched = await rows<{ source: string; at: string | null }>(
    tx,
    sql`SELECT source, ${iso('fetched_at')} AS at FROM raw.payloads WHERE NOT quarantined GROUP BY source`,
  );
  const changed = await rows<{ source: string; at: string | null }>(
    tx,
    sql`SELECT s.source, ${iso('m.source_changed_at')} AS at FROM core.matches m
        JOIN core.source_ids s ON s.entity = 'match' AND s.core_id = m.id GROUP BY s.source`,
  );
  const watermarks: SnapshotManifest['watermarks'] = {};
  for (const source of [...new Set([...fetched, ...changed].map((row) => row.source))].sort())
    watermarks[source] = {
      last_fetched_at: fetched.find((row) => row.source === source)?.at ?? null,
      last_changed_at: changed.find((row) => row.source === source)?.at ?? null,
    };
  return watermarks;
}

/**
 * Remove what an interrupted publish left: temporary directories, and snapshot directories that
 * never got their `ops.snapshots` row (or whose row was pruned). Runs under the exclusive lock,
 * when no publisher is between writing its directory and committing its row.
 */
async function removeLeftovers(tx: Db, publishDir: string, logger: Logger | undefined): Promise<void> {
  const { versions, leftovers } = await listPublishDirectory(publishDir);
  const kept = new Set(
    (await tx.select({ version: ops.snapshots.version }).from(ops.snapshots).where(isNull(ops.snapshots.prunedAt))).map(
      (row) => row.version,
    ),
  );
  const stray = [...leftovers, ...versions.filter((version) => !kept.has(version))];
  for (const name of stray) await rm(path.join(publishDir, name), { recursive: true, force: true });
  if (stray.length > 0) logger?.info({ removed: stray }, 'removed leftovers of interrupted publishes');
}

/**
 * Make the `latest` file name the version `ops.snapshots` says is latest. Under the lock, so two
 * publishers cannot leave the file behind the table.
 */
export async function syncLatestPointer(deps: Pick<PublishDeps, 'db' | 'config'>): Promise<string | undefined> {
  return deps.db.transaction(async (txn) => {
    const tx = txn as unknown as Db;
    await publishLockExclusive(tx);
    const [latest] = await tx
      .select({ version: ops.snapshots.version })
      .from(ops.snapshots)
      .where(eq(ops.snapshots.latest, true));
    if (latest) await pointLatest(deps.config.publishDir, latest.version);
    return latest?.version;
  });
}

/**
 * Keep the newest `retention.snapshotsKeep` snapshots and the latest one (which, after a
 * rollback, may be older); mark the others pruned, then delete their directories.
 */
export async function applySnapshotRetention(deps: PublishDeps): Promise<string[]> {
  const pruned = await deps.db.transaction(async (txn) => {
    const tx = txn as unknown as Db;
    await publishLockExclusive(tx);
    const present = await tx
      .select({ version: ops.snapshots.version, latest: ops.snapshots.latest })
      .from(ops.snapshots)
      .where(isNull(ops.snapshots.prunedAt))
      .orderBy(desc(ops.snapshots.createdAt), desc(ops.snapshots.version));
    const doomed = present
      .slice(deps.config.retention.snapshotsKeep)
      .filter((row) => !row.latest)
      .map((row) => row.version);
    const prunedAt = deps.now?.() ?? new Date();
    for (const version of doomed)
      await tx.update(ops.snapshots).set({ prunedAt }).where(eq(ops.snapshots.version, version));
    return doomed;
  });
  for (const version of pruned) await rm(path.join(deps.config.publishDir, version), { recursive: true, force: true });
  if (pruned.length > 0) deps.logger?.info({ pruned }, 'old snapshots removed');
  return pruned;
}

export interface SnapshotListing {
  version: string;
  runId: string;
  createdAt: Date;
  contentHash: string;
  rowCounts: Record<string, number>;
  qualityScore: number;
  latest: boolean;
  latestSince: Date | null;
  prunedAt: Date | null;
}

/** Snapshots newest first; pruned ones only with `all`. */
export async function listSnapshots(db: Db, options: { all?: boolean } = {}): Promise<SnapshotListing[]> {
  const listed = await db
    .select({
      version: ops.snapshots.version,
      runId: ops.snapshots.runId,
      createdAt: ops.snapshots.createdAt,
      contentHash: ops.snapshots.contentHash,
      rowCounts: ops.snapshots.rowCounts,
      qualityScore: ops.snapshots.qualityScore,
      latest: ops.snapshots.latest,
      latestSince: ops.snapshots.latestSince,
      prunedAt: ops.snapshots.prunedAt,
    })
    .from(ops.snapshots)
    .where(options.all ? undefined : isNull(ops.snapshots.prunedAt))
    .orderBy(desc(ops.snapshots.createdAt), desc(ops.snapshots.version));
  return listed.map((row) => ({ ...row, rowCounts: row.rowCounts as Record<string, number> }));
}

/**
 * Move `latest` back: to `to`, or to the newest snapshot older than the current latest. The
 * target's files are checked against its manifest first; a damaged or pruned one is refused.
 * The next successful publish moves `latest` forward again.
 */
export async function rollbackSnapshot(
  deps: PublishDeps,
  options: { to?: string } = {},
): Promise<{ from: string; to: string; contentHash: string }> {
  const moved = await deps.db.transaction(async (txn) => {
    const tx = txn as unknown as Db;
    await publishLockExclusive(tx);
    const [current] = await tx.select().from(ops.snapshots).where(eq(ops.snapshots.latest, true));
    if (!current) throw new SnapshotError('nothing has been published: there is no latest snapshot to roll back');
    const [target] = options.to
      ? await tx.select().from(ops.snapshots).where(eq(ops.snapshots.version, options.to))
      : await tx
          .select()
          .from(ops.snapshots)
          .where(
            and(
              isNull(ops.snapshots.prunedAt),
              sql`(${ops.snapshots.createdAt}, ${ops.snapshots.version}) < (${current.createdAt.toISOString()}::timestamptz, ${current.version})`,
            ),
          )
          .orderBy(desc(ops.snapshots.createdAt), desc(ops.snapshots.version))
          .limit(1);
    if (!target)
      throw new SnapshotError(
        options.to
          ? `there is no snapshot '${options.to}' (matchflow publish list shows them)`
          : `${current.version} is the oldest snapshot kept: there is nothing earlier to roll back to`,
      );
    if (target.version === current.version) throw new SnapshotError(`${target.version} is already the latest snapshot`);
    if (target.prunedAt) throw new SnapshotError(`${target.version} was removed by retention and cannot be restored`);
    const problems = await verifySnapshotDirectory(deps.config.publishDir, target.version);
    if (problems.length > 0)
      throw new SnapshotError(`${target.version} is damaged, refusing to point latest at it: ${problems.join('; ')}`);
    const since = deps.now?.() ?? new Date();
    await tx.update(ops.snapshots).set({ latest: false }).where(eq(ops.snapshots.version, current.version));
    await tx
      .update(ops.snapshots)
      .set({ latest: true, latestSince: since })
      .where(eq(ops.snapshots.version, target.version));
    return { from: current.version, to: target.version, contentHash: target.contentHash };
  });
  await syncLatestPointer(deps);
  deps.logger?.info(moved, 'latest snapshot rolled back');
  return moved;
}
