import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Config, QUALITY_CHECKS } from '@matchflow/config';
import { core, createDb, curated, migrate, ops } from '@matchflow/db';
import { createTestDatabase, type TestDatabase, testBackends } from '@matchflow/db/testing';
import {
  buildSeason,
  createRun,
  listSnapshots,
  PUBLISHED_TABLES,
  publishSnapshot,
  readLatestVersion,
  rollbackSnapshot,
  SnapshotError,
  SnapshotManifest,
  verifySnapshotDirectory,
  writeSnapshotDirectory,
} from '@matchflow/pipeline';
import { newRunId } from '@matchflow/queues';
import { and, asc, count, eq, isNotNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplayPipeline, startReplayPipeline } from './support/replay-pipeline.js';
import { runCli } from './support/run-cli.js';
import { runStages, type SeasonScope } from './support/run-stages.js';

/*
 * Publishing (DESIGN §8): snapshots written atomically with a manifest and checksums, `latest`
 * moved only after success and never past a FAIL, byte-identical files for identical data,
 * rollback, retention. Over the replay's cup (a small competition), stages chained by hand.
 */

const serverUrl = process.env.TEST_DATABASE_URL;
const CUP: SeasonScope = { source: 'sofascore', competitionId: 'demo-cup', competition: '1002', season: '50011' };
const SEASON_ID = 'demo-cup.50011';

let pipeline: ReplayPipeline;
const contentHashes = new Map<string, string>();
const temporary: string[] = [];

async function tempDir(label: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `matchflow-${label}-`));
  temporary.push(dir);
  return dir;
}

beforeAll(async () => {
  pipeline = await startReplayPipeline('publish', {
    ratingPools: { football: {} },
    competitions: [
      { id: 'demo-cup', source: 'sofascore', competition: 1002, seasons: [50011], ratingPool: 'football' },
    ],
  });
});
afterAll(async () => {
  await pipeline?.close();
  for (const dir of temporary) await rm(dir, { recursive: true, force: true });
});

/** The config with its own publish directory and, optionally, a points adjustment in the cup. */
function configWith(publishDir: string, adjustment?: { team: string; points: number }, keep = 30): Config {
  const { config } = pipeline;
  return {
    ...config,
    publishDir,
    retention: { ...config.retention, snapshotsKeep: keep },
    competitions: config.competitions.map((competition) => ({
      ...competition,
      standings: {
        ...competition.standings,
        adjustments: adjustment ? [{ ...adjustment, season: CUP.season, reason: 'test' }] : [],
      },
    })),
  };
}

/** A minimal RFC 4180 reader, enough to read back what the snapshot writer writes. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += char;
  }
  return records;
}

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

describe.each(testBackends(process.env))('publishing on %s', (backend) => {
  let database: TestDatabase;
  let publishDir: string;
  let config: Config;
  let first: { version: string; contentHash: string };
  const deps = () => ({ db: database.db, fetcher: pipeline.client, config, logger: pipeline.logger });

  beforeAll(async () => {
    database = await createTestDatabase(backend, { serverUrl, label: 'publish' });
    publishDir = await tempDir(`publish-${backend}`);
    config = configWith(publishDir);
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it('publishes every table as CSV and NDJSON with a manifest, checksums and latest', async () => {
    const run = await runStages(deps(), CUP);
    expect(run.built.blocked).toBe(false);
    expect(run.published).toMatchObject({ status: 'published' });
    if (run.published?.status !== 'published') throw new Error('not published');
    first = { version: run.published.version, contentHash: run.published.contentHash };

    expect(await readLatestVersion(publishDir)).toBe(first.version);
    const [row] = await database.db.select().from(ops.snapshots);
    expect(row).toMatchObject({
      version: first.version,
      runId: run.runId,
      latest: true,
      contentHash: first.contentHash,
    });

    const dir = path.join(publishDir, first.version);
    const manifest = SnapshotManifest.parse(JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')));
    expect(manifest).toMatchObject({ version: first.version, run_id: run.runId, content_hash: first.contentHash });
    expect(manifest.tables.map((table) => table.name)).toEqual(PUBLISHED_TABLES.map((table) => table.name));
    expect(manifest.quality).toMatchObject({ failed: 0, checks: expect.any(Number) });
    expect(manifest.quality.checks).toBeGreaterThan(5);
    expect(manifest.watermarks.sofascore?.last_fetched_at).toMatch(/^\d{4}-\d\d-\d\dT/);

    // Row counts agree with the curated zone.
    const rowsOf = (name: string) => manifest.tables.find((table) => table.name === name)?.rows;
    const [summaries] = await database.db.select({ value: count() }).from(curated.matchSummary);
    const [standings] = await database.db.select({ value: count() }).from(curated.standings);
    expect(rowsOf('matches')).toBe(summaries?.value);
    expect(rowsOf('standings')).toBe(standings?.value);
    expect(rowsOf('matches')).toBe(run.matches);
    expect(rowsOf('competitions')).toBe(1);

    // SHA256SUMS lists every data file; its own hash is the content hash.
    const sums = await readFile(path.join(dir, 'SHA256SUMS'), 'utf8');
    expect(sha256(sums)).toBe(first.contentHash);
    const listed = sums.trimEnd().split('\n');
    expect(listed).toHaveLength(PUBLISHED_TABLES.length * 2);
    for (const line of listed) {
      const [hash, file] = line.split('  ') as [string, string];
      expect(sha256(await readFile(path.join(dir, file)))).toBe(hash);
    }
    expect(await verifySnapshotDirectory(publishDir, first.version)).toEqual([]);

    // The CSV and NDJSON files hold the same rows, in the same order, in the declared columns.
    for (const table of PUBLISHED_TABLES) {
      const [header, ...records] = parseCsv(await readFile(path.join(dir, `${table.name}.csv`), 'utf8'));
      const objects = (await readFile(path.join(dir, `${table.name}.ndjson`), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(header).toEqual(table.columns);
      expect(records).toHaveLength(objects.length);
      records.forEach((record, index) => {
        const object = objects[index] as Record<string, unknown>;
        expect(Object.keys(object)).toEqual(table.columns);
        expect(table.row.safeParse(object).success).toBe(true);
        expect(record).toEqual(table.columns.map((column) => (object[column] === null ? '' : String(object[column]))));
      });
    }

    // The published table is the curated one, with names.
    const table = await database.db
      .select({ team: curated.standings.participantId, points: curated.standings.points, name: core.participants.name })
      .from(curated.standings)
      .innerJoin(core.participants, eq(core.participants.id, curated.standings.participantId))
      .where(eq(curated.standings.seasonId, SEASON_ID))
      .orderBy(asc(curated.standings.position));
    const published = (await readFile(path.join(dir, 'standings.ndjson'), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { team_id: string; points: number; team_name: string });
    expect(published.map((row) => [row.team_id, row.points, row.team_name])).toEqual(
      table.map((row) => [row.team, row.points, row.name]),
    );
  });

  it('publishes nothing new for the same data, and byte-identical files from a clean second database', async () => {
    const again = await runStages(deps(), CUP);
    expect(again.published).toEqual({ status: 'unchanged', ...first });
    expect(await database.db.select().from(ops.snapshots)).toHaveLength(1);

    const other = await createTestDatabase(backend, { serverUrl, label: 'publish-clean' });
    try {
      const otherDir = await tempDir(`publish-clean-${backend}`);
      const clean = await runStages(
        { ...deps(), db: other.db, config: configWith(otherDir), now: () => new Date('2030-01-01T00:00:00Z') },
        CUP,
      );
      if (clean.published?.status !== 'published') throw new Error('not published');
      expect(clean.published.contentHash).toBe(first.contentHash);
      expect(clean.published.version).not.toBe(first.version);
      for (const table of PUBLISHED_TABLES)
        for (const format of ['csv', 'ndjson'])
          expect(await readFile(path.join(otherDir, clean.published.version, `${table.name}.${format}`))).toEqual(
            await readFile(path.join(publishDir, first.version, `${table.name}.${format}`)),
          );
      contentHashes.set(backend, clean.published.contentHash);
    } finally {
      await other.dispose();
    }
  });

  it('rolls the build back and publishes nothing when a FAIL check fails', async () => {
    const standingsBefore = await database.db.select().from(curated.standings).orderBy(asc(curated.standings.position));
    const [victim] = await database.db
      .select({ id: core.matches.id, homeScore: core.matches.homeScore })
      .from(core.matches)
      .where(and(eq(core.matches.seasonId, SEASON_ID), eq(core.matches.status, 'finished')))
      .orderBy(asc(core.matches.id))
      .limit(1);
    if (!victim) throw new Error('no finished match');
    await database.db.update(core.matches).set({ homeScore: -1 }).where(eq(core.matches.id, victim.id));
    try {
      const runId = newRunId();
      await createRun(database.db, { runId, trigger: 'cli', scope: CUP, env: 'dev' });
      const built = await buildSeason({ db: database.db, config }, { ...CUP, runId });
      expect(built.blocked).toBe(true);
      expect(built.quality?.failed).toContain(`ranges.scores:${SEASON_ID}`);
      // The tables are as the last passing build left them.
      expect(await database.db.select().from(curated.standings).orderBy(asc(curated.standings.position))).toEqual(
        standingsBefore,
      );
      const [result] = await database.db
        .select()
        .from(ops.qualityResults)
        .where(and(eq(ops.qualityResults.runId, runId), eq(ops.qualityResults.check, 'ranges.scores')));
      expect(result).toMatchObject({ status: 'fail', observed: 1, sample: [{ id: victim.id }] });

      expect(await publishSnapshot({ db: database.db, config }, { runId })).toEqual({
        status: 'blocked',
        failed: expect.arrayContaining([`ranges.scores:${SEASON_ID}`]),
      });
      expect(await readLatestVersion(publishDir)).toBe(first.version);
      expect(await database.db.select().from(ops.snapshots)).toHaveLength(1);
    } finally {
      await database.db.update(core.matches).set({ homeScore: victim.homeScore }).where(eq(core.matches.id, victim.id));
    }
  });

  it('refuses to publish a run that failed any FAIL check, whichever it is', async () => {
    for (const check of QUALITY_CHECKS) {
      const runId = newRunId();
      await createRun(database.db, { runId, trigger: 'cli', scope: CUP, env: 'dev' });
      await database.db.insert(ops.qualityResults).values([
        {
          runId,
          check: 'completeness.results',
          scope: SEASON_ID,
          severity: 'fail',
          status: 'pass',
          observed: 1,
          threshold: 0.98,
        },
        ...(check === 'completeness.results'
          ? []
          : [
              {
                runId,
                check,
                scope: SEASON_ID,
                severity: 'warn' as const,
                status: 'warn' as const,
                observed: 1,
                threshold: 0,
              },
            ]),
      ]);
      // Warnings publish (nothing changed here, so: unchanged) ...
      expect(await publishSnapshot({ db: database.db, config }, { runId })).toMatchObject({ status: 'unchanged' });
      // ... a failure does not.
      await database.db
        .insert(ops.qualityResults)
        .values({ runId, check, scope: 'crafted', severity: 'fail', status: 'fail', observed: 1, threshold: 0 });
      expect(await publishSnapshot({ db: database.db, config }, { runId })).toEqual({
        status: 'blocked',
        failed: [`${check}:crafted`],
      });
    }
    expect(await readLatestVersion(publishDir)).toBe(first.version);
  });

  it('rolls latest back and forward, checking the target, and refuses what it cannot restore', async () => {
    const [leader] = await database.db
      .select({ team: curated.standings.participantId })
      .from(curated.standings)
      .where(eq(curated.standings.seasonId, SEASON_ID))
      .orderBy(asc(curated.standings.position))
      .limit(1);
    const team = leader?.team.split('.')[2] ?? '';
    config = configWith(publishDir, { team, points: -3 });
    const second = await runStages(deps(), CUP);
    if (second.published?.status !== 'published') throw new Error('not published');
    const v2 = second.published.version;
    expect(second.published.contentHash).not.toBe(first.contentHash);
    expect(await readLatestVersion(publishDir)).toBe(v2);

    const options = { db: database.db, config };
    expect(await rollbackSnapshot(options)).toEqual({ from: v2, to: first.version, contentHash: first.contentHash });
    expect(await readLatestVersion(publishDir)).toBe(first.version);
    const latestRows = await database.db.select().from(ops.snapshots).where(eq(ops.snapshots.latest, true));
    expect(latestRows.map((row) => row.version)).toEqual([first.version]);
    await expect(rollbackSnapshot(options)).rejects.toThrow(/oldest snapshot kept/);

    expect(await rollbackSnapshot(options, { to: v2 })).toMatchObject({ from: first.version, to: v2 });
    await expect(rollbackSnapshot(options, { to: 'no-such-version' })).rejects.toThrow(SnapshotError);

    // A damaged target is refused, and latest stays.
    const file = path.join(publishDir, first.version, 'standings.csv');
    const original = await readFile(file);
    await writeFile(file, `${original}tampered\n`);
    await expect(rollbackSnapshot(options, { to: first.version })).rejects.toThrow(/damaged.*standings\.csv/);
    expect(await readLatestVersion(publishDir)).toBe(v2);
    await writeFile(file, original);

    const listed = await listSnapshots(database.db);
    expect(listed.map((snapshot) => [snapshot.version, snapshot.latest])).toEqual([
      [v2, true],
      [first.version, false],
    ]);
  });

  it('keeps the newest snapshots and the latest, and clears what interrupted publishes left', async () => {
    await mkdir(path.join(publishDir, '.tmp-crashed'));
    await mkdir(path.join(publishDir, '20200101T000000000Z-deadbeef'));
    // Latest is the oldest snapshot after this rollback: retention must keep it anyway.
    await rollbackSnapshot({ db: database.db, config });
    const [leader] = await database.db
      .select({ team: curated.standings.participantId })
      .from(curated.standings)
      .orderBy(asc(curated.standings.position))
      .limit(1);
    config = configWith(publishDir, { team: leader?.team.split('.')[2] ?? '', points: -4 }, 1);
    const third = await runStages(deps(), CUP);
    if (third.published?.status !== 'published') throw new Error('not published');

    const kept = await listSnapshots(database.db);
    expect(kept.map((snapshot) => snapshot.version)).toEqual([third.published.version]);
    const pruned = await database.db.select().from(ops.snapshots).where(isNotNull(ops.snapshots.prunedAt));
    expect(pruned).toHaveLength(2);
    expect((await listSnapshots(database.db, { all: true })).length).toBe(3);
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(publishDir)).sort()).toEqual([third.published.version, 'latest']);
  });

  it('lets concurrent publishers take turns: one writes, the other finds it unchanged', async () => {
    const [leader] = await database.db
      .select({ team: curated.standings.participantId })
      .from(curated.standings)
      .orderBy(asc(curated.standings.position))
      .limit(1);
    config = configWith(publishDir, { team: leader?.team.split('.')[2] ?? '', points: -5 });
    const runs = [newRunId(), newRunId()];
    for (const runId of runs) await createRun(database.db, { runId, trigger: 'cli', scope: CUP, env: 'dev' });
    await buildSeason({ db: database.db, config }, { ...CUP, runId: runs[0] as string });
    const outcomes = await Promise.all(
      runs.map((runId) => publishSnapshot({ db: database.db, config, logger: pipeline.logger }, { runId })),
    );
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['published', 'unchanged']);
    const versions = new Set(outcomes.map((outcome) => (outcome.status === 'blocked' ? '' : outcome.version)));
    expect(versions.size).toBe(1);
    const latestRows = await database.db.select().from(ops.snapshots).where(eq(ops.snapshots.latest, true));
    expect(latestRows.map((row) => row.version)).toEqual([...versions]);
    expect(await readLatestVersion(publishDir)).toBe([...versions][0]);
  });

  it('streams a table many pages long to the same bytes as the rows written from memory, and leaves no temp dir', async () => {
    // 12,345 leaderboard rows: the publish reads them through its cursor in pages of 5,000.
    await database.db.execute(sql`INSERT INTO curated.rating_leaderboard
        (pool_id, rank, participant_id, name, rating, games, last_match_id, change_30d)
      SELECT 'zz-paged', n, 'p' || lpad(n::text, 6, '0'), 'Player, "' || n || '"', 2000 - n / 7.0, n % 40,
        CASE WHEN n % 3 = 0 THEN NULL ELSE 'm' || n END, (n % 11) - 5.5
      FROM generate_series(1, 12345) AS n`);
    const runId = newRunId();
    await createRun(database.db, { runId, trigger: 'cli', scope: CUP, env: 'dev' });
    const published = await publishSnapshot({ db: database.db, config, logger: pipeline.logger }, { runId });
    if (published.status !== 'published') throw new Error(`not published: ${published.status}`);
    const manifest = SnapshotManifest.parse(
      JSON.parse(await readFile(path.join(publishDir, published.version, 'manifest.json'), 'utf8')),
    );
    const inMemory = new Map<string, Record<string, unknown>[]>();
    for (const table of PUBLISHED_TABLES) {
      const result: unknown = await database.db.execute(table.query);
      inMemory.set(table.name, Array.isArray(result) ? result : (result as { rows: Record<string, unknown>[] }).rows);
    }
    expect(inMemory.get('ratings')?.length).toBeGreaterThan(12_345);
    const memoryDir = await tempDir(`publish-memory-${backend}`);
    const fromMemory = await writeSnapshotDirectory(memoryDir, {
      rows: inMemory,
      version: 'v-memory',
      runId,
      createdAt: new Date(manifest.created_at),
      watermarks: manifest.watermarks,
      // Lineage is read from the database beside the files, not from the rows.
      tableLineage: new Map(manifest.tables.flatMap((table) => (table.lineage ? [[table.name, table.lineage]] : []))),
      quality: manifest.quality,
    });
    expect(fromMemory.content_hash).toBe(published.contentHash);
    expect(fromMemory.tables).toEqual(manifest.tables);
    expect(await readFile(path.join(memoryDir, 'v-memory', 'ratings.csv'))).toEqual(
      await readFile(path.join(publishDir, published.version, 'ratings.csv')),
    );

    const again = await publishSnapshot({ db: database.db, config, logger: pipeline.logger }, { runId });
    expect(again).toEqual({ status: 'unchanged', version: published.version, contentHash: published.contentHash });
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(publishDir)).filter((name) => name.startsWith('.tmp-'))).toEqual([]);
  });
});

describe('reproducibility across database engines', () => {
  it.skipIf(!serverUrl)('PGlite and PostgreSQL publish the same content hash', () => {
    expect(contentHashes.get('pglite')).toMatch(/^[0-9a-f]{64}$/);
    expect(contentHashes.get('postgres')).toBe(contentHashes.get('pglite'));
  });
});

describe('matchflow publish list | rollback', () => {
  it('lists snapshots and moves latest from the command line', async () => {
    const dataDir = await tempDir('publish-cli');
    const publishDir = path.join(dataDir, 'published');
    const database = await createDb({ dataDir, database: { poolSize: 1 } });
    const versions: string[] = [];
    try {
      await migrate(database);
      const deps = { db: database.db, fetcher: pipeline.client, logger: pipeline.logger };
      const run = await runStages({ ...deps, config: configWith(publishDir) }, CUP);
      if (run.published?.status !== 'published') throw new Error('not published');
      versions.push(run.published.version);
      // A second version: the same data under a points deduction, built and published again.
      const [leader] = await database.db.select().from(curated.standings).orderBy(asc(curated.standings.position));
      const adjusted = configWith(publishDir, { team: leader?.participantId.split('.')[2] ?? '', points: -2 });
      const runId = newRunId();
      await createRun(database.db, { runId, trigger: 'cli', scope: CUP, env: 'dev' });
      await buildSeason({ db: database.db, config: adjusted }, { ...CUP, runId });
      const second = await publishSnapshot({ db: database.db, config: adjusted }, { runId });
      if (second.status !== 'published') throw new Error('not published');
      versions.push(second.version);
    } finally {
      await database.close();
    }
    const env = { MATCHFLOW_DATA_DIR: dataDir, MATCHFLOW_LOG_LEVEL: 'warn' };
    const listed = await runCli(['publish', 'list', '--json'], { cwd: dataDir, env });
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    const parsed = JSON.parse(listed.stdout) as {
      latestFile: string;
      snapshots: { version: string; latest: boolean }[];
    };
    expect(parsed.latestFile).toBe(versions[1]);
    expect(parsed.snapshots.map((snapshot) => [snapshot.version, snapshot.latest])).toEqual([
      [versions[1], true],
      [versions[0], false],
    ]);

    const rolled = await runCli(['publish', 'rollback'], { cwd: dataDir, env });
    expect(rolled.code).toBe(0);
    expect(rolled.stdout).toContain(`latest moved from ${versions[1]} to ${versions[0]}`);
    expect(await readLatestVersion(publishDir)).toBe(versions[0]);

    const nothing = await runCli(['publish', 'rollback'], { cwd: dataDir, env });
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/oldest snapshot kept/);

    const text = await runCli(['publish', 'list'], { cwd: dataDir, env });
    expect(text.stdout).toMatch(new RegExp(`\\* ${versions[0]}`));
  });
});
