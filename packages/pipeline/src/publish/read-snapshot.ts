import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { LATEST_FILE, MANIFEST_FILE } from './snapshot-files.js';
import {
  type CompetitionRow,
  type MatchOddsRow,
  type MatchRow,
  type PlayerAppearanceRow,
  type PlayerRow,
  PUBLISHED_TABLES,
  type RatingCalibrationRow,
  type RatingRow,
  type SeasonRow,
  SnapshotManifest,
  type StandingRow,
  type TennisRecordRow,
} from './tables.js';

/*
 * Reading a published snapshot (DESIGN §8; the layout snapshot-files.ts writes):
 *
 *   <publishDir>/latest                   the current version followed by "\n", replaced by rename
 *   <publishDir>/<version>/manifest.json  SnapshotManifest
 *   <publishDir>/<version>/<table>.ndjson one JSON object per row (read here; the CSV twin is not)
 *   <publishDir>/.tmp-* /                 writes in progress (never named by `latest`)
 *
 * Version directories never change once renamed into place, so a loaded snapshot stays valid for
 * as long as `latest` names it.
 */

/** A snapshot on disk that cannot be read: missing or damaged files, rows that break the schema. */
export class SnapshotReadError extends Error {
  override readonly name = 'SnapshotReadError';
  constructor(
    message: string,
    /** The version being read, when known. */
    readonly version?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The row type of each published table (names as in PUBLISHED_TABLES). */
export interface SnapshotRows {
  competitions: z.output<typeof CompetitionRow>;
  seasons: z.output<typeof SeasonRow>;
  standings: z.output<typeof StandingRow>;
  matches: z.output<typeof MatchRow>;
  player_appearances: z.output<typeof PlayerAppearanceRow>;
  tennis_records: z.output<typeof TennisRecordRow>;
  players: z.output<typeof PlayerRow>;
  ratings: z.output<typeof RatingRow>;
  rating_calibration: z.output<typeof RatingCalibrationRow>;
  match_odds: z.output<typeof MatchOddsRow>;
}

/** A row of a published table, as its schema in tables.ts describes it. */
export type SnapshotRow<Name extends keyof SnapshotRows> = SnapshotRows[Name];

/** One snapshot, read whole into memory. */
export interface LoadedSnapshot {
  manifest: SnapshotManifest;
  /** Every table the manifest lists, rows in file order. Rows of known tables are schema-checked. */
  tables: Map<string, Record<string, unknown>[]>;
}

const VERSION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * The version `latest` names, or undefined when nothing has been published (no pointer file, or
 * an empty one).
 * Throws SnapshotReadError when the pointer holds something that cannot be a version name.
 */
export async function readLatestVersion(publishDir: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(publishDir, LATEST_FILE), 'utf8');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  const version = text.trim();
  if (version === '') return undefined;
  // A name, never a path: the pointer must not lead outside the publish directory or into a
  // write in progress.
  if (!VERSION_NAME.test(version) || version.startsWith('.tmp-')) {
    throw new SnapshotReadError(`${LATEST_FILE} does not name a snapshot version: ${JSON.stringify(text)}`);
  }
  return version;
}

/**
 * Read one snapshot: its manifest (validated with SnapshotManifest) and every table's NDJSON file,
 * checked against the manifest's sha256 and row count, rows validated with the table's schema.
 * Throws SnapshotReadError when any of that fails.
 */
export async function loadSnapshot(publishDir: string, version: string): Promise<LoadedSnapshot> {
  if (!VERSION_NAME.test(version)) throw new SnapshotReadError(`not a snapshot version: ${version}`, version);
  const dir = path.join(publishDir, version);
  const manifest = await readManifest(dir, version);
  const schemas = new Map<string, z.ZodObject>(PUBLISHED_TABLES.map((table) => [table.name, table.row]));
  const tables = new Map<string, Record<string, unknown>[]>();
  for (const table of manifest.tables) {
    const file = table.files.find((entry) => entry.format === 'ndjson');
    if (!file) throw new SnapshotReadError(`${version}: table ${table.name} has no NDJSON file`, version);
    const bytes = await readInside(dir, file.path, version);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== file.sha256) {
      throw new SnapshotReadError(`${version}/${file.path}: sha256 ${sha256} differs from the manifest's`, version);
    }
    const rows = parseRows(bytes.toString('utf8'), schemas.get(table.name), `${version}/${file.path}`, version);
    if (rows.length !== table.rows) {
      throw new SnapshotReadError(
        `${version}/${file.path}: ${rows.length} rows where the manifest says ${table.rows}`,
        version,
      );
    }
    tables.set(table.name, rows);
  }
  return { manifest, tables };
}

/** The rows of a published table in a loaded snapshot (empty when the snapshot lacks the table). */
export function snapshotRows<Name extends keyof SnapshotRows>(
  snapshot: LoadedSnapshot,
  name: Name,
): SnapshotRow<Name>[] {
  // loadSnapshot validated every row of a known table with this table's schema.
  return (snapshot.tables.get(name) ?? []) as SnapshotRow<Name>[];
}

async function readManifest(dir: string, version: string): Promise<SnapshotManifest> {
  const text = (await readInside(dir, MANIFEST_FILE, version)).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SnapshotReadError(`${version}/manifest.json is not JSON`, version, { cause: error });
  }
  const parsed = SnapshotManifest.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new SnapshotReadError(`${version}/manifest.json is not a valid manifest: ${issues.join('; ')}`, version);
  }
  if (parsed.data.version !== version) {
    throw new SnapshotReadError(
      `${version}/manifest.json names version ${parsed.data.version}, not its directory's`,
      version,
    );
  }
  return parsed.data;
}

async function readInside(dir: string, relative: string, version: string): Promise<Buffer> {
  const file = path.resolve(dir, relative);
  if (!file.startsWith(`${path.resolve(dir)}${path.sep}`)) {
    throw new SnapshotReadError(`${version}: file ${relative} lies outside the snapshot directory`, version);
  }
  try {
    return await readFile(file);
  } catch (error) {
    throw new SnapshotReadError(`${version}: cannot read ${relative} (${(error as Error).message})`, version, {
      cause: error,
    });
  }
}

function parseRows(
  text: string,
  schema: z.ZodObject | undefined,
  where: string,
  version: string,
): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  const lines = text.split('\n');
  // The file ends with a newline, so the last piece is empty; so is an empty table's whole file.
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, index) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new SnapshotReadError(`${where}:${index + 1}: not JSON`, version, { cause: error });
    }
    if (!schema) {
      // A table this code does not know (a newer writer): kept as it is, unchecked.
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new SnapshotReadError(`${where}:${index + 1}: not a JSON object`, version);
      }
      rows.push(value as Record<string, unknown>);
      return;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SnapshotReadError(
        `${where}:${index + 1}: ${issue?.path.join('.') || '(row)'}: ${issue?.message ?? 'invalid'}`,
        version,
      );
    }
    rows.push(parsed.data);
  });
  return rows;
}
