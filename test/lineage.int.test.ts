import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Config } from '@matchflow/config';
import { core, type Db, migrate, openPglite, pgliteDirectory, raw } from '@matchflow/db';
import { createTestDatabase, type TestDatabase, testBackends } from '@matchflow/db/testing';
import {
  lineageOf,
  publishSnapshot,
  rebuildFromRaw,
  SnapshotManifest,
  stageFinished,
  stageStarted,
} from '@matchflow/pipeline';
import { createLogger } from '@matchflow/telemetry';
import { and, asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplayPipeline, startReplayPipeline } from './support/replay-pipeline.js';
import { runCli } from './support/run-cli.js';
import { runStages, type SeasonScope } from './support/run-stages.js';

/*
 * Lineage (issue 11): every core row records the raw payload it came from, the manifest lists
 * per table the runs and source watermarks behind it, and `lineageOf` / `matchflow lineage`
 * follow a published row back to its payloads. One season of the replay's cup (15 matches).
 */

const serverUrl = process.env.TEST_DATABASE_URL;
const logger = createLogger({ service: 'test', level: 'silent' });
const SCOPE: SeasonScope = { source: 'sofascore', competitionId: 'demo-cup', competition: '1002', season: '50011' };
const SEASON_ID = 'demo-cup.50011';
const settings = (publishDir: string) => ({
  publishDir,
  ratingPools: { football: {} },
  competitions: [
    { id: 'demo-cup', source: 'sofascore', competition: 1002, seasons: [SCOPE.season], ratingPool: 'football' },
  ],
});

/** The rows of a raw query, whichever driver ran it. */
function rowsOf(result: unknown): unknown[] {
  return Array.isArray(result) ? result : (result as { rows: unknown[] }).rows;
}

/** Every core row's `raw_sha256`, by table and key, in key order. */
async function coreLineage(db: Db): Promise<Record<string, Array<[string, string | null]>>> {
  const by = async (query: ReturnType<typeof sql>) =>
    (await db.execute(sql`SELECT k, s FROM (${query}) AS x ORDER BY k COLLATE "C"`).then(rowsOf)) as Array<{
      k: string;
      s: string | null;
    }>;
  const pairs = (rows: Array<{ k: string; s: string | null }>) =>
    rows.map((row): [string, string | null] => [row.k, row.s]);
  return {
    seasons: pairs(await by(sql`SELECT id AS k, raw_sha256 AS s FROM core.seasons`)),
    participants: pairs(await by(sql`SELECT id AS k, raw_sha256 AS s FROM core.participants`)),
    matches: pairs(await by(sql`SELECT id AS k, raw_sha256 AS s FROM core.matches`)),
    appearances: pairs(await by(sql`SELECT match_id || '/' || player_id AS k, raw_sha256 AS s FROM core.appearances`)),
    incidents: pairs(await by(sql`SELECT match_id || '/' || seq AS k, raw_sha256 AS s FROM core.incidents`)),
  };
}

/** Core rows whose `raw_sha256` is not the sha of a stored payload of the expected endpoint and key. */
async function unexplained(db: Db): Promise<number> {
  const [row] = (await db
    .execute(
      sql`SELECT
        (SELECT count(*) FROM core.matches m JOIN core.source_ids s ON s.entity = 'match' AND s.core_id = m.id
          WHERE NOT EXISTS (SELECT 1 FROM raw.payloads p WHERE p.source = s.source AND p.endpoint = 'event'
            AND p.key = s.source_id AND p.sha256 = m.raw_sha256))
      + (SELECT count(*) FROM core.appearances a JOIN core.source_ids s ON s.entity = 'match' AND s.core_id = a.match_id
          WHERE NOT EXISTS (SELECT 1 FROM raw.payloads p WHERE p.source = s.source AND p.endpoint = 'event.lineups'
            AND p.key = s.source_id AND p.sha256 = a.raw_sha256))
      + (SELECT count(*) FROM core.incidents i JOIN core.source_ids s ON s.entity = 'match' AND s.core_id = i.match_id
          WHERE NOT EXISTS (SELECT 1 FROM raw.payloads p WHERE p.source = s.source AND p.endpoint = 'event.incidents'
            AND p.key = s.source_id AND p.sha256 = i.raw_sha256))
      + (SELECT count(*) FROM core.participants c WHERE NOT EXISTS (SELECT 1 FROM raw.payloads p
          WHERE p.endpoint = CASE c.kind WHEN 'team' THEN 'event' ELSE 'event.lineups' END AND p.sha256 = c.raw_sha256))
      + (SELECT count(*) FROM core.seasons c WHERE NOT EXISTS (SELECT 1 FROM raw.payloads p
          WHERE p.endpoint = 'event' AND p.sha256 = c.raw_sha256)) AS n`,
    )
    .then(rowsOf)) as Array<{ n: number | string }>;
  return Number(row?.n);
}

describe.each(testBackends(process.env))('lineage on %s', (backend) => {
  let database: TestDatabase;
  let pipeline: ReplayPipeline | undefined;
  let config: Config;
  let publishDir: string;
  let runId: string;
  let version: string;

  beforeAll(async () => {
    publishDir = mkdtempSync(path.join(tmpdir(), 'matchflow-lineage-'));
    pipeline = await startReplayPipeline(`lineage-${backend}`, settings(publishDir));
    config = pipeline.config;
    database = await createTestDatabase(backend, { serverUrl, label: 'lineage' });
    const deps = { db: database.db, fetcher: pipeline.client, config, logger: pipeline.logger };
    const run = await runStages(deps, SCOPE, { publish: false });
    expect(run.matches).toBe(15);
    runId = run.runId;
    // As the fleet records it: the build stage row names the run that wrote the season's tables.
    await stageStarted(database.db, runId, 'build', SEASON_ID, 1);
    await stageFinished(database.db, runId, 'build', SEASON_ID, { status: 'ok' });
    const published = await publishSnapshot({ db: database.db, config }, { runId });
    if (published.status !== 'published') throw new Error(`publish: ${published.status}`);
    version = published.version;
    await pipeline.close();
    pipeline = undefined;
  });
  afterAll(async () => {
    await pipeline?.close();
    await database?.dispose();
    rmSync(publishDir, { recursive: true, force: true });
  });

  it('fills raw_sha256 on every core row written, naming the payload each came from', async () => {
    const written = await coreLineage(database.db);
    for (const [table, rows] of Object.entries(written)) {
      expect(rows.length, table).toBeGreaterThan(0);
      expect(
        rows.filter(([, sha]) => sha === null),
        table,
      ).toEqual([]);
    }
    expect(await unexplained(database.db)).toBe(0);
  });

  it("traces a standings row to its team's finished matches and their event payloads", async () => {
    const found = await lineageOf(database.db, 'standings', `${SEASON_ID},1`);
    if (!found) throw new Error('no standings row at position 1');
    expect(found.row).toMatchObject({ season_id: SEASON_ID, position: 1 });
    const teamId = found.row.team_id as string;

    const expected = await database.db
      .select({ id: core.matches.id })
      .from(core.matches)
      .where(
        and(
          eq(core.matches.seasonId, SEASON_ID),
          eq(core.matches.status, 'finished'),
          sql`${teamId} IN (${core.matches.homeId}, ${core.matches.awayId})`,
        ),
      )
      .orderBy(asc(core.matches.startTime), asc(core.matches.id));
    const matches = found.core.filter((row) => row.table === 'core.matches');
    expect(matches.map((row) => row.key.id)).toEqual(expected.map((row) => row.id));
    expect(matches.length).toBe(found.row.played);
    expect(found.core.filter((row) => row.table === 'core.participants').map((row) => row.key.id)).toEqual([teamId]);

    const events = await database.db
      .select({ key: raw.payloads.key, sha256: raw.payloads.sha256 })
      .from(raw.payloads)
      .where(eq(raw.payloads.endpoint, 'event'));
    for (const match of matches) {
      const key = String(match.key.id).replace('sofascore.match.', '');
      expect(match.payload).toMatchObject({ source: 'sofascore', endpoint: 'event', key, quarantined: false });
      expect(match.payload?.sha256).toBe(match.rawSha256);
      expect(events).toContainEqual({ key, sha256: match.payload?.sha256 });
    }
    // The team's row came from one of its matches' event payloads.
    const team = found.core.find((row) => row.table === 'core.participants');
    expect(team?.payload?.endpoint).toBe('event');

    // The same row by team id; a row that is not there; keys and tables that do not parse.
    expect((await lineageOf(database.db, 'standings', `${SEASON_ID},${teamId}`))?.row).toEqual(found.row);
    expect(await lineageOf(database.db, 'standings', `${SEASON_ID},99`)).toBeUndefined();
    await expect(lineageOf(database.db, 'standings', SEASON_ID)).rejects.toThrow(/season_id,position/);
    await expect(lineageOf(database.db, 'competitions', 'demo-cup')).rejects.toThrow(/standings, matches/);
  });

  it('traces matches, player appearances and players to lineups and incidents payloads', async () => {
    const [appearance] = await database.db
      .select({ seasonId: core.matches.seasonId, playerId: core.appearances.playerId, teamId: core.appearances.teamId })
      .from(core.appearances)
      .innerJoin(core.matches, eq(core.matches.id, core.appearances.matchId))
      .where(and(eq(core.matches.status, 'finished'), eq(core.appearances.starter, true)))
      .orderBy(asc(core.appearances.matchId), asc(core.appearances.playerId))
      .limit(1);
    if (!appearance) throw new Error('no appearance');
    const played = await lineageOf(
      database.db,
      'player_appearances',
      `${appearance.seasonId},${appearance.playerId},${appearance.teamId}`,
    );
    const appearances = played?.core.filter((row) => row.table === 'core.appearances') ?? [];
    expect(appearances.length).toBeGreaterThan(0);
    for (const row of appearances) expect(row.payload?.endpoint).toBe('event.lineups');
    expect(played?.core.find((row) => row.key.id === appearance.playerId)?.payload?.endpoint).toBe('event.lineups');

    const player = await lineageOf(database.db, 'players', appearance.playerId);
    expect(player?.core.filter((row) => row.table === 'core.appearances').length).toBeGreaterThanOrEqual(
      appearances.length,
    );

    const [withIncidents] = await database.db
      .select({ matchId: core.incidents.matchId })
      .from(core.incidents)
      .orderBy(asc(core.incidents.matchId))
      .limit(1);
    const match = await lineageOf(database.db, 'match_summary', withIncidents?.matchId as string);
    expect(match?.table).toBe('matches');
    expect(match?.core.map((row) => row.table)).toEqual([
      'core.matches',
      'core.seasons',
      'core.participants',
      'core.participants',
    ]);
    expect(match?.core.every((row) => row.payload !== null)).toBe(true);
  });

  it('lists per table the runs and source watermarks behind it, outside the content hash', async () => {
    const dir = path.join(publishDir, version);
    const manifest = SnapshotManifest.parse(JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')));
    const checksums = readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8');
    expect(checksums).not.toContain('manifest.json');
    expect(createHash('sha256').update(checksums).digest('hex')).toBe(manifest.content_hash);

    const [newest] = (await database.db
      .execute(
        sql`SELECT to_char(max(p.fetched_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS fetched,
              to_char(max(m.updated_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated
            FROM core.matches m JOIN raw.payloads p ON p.sha256 = m.raw_sha256`,
      )
      .then(rowsOf)) as Array<{ fetched: string; updated: string }>;
    const standings = manifest.tables.find((table) => table.name === 'standings');
    expect(standings?.lineage).toEqual({
      published_run_id: runId,
      written_run_ids: [runId],
      sources: { sofascore: { matches: 15, last_fetched_at: newest?.fetched, last_updated_at: newest?.updated } },
    });
    for (const table of manifest.tables) expect(table.lineage?.published_run_id, table.name).toBe(runId);
    // A table with no rows draws on nothing.
    expect(manifest.tables.find((table) => table.name === 'tennis_records')?.lineage).toEqual({
      published_run_id: runId,
      written_run_ids: [],
      sources: {},
    });

    // Lineage alone moving (another run rebuilt the same data) publishes nothing new.
    const republished = await publishSnapshot({ db: database.db, config }, { runId: `${runId}-again` });
    expect(republished).toMatchObject({ status: 'unchanged', contentHash: manifest.content_hash });
  });

  it('re-normalising from raw records the same payloads, and fills in rows that had none', async () => {
    const before = await coreLineage(database.db);
    const rebuilt = await rebuildFromRaw({ db: database.db, config, logger }, {});
    expect(rebuilt.seasons.map((season) => season.status)).toEqual(['ok']);
    expect(await coreLineage(database.db)).toEqual(before);

    // Rows written before lineage existed: a rebuild fills them in from the payloads it reads.
    for (const table of ['seasons', 'participants', 'matches', 'appearances', 'incidents'])
      await database.db.execute(sql`UPDATE ${sql.identifier('core')}.${sql.identifier(table)} SET raw_sha256 = NULL`);
    await rebuildFromRaw({ db: database.db, config, logger }, {});
    const filled = await coreLineage(database.db);
    for (const table of ['matches', 'appearances', 'incidents'] as const) expect(filled[table]).toEqual(before[table]);
    for (const table of ['seasons', 'participants'] as const)
      expect(filled[table]?.filter(([, sha]) => sha === null)).toEqual([]);
    expect(await unexplained(database.db)).toBe(0);
  });

  if (backend === 'postgres')
    it('matchflow lineage prints the chain from the database DATABASE_URL names', async () => {
      const url = new URL(serverUrl as string);
      url.pathname = `/${database.name}`;
      const env = { DATABASE_URL: url.toString(), MATCHFLOW_LOG_LEVEL: 'warn' };
      const result = await runCli(['lineage', 'standings', `${SEASON_ID},1`, '--json'], { cwd: publishDir, env });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual(
        JSON.parse(JSON.stringify(await lineageOf(database.db, 'standings', `${SEASON_ID},1`))),
      );
    });
});

describe('matchflow lineage on the embedded database', () => {
  let workDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'matchflow-lineage-cli-'));
    const dataDir = path.join(workDir, 'data');
    const pipeline = await startReplayPipeline('lineage-cli', settings(path.join(dataDir, 'published')));
    mkdirSync(pgliteDirectory(dataDir), { recursive: true });
    try {
      const embedded = await openPglite(pgliteDirectory(dataDir));
      try {
        await migrate(embedded);
        const deps = { db: embedded.db, fetcher: pipeline.client, config: pipeline.config, logger: pipeline.logger };
        await runStages(deps, SCOPE, { publish: false });
      } finally {
        await embedded.close();
      }
    } finally {
      await pipeline.close();
    }
    env = { MATCHFLOW_DATA_DIR: dataDir, MATCHFLOW_LOG_LEVEL: 'warn' };
  });
  afterAll(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  it('prints the chain of a standings row: row, core rows, raw payloads', async () => {
    const result = await runCli(['lineage', 'standings', `${SEASON_ID},1`], { cwd: workDir, env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`standings season_id=${SEASON_ID} position=1`);
    expect(lines[1]).toMatch(
      new RegExp(`^ {2}row: competition_id=demo-cup season_id=${SEASON_ID} position=1 team_id=`),
    );
    expect(result.stdout).toMatch(/^ {2}core\.seasons demo-cup\.50011 {2}/m);
    expect(result.stdout).toMatch(/^ {2}core\.matches sofascore\.match\.\d+ {2}\S+ finished /m);
    expect(result.stdout).toMatch(
      /^ {4}raw: sofascore event \d+ · fetched \d{4}-\d\d-\d\dT[0-9:.]+Z · sha256 [0-9a-f]{64}$/m,
    );
    // Every core row is followed by its payload line.
    const coreLines = lines.filter((line) => /^ {2}core\./.test(line));
    expect(coreLines.length).toBeGreaterThan(2);
    expect(lines.filter((line) => line.startsWith('    raw: sofascore '))).toHaveLength(coreLines.length);

    const missing = await runCli(['lineage', 'standings', `${SEASON_ID},99`], { cwd: workDir, env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`standings has no row with key '${SEASON_ID},99'`);
    const badKey = await runCli(['lineage', 'standings', SEASON_ID], { cwd: workDir, env });
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('a standings key is season_id,position');
    const badTable = await runCli(['lineage', 'odds', 'x'], { cwd: workDir, env });
    expect(badTable.code).toBe(2);
    expect(badTable.stderr).toContain("unknown table 'odds': lineage traces standings, matches, player_appearances");
    const noKey = await runCli(['lineage', 'standings'], { cwd: workDir, env });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('lineage needs <table> <key>');
  });
});
