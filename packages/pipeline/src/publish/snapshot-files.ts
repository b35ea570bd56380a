import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { PUBLISHED_TABLES, SNAPSHOT_FORMAT, SnapshotManifest } from './tables.js';

/*
 * The files of a snapshot (docs/consumption.md):
 *
 *   <publishDir>/latest                   the current version and a newline
 *   <publishDir>/<version>/manifest.json  what is in the snapshot (SnapshotManifest)
 *   <publishDir>/<version>/SHA256SUMS     `sha256sum -c SHA256SUMS` checks every data file
 *   <publishDir>/<version>/<table>.csv    header + rows
 *   <publishDir>/<version>/<table>.ndjson one JSON object per row
 *
 * A snapshot is written into `.tmp-*`, every file fsynced, then renamed into place: a reader sees
 * a whole snapshot or none. The content hash is the SHA-256 of SHA256SUMS, so equal data gives an
 * equal hash whatever the version, run or time.
 */

/** The pointer file naming the current version. */
export const LATEST_FILE = 'latest';
export const MANIFEST_FILE = 'manifest.json';
export const CHECKSUMS_FILE = 'SHA256SUMS';
const TEMP_PREFIX = '.tmp-';

export type TableRows = ReadonlyMap<string, readonly Record<string, unknown>[]>;

/** A snapshot's data files rendered in memory, before anything touches the disk. */
export interface RenderedSnapshot {
  files: { path: string; format: 'csv' | 'ndjson'; table: string; text: string; sha256: string }[];
  tables: SnapshotManifest['tables'];
  checksums: string;
  contentHash: string;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A value as text for a CSV cell or JSON: times as ISO 8601 UTC, everything else as is. */
function plain(value: unknown, where: string): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') {
    // NaN and infinities have no CSV or JSON form that reads back the same.
    if (!Number.isFinite(value)) throw new Error(`snapshot: ${where} is ${value}`);
    return value;
  }
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  throw new Error(`snapshot: ${where} has no flat value (${typeof value})`);
}

function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

/** CSV (RFC 4180 quoting, `\n` line ends): a header line, then one line per row; null is an empty cell. */
export function formatCsv(table: string, columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const lines = [columns.map(csvCell).join(',')];
  for (const [index, row] of rows.entries())
    lines.push(columns.map((column) => csvCell(plain(row[column], `${table}[${index}].${column}`))).join(','));
  return `${lines.join('\n')}\n`;
}

/** NDJSON: one object per row, keys in column order. */
export function formatNdjson(
  table: string,
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
): string {
  let text = '';
  for (const [index, row] of rows.entries()) {
    const ordered: Record<string, unknown> = {};
    for (const column of columns) ordered[column] = plain(row[column], `${table}[${index}].${column}`);
    text += `${JSON.stringify(ordered)}\n`;
  }
  return text;
}

/** Render every published table; `rows` must hold each one (an empty list for an empty table). */
export function renderSnapshot(rows: TableRows): RenderedSnapshot {
  const files: RenderedSnapshot['files'] = [];
  const tables: SnapshotManifest['tables'] = [];
  for (const table of PUBLISHED_TABLES) {
    const tableRows = rows.get(table.name);
    if (!tableRows) throw new Error(`snapshot: no rows given for table '${table.name}'`);
    const rendered = [
      { format: 'csv' as const, text: formatCsv(table.name, table.columns, tableRows) },
      { format: 'ndjson' as const, text: formatNdjson(table.name, table.columns, tableRows) },
    ].map(({ format, text }) => ({
      path: `${table.name}.${format}`,
      format,
      table: table.name,
      text,
      sha256: sha256(text),
    }));
    files.push(...rendered);
    tables.push({
      name: table.name,
      rows: tableRows.length,
      columns: [...table.columns],
      files: rendered.map((file) => ({
        path: file.path,
        format: file.format,
        bytes: Buffer.byteLength(file.text),
        sha256: file.sha256,
      })),
    });
  }
  const checksums = checksumList(files);
  return { files, tables, checksums, contentHash: sha256(checksums) };
}

/** SHA256SUMS: `sha256sum` lines ordered by file name (byte-wise). */
function checksumList(files: readonly { path: string; sha256: string }[]): string {
  return [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((file) => `${file.sha256}  ${file.path}\n`)
    .join('');
}

/**
 * A version id: the creation time to the millisecond (UTC) and the start of the content hash, so
 * versions sort by time and say at a glance whether two hold the same data.
 */
export function versionId(createdAt: Date, contentHash: string): string {
  const stamp = createdAt.toISOString().replace(/[-:]/g, '');
  return `${stamp}-${contentHash.slice(0, 8)}`;
}

async function writeSynced(file: string, text: string): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync a directory, so the names created or renamed in it survive a crash. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface SnapshotToWrite {
  rendered: RenderedSnapshot;
  version: string;
  runId: string;
  createdAt: Date;
  watermarks: SnapshotManifest['watermarks'];
  quality: SnapshotManifest['quality'];
}

/**
 * Write a snapshot into `<publishDir>/<version>/`: files into a temporary directory, each fsynced,
 * then renamed into place. Returns the manifest written.
 */
export async function writeSnapshotDirectory(publishDir: string, snapshot: SnapshotToWrite): Promise<SnapshotManifest> {
  const manifest = SnapshotManifest.parse({
    format: SNAPSHOT_FORMAT,
    version: snapshot.version,
    run_id: snapshot.runId,
    created_at: snapshot.createdAt.toISOString(),
    content_hash: snapshot.rendered.contentHash,
    watermarks: snapshot.watermarks,
    tables: snapshot.rendered.tables,
    quality: snapshot.quality,
  });
  await mkdir(publishDir, { recursive: true });
  const temp = await mkdtemp(path.join(publishDir, TEMP_PREFIX));
  try {
    for (const file of snapshot.rendered.files) await writeSynced(path.join(temp, file.path), file.text);
    await writeSynced(path.join(temp, CHECKSUMS_FILE), snapshot.rendered.checksums);
    await writeSynced(path.join(temp, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    // mkdtemp makes the directory private (0700); a published snapshot is for every reader.
    await chmod(temp, 0o755);
    await syncDirectory(temp);
    await rename(temp, path.join(publishDir, snapshot.version));
    await syncDirectory(publishDir);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  return manifest;
}

/** Point `latest` at a version: written beside it, fsynced and renamed over it (atomic). */
export async function pointLatest(publishDir: string, version: string): Promise<void> {
  await mkdir(publishDir, { recursive: true });
  const temp = path.join(publishDir, `${TEMP_PREFIX}${LATEST_FILE}-${process.pid}`);
  await writeSynced(temp, `${version}\n`);
  await rename(temp, path.join(publishDir, LATEST_FILE));
  await syncDirectory(publishDir);
}

/**
 * Check a snapshot directory against its manifest: every data file present with its recorded
 * SHA-256. Returns the problems found (none: the snapshot is intact).
 */
export async function verifySnapshotDirectory(publishDir: string, version: string): Promise<string[]> {
  const dir = path.join(publishDir, version);
  let manifest: SnapshotManifest;
  try {
    manifest = SnapshotManifest.parse(JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')));
  } catch (error) {
    return [`${MANIFEST_FILE}: ${(error as Error).message.split('\n')[0]}`];
  }
  const problems: string[] = [];
  const files = manifest.tables.flatMap((table) => table.files);
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(path.join(dir, file.path), 'utf8');
    } catch {
      problems.push(`${file.path}: missing`);
      continue;
    }
    if (sha256(text) !== file.sha256) problems.push(`${file.path}: content does not match its sha256`);
  }
  if (problems.length === 0 && sha256(checksumList(files)) !== manifest.content_hash)
    problems.push('content_hash does not match the files');
  return problems;
}

/** Names in the publish directory: snapshot directories, and leftovers of interrupted writes. */
export async function listPublishDirectory(publishDir: string): Promise<{ versions: string[]; leftovers: string[] }> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(publishDir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { versions: [], leftovers: [] };
    throw error;
  }
  const versions: string[] = [];
  const leftovers: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith(TEMP_PREFIX)) leftovers.push(entry.name);
    else if (entry.isDirectory()) versions.push(entry.name);
  }
  return { versions: versions.sort(), leftovers: leftovers.sort() };
}
