import type { Config } from '@matchflow/config';
import { createDb } from '@matchflow/db';
import { listSnapshots, readLatestVersion, rollbackSnapshot, SnapshotError } from '@matchflow/pipeline';
import { createLogger } from '@matchflow/telemetry';

export interface PublishListOptions {
  json: boolean;
  /** Include snapshots removed by retention. */
  all: boolean;
}

/**
 * `matchflow publish list [--all] [--json]`: the snapshots, newest first, with content hash,
 * rows, quality score and which one is latest.
 */
export async function publishList(
  config: Config,
  options: PublishListOptions,
  out: (line: string) => void,
): Promise<number> {
  const database = await createDb(config);
  try {
    const snapshots = await listSnapshots(database.db, { all: options.all });
    const pointer = await readLatestVersion(config.publishDir);
    if (options.json) {
      out(JSON.stringify({ publishDir: config.publishDir, latestFile: pointer ?? null, snapshots }, null, 2));
      return 0;
    }
    if (snapshots.length === 0) {
      out(`nothing published yet (publish directory ${config.publishDir})`);
      return 0;
    }
    out(`snapshots in ${config.publishDir} (newest first; * = latest)`);
    out(`  ${'version'.padEnd(29)} ${'content hash'.padEnd(16)} ${'rows'.padStart(7)}  quality  run`);
    for (const snapshot of snapshots) {
      const rows = Object.values(snapshot.rowCounts).reduce((sum, value) => sum + value, 0);
      const mark = snapshot.latest ? '*' : snapshot.prunedAt ? '-' : ' ';
      out(
        `${mark} ${snapshot.version.padEnd(29)} ${snapshot.contentHash.slice(0, 16)} ${String(rows).padStart(7)}  ` +
          `${snapshot.qualityScore.toFixed(3).padStart(7)}  ${snapshot.runId}${snapshot.prunedAt ? '  (removed by retention)' : ''}`,
      );
    }
    const latest = snapshots.find((snapshot) => snapshot.latest);
    if (latest && pointer !== latest.version)
      out(`warning: the latest file names ${pointer ?? 'nothing'}, the database ${latest.version}`);
    return 0;
  } finally {
    await database.close();
  }
}

/**
 * `matchflow publish rollback [--to VERSION] [--json]`: move `latest` back to the previous
 * snapshot (or to VERSION). Exit 1 when there is nothing to roll back to, or the target is
 * damaged or removed.
 */
export async function publishRollback(
  config: Config,
  options: { to: string | undefined; json: boolean },
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const database = await createDb(config);
  const logger = createLogger({ service: 'cli', level: 'warn', destination: process.stderr });
  try {
    const moved = await rollbackSnapshot(
      { db: database.db, config, logger },
      options.to === undefined ? {} : { to: options.to },
    );
    if (options.json) out(JSON.stringify(moved));
    else out(`latest moved from ${moved.from} to ${moved.to} (content ${moved.contentHash.slice(0, 16)})`);
    return 0;
  } catch (error) {
    if (!(error instanceof SnapshotError)) throw error;
    err(`matchflow: ${error.message}`);
    return 1;
  } finally {
    await database.close();
  }
}
