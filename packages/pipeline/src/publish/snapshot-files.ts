import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, type FileHandle, mkdir, mkdtemp, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  PUBLISHED_TABLES,
  type PublishedTable,
  SNAPSHOT_FORMAT,
  SnapshotManifest,
  type TableLineage,
} from './tables.js';

/*
 * The files of a snapshot (docs/consumption.md):
 *
 *   <publishDir>/latest                   the current version and a newline
 *   <publishDir>/<version>/manifest.json  what is in the snapshot (SnapshotManifest)
 *   <publishDir>/<version>/SHA256SUMS     `sha256sum -c SHA256SUMS` checks every data file
 *   <publishDir>/<version>/<table>.csv    header + rows
 *   <publishDir>/<version>/<table>.ndjson one JSON object per row
 *
 * A snapshot is written into `.tmp-*`, table by table and page by page (hashing each file as it
 * grows), every file fsynced, then renamed into place: a reader sees a whole snapshot or none. The content hash is the SHA-256 of SHA256SUMS, so equal data gives an
 * equal hash whatever the version, run or time.
 */

/** The pointer file naming the current version. */
export const LATEST_FILE = 'latest';
export const MANIFEST_FILE = 'manifest.json';
export const CHECKSUMS_FILE = 'SHA256SUMS';
const TEMP_PREFIX = '.tmp-';

export type TableRows = ReadonlyMap<string, readonly Record<string, unknown>[]>;

/** The rows of one published table, page by page in key order. */
export type TablePages = (table: PublishedTable) => AsyncIterable<readonly Record<string, unknown>[]>;

/** A data file written: its name in the snapshot, size and SHA-256. */
interface WrittenFile {
  path: string;
  format: 'csv' | 'ndjson';
  bytes: number;
  sha256: string;
}

/**
 * A snapshot's data files written into a temporary directory, every file fsynced, before it has
 * a version: `commitSnapshot` names it, `discardSnapshot` removes it (equal to the latest).
 */
export interface StagedSnapshot {
  dir: string;
  tables: SnapshotManifest['tables'];
  checksums: string;
  contentHash: string;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A value as text for a CSV cell or JSON: times as ISO 8601 UTC, everything else as is. */
function plain(value: unknown, where: () => string): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') {
    // NaN and infinities have no CSV or JSON form that reads back the same.
    if (!Number.isFinite(value)) throw new Error(`snapshot: ${where()} is ${value}`);
    return value;
  }
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  throw new Error(`snapshot: ${where()} has no flat value (${typeof value})`);
}

function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The CSV header line (RFC 4180 quoting, `\n` line end). */
function csvHeader(columns: readonly string[]): string {
  return `${columns.map(csvCell).join(',')}\n`;
}

/** One CSV line for row number `index` of `table`; null is an empty cell. */
function csvLine(table: string, columns: readonly string[], row: Record<string, unknown>, index: number): string {
  return `${columns.map((column) => csvCell(plain(row[column], () => `${table}[${index}].${column}`))).join(',')}\n`;
}

/** One NDJSON line: the row as an object, keys in column order. */
function ndjsonLine(table: string, columns: readonly string[], row: Record<string, unknown>, index: number): string {
  const ordered: Record<string, unknown> = {};
  for (const column of columns) ordered[column] = plain(row[column], () => `${table}[${index}].${column}`);
  return `${JSON.stringify(ordered)}\n`;
}

/** A file written in appends and hashed as it grows; fsynced and closed by `finish`. */
class HashedFileWriter {
  private readonly hash = createHash('sha256');
  private bytes = 0;

  private constructor(
    private readonly handle: FileHandle,
    readonly file: Pick<WrittenFile, 'path' | 'format'>,
  ) {}

  static async create(dir: string, file: Pick<WrittenFile, 'path' | 'format'>): Promise<HashedFileWriter> {
    return new HashedFileWriter(await open(path.join(dir, file.path), 'w'), file);
  }

  async append(text: string): Promise<void> {
    if (text === '') return;
    const buffer = Buffer.from(text);
    this.hash.update(buffer);
    this.bytes += buffer.length;
    await this.handle.write(buffer);
  }

  async finish(): Promise<WrittenFile> {
    await this.handle.sync();
    await this.handle.close();
    return { ...this.file, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  async abandon(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

/** Write one table's CSV and NDJSON files into `dir` from its pages; returns its manifest entry. */
async function writeTableFiles(
  dir: string,
  table: PublishedTable,
  pages: AsyncIterable<readonly Record<string, unknown>[]>,
): Promise<SnapshotManifest['tables'][number]> {
  const csv = await HashedFileWriter.create(dir, { path: `${table.name}.csv`, format: 'csv' });
  const ndjson = await HashedFileWriter.create(dir, { path: `${table.name}.ndjson`, format: 'ndjson' }).catch(
    async (error: unknown) => {
      await csv.abandon();
      throw error;
    },
  );
  try {
    await csv.append(csvHeader(table.columns));
    let rows = 0;
    for await (const page of pages) {
      let csvText = '';
      let ndjsonText = '';
      for (const row of page) {
        csvText += csvLine(table.name, table.columns, row, rows);
        ndjsonText += ndjsonLine(table.name, table.columns, row, rows);
        rows += 1;
      }
      await csv.append(csvText);
      await ndjson.append(ndjsonText);
    }
    return { name: table.name, rows, columns: [...table.columns], files: [await csv.finish(), await ndjson.finish()] };
  } catch (error) {
    await Promise.all([csv.abandon(), ndjson.abandon()]);
    throw error;
  }
}

/**
 * Write every published table's files into a new temporary directory under `publishDir`, reading
 * each table page by page: memory holds one page, whatever the size of the curated zone. The
 * content hash is known once the last file is written.
 */
export async function stageSnapshot(publishDir: string, pagesOf: TablePages): Promise<StagedSnapshot> {
  await mkdir(publishDir, { recursive: true });
  const dir = await mkdtemp(path.join(publishDir, TEMP_PREFIX));
  try {
    const tables: SnapshotManifest['tables'] = [];
    for (const table of PUBLISHED_TABLES) tables.push(await writeTableFiles(dir, table, pagesOf(table)));
    const checksums = checksumList(tables.flatMap((table) => table.files));
    return { dir, tables, checksums, contentHash: sha256(checksums) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Remove a staged snapshot that will not be published. */
export async function discardSnapshot(staged: StagedSnapshot): Promise<void> {
  await rm(staged.dir, { recursive: true, force: true });
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

/** What a snapshot's manifest says beside its tables. */
export interface SnapshotMetadata {
  version: string;
  runId: string;
  createdAt: Date;
  watermarks: SnapshotManifest['watermarks'];
  quality: SnapshotManifest['quality'];
  /** Per table name: its lineage (`readTableLineage`); tables not listed have none. */
  tableLineage?: ReadonlyMap<string, TableLineage>;
}

/**
 * Make a staged snapshot `<publishDir>/<version>/`: SHA256SUMS and the manifest are written
 * beside its data files and fsynced, then the directory is renamed into place. Returns the
 * manifest written.
 */
export async function commitSnapshot(
  publishDir: string,
  staged: StagedSnapshot,
  metadata: SnapshotMetadata,
): Promise<SnapshotManifest> {
  try {
    const manifest = SnapshotManifest.parse({
      format: SNAPSHOT_FORMAT,
      version: metadata.version,
      run_id: metadata.runId,
      created_at: metadata.createdAt.toISOString(),
      content_hash: staged.contentHash,
      watermarks: metadata.watermarks,
      tables: staged.tables.map((table) => {
        const lineage = metadata.tableLineage?.get(table.name);
        return lineage ? { ...table, lineage } : table;
      }),
      quality: metadata.quality,
    });
    await writeSynced(path.join(staged.dir, CHECKSUMS_FILE), staged.checksums);
    await writeSynced(path.join(staged.dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    // mkdtemp makes the directory private (0700); a published snapshot is for every reader.
    await chmod(staged.dir, 0o755);
    await syncDirectory(staged.dir);
    await rename(staged.dir, path.join(publishDir, metadata.version));
    await syncDirectory(publishDir);
    return manifest;
  } catch (error) {
    await discardSnapshot(staged);
    throw error;
  }
}

/**
 * Write a snapshot of tables held in memory (each published table's rows, an empty list for an
 * empty one): the same files `publishSnapshot` streams from the database. For fixtures and tools.
 */
export async function writeSnapshotDirectory(
  publishDir: string,
  snapshot: SnapshotMetadata & { rows: TableRows },
): Promise<SnapshotManifest> {
  const staged = await stageSnapshot(publishDir, (table) => {
    const tableRows = snapshot.rows.get(table.name);
    if (!tableRows) throw new Error(`snapshot: no rows given for table '${table.name}'`);
    return (async function* () {
      yield tableRows;
    })();
  });
  return commitSnapshot(publishDir, staged, snapshot);
}

/** Point `latest` at a version: written beside it, fsynced and renamed over it (atomic). */
export async function pointLatest(publishDir: string, version: string): Promise<void> {
  await mkdir(publishDir, { recursive: true });
  const temp = path.join(publishDir, `${TEMP_PREFIX}${LATEST_FILE}-${process.pid}`);
  await writeSynced(temp, `${version}\n`);
  await rename(temp, path.join(publishDir, LATEST_FILE));
  await syncDirectory(publishDir);
}

/** The SHA-256 of a file, read in chunks (a snapshot's files can be larger than memory wants). */
async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
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
    let digest: string;
    try {
      digest = await sha256OfFile(path.join(dir, file.path));
    } catch {
      problems.push(`${file.path}: missing`);
      continue;
    }
    if (digest !== file.sha256) problems.push(`${file.path}: content does not match its sha256`);
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
