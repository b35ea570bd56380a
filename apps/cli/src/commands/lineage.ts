import type { Config } from '@matchflow/config';
import { createDb } from '@matchflow/db';
import { type Lineage, type LineageCoreRow, LineageRequestError, lineageOf } from '@matchflow/pipeline';
import { json } from '../format.js';
import { UsageError } from '../usage-error.js';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * `matchflow lineage <table> <key> [--json]`: the chain behind one published row: the curated
 * row, the core rows it is computed from, and the raw payload each came from (endpoint, key,
 * fetched_at, sha256, quarantined). Exit 1 when no row has that key; a table lineage cannot
 * trace or a malformed key is a usage error (exit 2).
 */
export async function lineage(
  config: Config,
  options: { table: string; key: string; json: boolean },
  io: Io,
): Promise<number> {
  const database = await createDb(config);
  try {
    let found: Lineage | undefined;
    try {
      found = await lineageOf(database.db, options.table, options.key);
    } catch (error) {
      if (error instanceof LineageRequestError) throw new UsageError(error.message);
      throw error;
    }
    if (!found) {
      io.err(`matchflow: ${options.table} has no row with key '${options.key}' (is it built and published?)`);
      return 1;
    }
    if (options.json) io.out(json(found));
    else for (const line of describeLineage(found)) io.out(line);
    return 0;
  } finally {
    await database.close();
  }
}

function keyText(key: Record<string, string | number>): string {
  return Object.entries(key)
    .map(([column, value]) => `${column}=${value}`)
    .join(' ');
}

/** The chain as an indented tree: the row, then each core row with its payload under it. */
export function describeLineage(found: Lineage): string[] {
  const lines = [`${found.table} ${keyText(found.key)}`];
  lines.push(
    `  row: ${Object.entries(found.row)
      .map(([column, value]) => `${column}=${value === null ? '' : String(value)}`)
      .join(' ')}`,
  );
  lines.push(`  core rows: ${found.core.length}`);
  for (const row of found.core) {
    lines.push(`  ${row.table} ${Object.values(row.key).join(' ')}  ${row.summary}`);
    lines.push(`    ${payloadLine(row)}`);
  }
  return lines;
}

function payloadLine(row: LineageCoreRow): string {
  if (!row.rawSha256) return 'raw: none recorded (written before lineage, or from config)';
  const { payload } = row;
  if (!payload) return `raw: sha256 ${row.rawSha256}, no longer in raw (retention)`;
  return (
    `raw: ${payload.source} ${payload.endpoint} ${payload.key} · fetched ${payload.fetchedAt} · ` +
    `sha256 ${payload.sha256}${payload.quarantined ? ' · QUARANTINED' : ''}`
  );
}
