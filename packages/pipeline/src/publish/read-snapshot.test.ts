import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSnapshot, readLatestVersion, SnapshotReadError, snapshotRows } from './read-snapshot.js';
import { pointLatest, writeSnapshotDirectory } from './snapshot-files.js';
import { PUBLISHED_TABLES } from './tables.js';

const competition = { competition_id: 'fd.pl', name: 'Premier League', sport: 'football' };
const season = { season_id: 'fd.pl.2025', competition_id: 'fd.pl', name: 'Premier League 25/26', year: null };

function rows(): Map<string, Record<string, unknown>[]> {
  const tables = new Map<string, Record<string, unknown>[]>(PUBLISHED_TABLES.map((table) => [table.name, []]));
  tables.set('competitions', [competition]);
  tables.set('seasons', [season]);
  return tables;
}

let publishDir: string;

beforeEach(async () => {
  publishDir = await mkdtemp(path.join(tmpdir(), 'matchflow-read-snapshot-'));
});
afterEach(async () => {
  await rm(publishDir, { recursive: true, force: true });
});

async function write(version: string): Promise<void> {
  await writeSnapshotDirectory(publishDir, {
    rows: rows(),
    version,
    runId: 'run-1',
    createdAt: new Date('2025-09-01T00:00:00.000Z'),
    watermarks: {},
    quality: { score: 1, checks: 0, passed: 0, warned: 0, failed: 0, issues: [] },
  });
}

describe('readLatestVersion', () => {
  it('is undefined before anything is published, then names the version latest points at', async () => {
    expect(await readLatestVersion(publishDir)).toBeUndefined();
    await pointLatest(publishDir, 'v1');
    expect(await readLatestVersion(publishDir)).toBe('v1');
  });

  it('refuses a pointer that is a path or a write in progress', async () => {
    for (const text of ['../elsewhere\n', 'a/b\n', '.tmp-123\n']) {
      await writeFile(path.join(publishDir, 'latest'), text);
      await expect(readLatestVersion(publishDir), text).rejects.toBeInstanceOf(SnapshotReadError);
    }
  });
});

describe('loadSnapshot', () => {
  it('reads back what the writer wrote: manifest and every table, rows in file order', async () => {
    await write('v1');
    const snapshot = await loadSnapshot(publishDir, 'v1');
    expect(snapshot.manifest.version).toBe('v1');
    expect([...snapshot.tables.keys()]).toEqual(PUBLISHED_TABLES.map((table) => table.name));
    expect(snapshotRows(snapshot, 'competitions')).toEqual([competition]);
    expect(snapshotRows(snapshot, 'seasons')).toEqual([season]);
    expect(snapshotRows(snapshot, 'matches')).toEqual([]);
  });

  it('refuses a data file that does not match its sha256', async () => {
    await write('v1');
    const file = path.join(publishDir, 'v1', 'seasons.ndjson');
    await writeFile(file, (await readFile(file, 'utf8')).replace('25/26', '26/27'));
    await expect(loadSnapshot(publishDir, 'v1')).rejects.toThrow(/seasons\.ndjson: sha256 .* differs/);
  });

  it('refuses a manifest that names another version, and a missing snapshot', async () => {
    await write('v1');
    const manifest = path.join(publishDir, 'v1', 'manifest.json');
    await writeFile(manifest, (await readFile(manifest, 'utf8')).replace('"version": "v1"', '"version": "v0"'));
    await expect(loadSnapshot(publishDir, 'v1')).rejects.toThrow(/names version v0/);
    await expect(loadSnapshot(publishDir, 'v9')).rejects.toBeInstanceOf(SnapshotReadError);
  });
});
