import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Config } from '@matchflow/config';
import { core, type Db, migrate, openPglite, ops, pgliteDirectory, ratings, raw } from '@matchflow/db';
import { createTestDatabase, type TestDatabase, testBackends } from '@matchflow/db/testing';
import {
  buildSeason,
  closeRun,
  createRun,
  discoverSeason,
  ingestMatch,
  markRatingsDirty,
  publishSnapshot,
  ratePool,
  rebuildFromRaw,
  storePayload,
} from '@matchflow/pipeline';
import { newRunId } from '@matchflow/queues';
import { createLogger } from '@matchflow/telemetry';
import { and, asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplayPipeline, startReplayPipeline } from './support/replay-pipeline.js';
import { runCli } from './support/run-cli.js';

/*
 * `rebuild --from-raw` (DESIGN §8): re-normalising the stored payloads, with the upstream gone,
 * reproduces the published content exactly; and it repairs a core that a bad normaliser wrote.
 * Two seasons of the replay's cup (15 matches each) keep it quick and still give two
 * competition-seasons, so two runs, sharing one rating pool.
 */

const serverUrl = process.env.TEST_DATABASE_URL;
const logger = createLogger({ service: 'test', level: 'silent' });
const SEASONS = ['50011', '50012'];
const settings = (publishDir: string) => ({
  publishDir,
  ratingPools: { football: {} },
  competitions: [{ id: 'demo-cup', source: 'sofascore', competition: 1002, seasons: SEASONS, ratingPool: 'football' }],
});

/** Core as text, in key order; `updated_at` left out where asked (a repaired row moves it). */
async function dumpCore(db: Db, options: { withUpdatedAt: boolean }): Promise<string> {
  const strip = <Row extends { updatedAt?: Date; createdAt?: Date }>(rows: Row[]) =>
    options.withUpdatedAt ? rows : rows.map(({ updatedAt: _u, createdAt: _c, ...row }) => row);
  return JSON.stringify({
    competitions: strip(await db.select().from(core.competitions).orderBy(asc(core.competitions.id))),
    seasons: strip(await db.select().from(core.seasons).orderBy(asc(core.seasons.id))),
    participants: strip(await db.select().from(core.participants).orderBy(asc(core.participants.id))),
    sourceIds: await db
      .select()
      .from(core.sourceIds)
      .orderBy(asc(core.sourceIds.source), asc(core.sourceIds.entity), asc(core.sourceIds.sourceId)),
    matches: strip(await db.select().from(core.matches).orderBy(asc(core.matches.id))),
    appearances: await db
      .select()
      .from(core.appearances)
      .orderBy(asc(core.appearances.matchId), asc(core.appearances.playerId)),
    incidents: await db.select().from(core.incidents).orderBy(asc(core.incidents.matchId), asc(core.incidents.seq)),
  });
}

/** The pool's ratings: every match's pre/post, and the current ratings (`updated_at` aside). */
async function dumpRatings(db: Db): Promise<string> {
  return JSON.stringify({
    matches: await db.select().from(ratings.matchRatings).orderBy(asc(ratings.matchRatings.matchId)),
    current: (await db.select().from(ratings.currentRatings).orderBy(asc(ratings.currentRatings.participantId))).map(
      ({ updatedAt: _u, ...row }) => row,
    ),
  });
}

describe.each(testBackends(process.env))('rebuild from raw on %s', (backend) => {
  let database: TestDatabase;
  let pipeline: ReplayPipeline | undefined;
  let config: Config;
  let publishDir: string;
  /** Content hash of the snapshot published after the clean ingest. */
  let firstHash: string;
  let firstVersion: string;
  let coreBefore: string;
  let ratingsBefore: string;

  beforeAll(async () => {
    publishDir = mkdtempSync(path.join(tmpdir(), 'matchflow-rebuild-'));
    pipeline = await startReplayPipeline(`rebuild-${backend}`, settings(publishDir));
    config = pipeline.config;
    database = await createTestDatabase(backend, { serverUrl, label: 'rebuild' });
    const { client, logger } = pipeline;
    const deps = { db: database.db, fetcher: client, config, logger };
    const runIds: string[] = [];
    for (const season of SEASONS) {
      const runId = newRunId();
      const scope = { source: 'sofascore', competitionId: 'demo-cup', competition: '1002', season };
      await createRun(database.db, { runId, trigger: 'cli', scope, env: 'dev' });
      const discovered = await discoverSeason(deps, { ...scope, runId, mode: 'full', trigger: 'cli' });
      expect(discovered.matches).toHaveLength(15);
      for (const match of discovered.matches) await ingestMatch(deps, { ...scope, runId, match, trigger: 'cli' });
      runIds.push(runId);
    }
    await ratePool({ db: database.db, config }, { pool: 'football', runId: runIds.at(-1) as string });
    for (const [index, season] of SEASONS.entries()) {
      const built = await buildSeason(
        { db: database.db, config },
        { competitionId: 'demo-cup', season, runId: runIds[index] as string },
      );
      expect(built.blocked).toBe(false);
    }
    const published = await publishSnapshot({ db: database.db, config }, { runId: runIds.at(-1) as string });
    if (published.status !== 'published') throw new Error(`first publish: ${published.status}`);
    for (const runId of runIds) await closeRun(database.db, runId, { status: 'ok' });
    firstHash = published.contentHash;
    firstVersion = published.version;
    coreBefore = await dumpCore(database.db, { withUpdatedAt: true });
    ratingsBefore = await dumpRatings(database.db);

    // The upstream goes away for good: whatever follows cannot have asked it anything.
    await pipeline.close();
    pipeline = undefined;
  });
  afterAll(async () => {
    await pipeline?.close();
    await database?.dispose();
    rmSync(publishDir, { recursive: true, force: true });
  });

  it('reproduces the published content, with the upstream closed, and leaves core as it was', async () => {
    // An older version of a match's event (another score) and a newer, quarantined one: neither
    // is what core was written from, so neither may be used.
    const [match] = await database.db
      .select()
      .from(core.matches)
      .where(and(eq(core.matches.seasonId, 'demo-cup.50011'), eq(core.matches.status, 'finished')))
      .orderBy(asc(core.matches.id))
      .limit(1);
    if (!match) throw new Error('no finished cup match');
    const key = match.id.replace('sofascore.match.', '');
    const [stored] = await database.db
      .select()
      .from(raw.payloads)
      .where(and(eq(raw.payloads.endpoint, 'event'), eq(raw.payloads.key, key)));
    if (!stored) throw new Error('no stored event');
    const body = stored.body as { event: { homeScore: { current?: number } } };
    const older = structuredClone(body);
    older.event.homeScore.current = (older.event.homeScore.current ?? 0) + 7;
    for (const [variant, fetchedAt, contractError] of [
      [older, new Date(stored.fetchedAt.getTime() - 86_400_000), undefined],
      [{ broken: true }, new Date(stored.fetchedAt.getTime() + 86_400_000), 'event: required'],
    ] as const) {
      await storePayload(database.db, {
        source: 'sofascore',
        endpoint: 'event',
        key,
        fetchedAt,
        httpStatus: 200,
        text: JSON.stringify(variant),
        body: variant,
        runId: undefined,
        ...(contractError ? { contractError } : {}),
      });
    }

    // And stored ratings that no dirty marker points at (the pool's first match and a current
    // rating): only a full re-rate puts them right.
    await database.db.execute(
      sql`UPDATE ratings.match_ratings SET home_post = home_post + 50 WHERE match_id = (
            SELECT match_id FROM ratings.match_ratings ORDER BY start_time, match_id COLLATE "C" LIMIT 1)`,
    );
    await database.db.execute(
      sql`UPDATE ratings.current_ratings SET rating = rating - 50 WHERE participant_id = (
            SELECT min(participant_id) FROM ratings.current_ratings)`,
    );
    expect(await dumpRatings(database.db)).not.toBe(ratingsBefore);

    const result = await rebuildFromRaw({ db: database.db, config, logger }, {});
    expect(result.seasons.map((season) => [season.season, season.status])).toEqual([
      ['50011', 'ok'],
      ['50012', 'ok'],
    ]);
    for (const season of result.seasons) {
      expect(season.matches).toBe(15);
      expect(season.rejected).toEqual([]);
      expect(season.publish).toEqual({ status: 'unchanged', version: firstVersion, contentHash: firstHash });
      expect(season.pools).toEqual([{ pool: 'football', matches: 30 }]);
      // Event, lineups and incidents for the matches played (a walkover has no details).
      expect(season.payloads).toBeGreaterThan(15);
    }
    expect(result.seasons.map((season) => season.quarantinedSkipped)).toEqual([1, 0]);
    expect(await dumpCore(database.db, { withUpdatedAt: true })).toBe(coreBefore);
    expect(await dumpRatings(database.db)).toBe(ratingsBefore);

    // One run per competition-season, triggered `rebuild`, with its stages recorded.
    const runs = await database.db
      .select()
      .from(ops.pipelineRuns)
      .where(eq(ops.pipelineRuns.trigger, 'rebuild'))
      .orderBy(asc(ops.pipelineRuns.startedAt));
    expect(runs.map((run) => [(run.scope as { season: string }).season, run.status]).sort()).toEqual([
      ['50011', 'ok'],
      ['50012', 'ok'],
    ]);
    const stages = await database.db
      .select()
      .from(ops.stageRuns)
      .where(eq(ops.stageRuns.runId, result.seasons[0]?.runId ?? ''));
    expect(stages.map((stage) => [stage.stage, stage.status]).sort()).toEqual([
      ['build', 'ok'],
      ['normalise', 'ok'],
      ['publish', 'ok'],
      ['ratings', 'ok'],
    ]);
    expect(stages.find((stage) => stage.stage === 'normalise')?.counters).toEqual({
      payloads: result.seasons[0]?.payloads,
      matches: 15,
      quarantinedSkipped: 1,
    });
  });

  it('repairs a core a faulty normaliser wrote: the first content again, the ratings as before', async () => {
    // A "normaliser bug": a finished match's result turned round (sides' scores swapped) and its
    // incidents lost; the pipeline rates, builds and publishes that.
    const [match] = await database.db
      .select()
      .from(core.matches)
      .where(
        and(
          eq(core.matches.seasonId, 'demo-cup.50011'),
          eq(core.matches.status, 'finished'),
          sql`${core.matches.homeScore} <> ${core.matches.awayScore}`,
        ),
      )
      .orderBy(asc(core.matches.startTime), asc(core.matches.id))
      .limit(1);
    if (!match) throw new Error('no finished cup match won in play');
    await database.db
      .update(core.matches)
      .set({
        homeScore: match.awayScore,
        awayScore: match.homeScore,
        winner: match.winner === 'home' ? 'away' : 'home',
        updatedAt: sql`now()`,
      })
      .where(eq(core.matches.id, match.id));
    await database.db.delete(core.incidents).where(eq(core.incidents.matchId, match.id));
    const runId = newRunId();
    await createRun(database.db, {
      runId,
      trigger: 'cli',
      scope: { source: 'sofascore', competitionId: 'demo-cup', competition: '1002', season: '50011' },
      env: 'dev',
    });
    await markRatingsDirty(database.db, 'football', match.startTime, match.id);
    await ratePool({ db: database.db, config }, { pool: 'football', runId });
    await buildSeason({ db: database.db, config }, { competitionId: 'demo-cup', season: '50011', runId });
    const bad = await publishSnapshot({ db: database.db, config }, { runId });
    await closeRun(database.db, runId, { status: 'ok' });
    expect(bad).toMatchObject({ status: 'published' });
    expect(bad.status !== 'blocked' && bad.contentHash).not.toBe(firstHash);
    expect(await dumpRatings(database.db)).not.toBe(ratingsBefore);

    const result = await rebuildFromRaw({ db: database.db, config, logger }, { competitionId: 'demo-cup' });
    expect(result.seasons.map((season) => season.status)).toEqual(['ok', 'ok']);
    // The first season's run publishes the repaired data; the second finds it already there.
    const [first, second] = result.seasons;
    expect(first?.publish).toMatchObject({ status: 'published', contentHash: firstHash });
    expect(second?.publish).toMatchObject({ status: 'unchanged', contentHash: firstHash });
    expect(await dumpCore(database.db, { withUpdatedAt: false })).toBe(
      JSON.stringify(
        Object.fromEntries(
          Object.entries(JSON.parse(coreBefore) as Record<string, Array<Record<string, unknown>>>).map(
            ([name, rows]) => [name, rows.map(({ updatedAt: _u, createdAt: _c, ...row }) => row)],
          ),
        ),
      ),
    );
    expect(await dumpRatings(database.db)).toBe(ratingsBefore);
    expect(await database.db.select().from(ratings.dirtyMarkers)).toEqual([]);
  });
  it('fails the season whose stored payload the mappers now reject, and publishes the others', async () => {
    const [match] = await database.db
      .select()
      .from(core.matches)
      .where(eq(core.matches.seasonId, 'demo-cup.50012'))
      .orderBy(asc(core.matches.id))
      .limit(1);
    const key = match?.id.replace('sofascore.match.', '') ?? '';
    // Stored as sound (not quarantined), but a stricter normaliser would now refuse it.
    await storePayload(database.db, {
      source: 'sofascore',
      endpoint: 'event',
      key,
      fetchedAt: new Date(),
      httpStatus: 200,
      text: '{"event":{"id":"not a number"}}',
      body: { event: { id: 'not a number' } },
      runId: undefined,
    });
    const result = await rebuildFromRaw({ db: database.db, config, logger }, {});
    const [first, second] = result.seasons;
    expect(first).toMatchObject({ season: '50011', status: 'ok', publish: { status: 'unchanged' } });
    expect(second).toMatchObject({ season: '50012', status: 'failed', failedStage: 'normalise', matches: 14 });
    expect(second?.rejected.map((rejected) => rejected.match)).toEqual([key]);
    expect(second?.publish).toBeUndefined();
    const [run] = await database.db
      .select()
      .from(ops.pipelineRuns)
      .where(eq(ops.pipelineRuns.runId, second?.runId ?? ''));
    expect(run).toMatchObject({ status: 'failed', failedStage: 'normalise', error: expect.stringContaining(key) });
  });
});

describe('matchflow rebuild', () => {
  let workDir: string;
  beforeAll(() => {
    workDir = mkdtempSync(path.join(tmpdir(), 'matchflow-rebuild-cli-'));
  });
  afterAll(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  it('exits 2 with a message without --from-raw, and names an unknown competition', async () => {
    const bare = await runCli(['rebuild'], { cwd: workDir });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('rebuild needs --from-raw');
    expect(bare.stdout).toBe('');
    const unknown = await runCli(['rebuild', '--from-raw', '--competition', 'nope'], { cwd: workDir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown competition 'nope'");
  });

  it('exits 2 for a competition whose source kind has no raw normaliser', async () => {
    const file = path.join(workDir, 'football-data.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        dataDir: path.join(workDir, 'fd-data'),
        sources: { licensed: { kind: 'football-data', baseUrl: 'http://127.0.0.1:9/', credentials: { token: 'x' } } },
        ratingPools: { football: {} },
        competitions: [
          { id: 'fd-league', source: 'licensed', competition: 'PL', seasons: ['2023'], ratingPool: 'football' },
        ],
      }),
    );
    const refused = await runCli(['rebuild', '--from-raw', '--competition', 'fd-league'], {
      cwd: workDir,
      env: { MATCHFLOW_CONFIG: file },
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('available for sofascore and openfootball sources, not for fd-league');
    expect(refused.stdout).toBe('');
  });

  it('rebuilds the embedded database with the upstream gone: published, then unchanged', async () => {
    // Ingest the cup's first season into the embedded database the command will open.
    const dataDir = path.join(workDir, 'data');
    const publishDir = path.join(workDir, 'published');
    const pipeline = await startReplayPipeline('rebuild-cli', {
      ...settings(publishDir),
      competitions: [
        { id: 'demo-cup', source: 'sofascore', competition: 1002, seasons: ['50011'], ratingPool: 'football' },
      ],
    });
    mkdirSync(pgliteDirectory(dataDir), { recursive: true });
    const embedded = await openPglite(pgliteDirectory(dataDir)).catch(async (error: unknown) => {
      await pipeline.close();
      throw error;
    });
    try {
      await migrate(embedded);
      const deps = { db: embedded.db, fetcher: pipeline.client, config: pipeline.config, logger };
      const scope = { source: 'sofascore', competitionId: 'demo-cup', competition: '1002', season: '50011' };
      const runId = newRunId();
      const discovered = await discoverSeason(deps, { ...scope, runId, mode: 'full', trigger: 'cli' });
      for (const match of discovered.matches) await ingestMatch(deps, { ...scope, runId, match, trigger: 'cli' });
    } finally {
      await embedded.close();
      await pipeline.close();
    }
    const file = path.join(workDir, 'matchflow.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        dataDir,
        publishDir,
        // Closed: any request would fail the rebuild.
        sources: { sofascore: { kind: 'sofascore', baseUrl: pipeline.replay.apiUrl } },
        ratingPools: { football: {} },
        competitions: [
          { id: 'demo-cup', source: 'sofascore', competition: 1002, seasons: [50011], ratingPool: 'football' },
        ],
      }),
    );
    const env = { MATCHFLOW_CONFIG: file };

    const first = await runCli(['rebuild', '--from-raw'], { cwd: workDir, env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^demo-cup season 50011 \(run run-[0-9a-z-]+\): ok$/m);
    expect(first.stdout).toContain('payloads re-normalised: ');
    expect(first.stdout).toContain('matches: 15; quarantined skipped: 0');
    expect(first.stdout).toContain('pools re-rated: football (15 matches)');
    expect(first.stdout).toMatch(/build quality score: [0-9.]+/);
    const published = /published (\S+) \(content ([0-9a-f]{64})\)/.exec(first.stdout);
    expect(published).not.toBeNull();

    const again = await runCli(['rebuild', '--from-raw', '--competition', 'demo-cup', '--json'], { cwd: workDir, env });
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout) as { seasons: Array<{ status: string; publish: unknown }> };
    expect(report.seasons).toEqual([
      expect.objectContaining({
        status: 'ok',
        publish: { status: 'unchanged', version: published?.[1], contentHash: published?.[2] },
      }),
    ]);
  });
});
