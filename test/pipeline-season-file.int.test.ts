import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Config, loadConfig } from '@matchflow/config';
import { core, type Db, ops, ratings, raw } from '@matchflow/db';
import { createTestDatabase, type TestDatabase, testBackends } from '@matchflow/db/testing';
import {
  buildSeason,
  closeRun,
  createRun,
  type Fetcher,
  ingestSeasonFile,
  markRatingsDirty,
  publishSnapshot,
  ratePool,
  rebuildFromRaw,
  type SeasonFileJob,
  storePayload,
} from '@matchflow/pipeline';
import { newRunId } from '@matchflow/queues';
import { ContractViolation, type FetchedPayload } from '@matchflow/sources';
import { createLogger } from '@matchflow/telemetry';
import { and, asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The season-file ingest stage over a small openfootball-shaped file served from memory: what
 * it writes to raw and core, that it is idempotent, that a corrected result marks ratings dirty
 * from that match, and that a broken file is quarantined without touching core. Then
 * `rebuild --from-raw` over the stored file, with the upstream closed.
 */

const serverUrl = process.env.TEST_DATABASE_URL;
const logger = createLogger({ service: 'test', level: 'silent' });

const config: Config = loadConfig(
  {},
  JSON.stringify({
    sources: { files: { kind: 'openfootball', baseUrl: 'http://127.0.0.1:9/', timezone: 'Europe/London' } },
    ratingPools: { football: {} },
    competitions: [
      { id: 'mini-league', source: 'files', competition: 'xx.1', seasons: ['2023-24'], ratingPool: 'football' },
    ],
  }),
);

type FileMatch = { round: string; date: string; time?: string; team1: string; team2: string; score?: object };

const MATCHES: FileMatch[] = [
  {
    round: 'Matchday 1',
    date: '2023-08-12',
    time: '15:00',
    team1: 'Alpha FC',
    team2: 'Bravo FC',
    score: { ft: [2, 1] },
  },
  {
    round: 'Matchday 1',
    date: '2023-08-12',
    time: '17:30',
    team1: 'Charlie FC',
    team2: 'Delta FC',
    score: { ft: [0, 0] },
  },
  {
    round: 'Matchday 2',
    date: '2023-08-19',
    time: '15:00',
    team1: 'Bravo FC',
    team2: 'Charlie FC',
    score: { ft: [1, 3] },
  },
  { round: 'Matchday 2', date: '2023-08-19', time: '15:00', team1: 'Delta FC', team2: 'Alpha FC', score: {} },
];

/** Serves whatever `body` currently is at the season file's path, counting requests; none once closed. */
class MemoryFetcher implements Fetcher {
  readonly name = 'files';
  body: unknown = { name: 'Mini League 2023/24', matches: MATCHES };
  paths: string[] = [];
  closed = false;
  async fetch(endpoint: string, path: string): Promise<FetchedPayload> {
    this.paths.push(path);
    if (this.closed) throw new Error(`upstream closed: ${path}`);
    const text = JSON.stringify(this.body);
    return {
      source: this.name,
      endpoint,
      url: path,
      status: 200,
      fetchedAt: new Date(),
      text,
      body: JSON.parse(text),
      headers: {},
    };
  }
}

const job = (mode: SeasonFileJob['mode'] = 'changed'): SeasonFileJob => ({
  runId: newRunId(),
  source: 'files',
  competitionId: 'mini-league',
  competition: 'xx.1',
  season: '2023-24',
  mode,
  trigger: 'cli',
});

describe.each(testBackends(process.env))('ingestSeasonFile on %s', (backend) => {
  let database: TestDatabase;
  const fetcher = new MemoryFetcher();
  const deps = () => ({ db: database.db, fetcher, config, logger });
  beforeAll(async () => {
    database = await createTestDatabase(backend, { serverUrl, label: 'season-file' });
  });
  afterAll(async () => {
    await database?.dispose();
  });

  const dump = async () =>
    JSON.stringify({
      participants: await database.db.select().from(core.participants).orderBy(asc(core.participants.id)),
      matches: await database.db.select().from(core.matches).orderBy(asc(core.matches.id)),
      payloads: await database.db.select({ id: raw.payloads.id }).from(raw.payloads).orderBy(asc(raw.payloads.id)),
    });

  it('stores the file once and writes every match into core, ratings dirty from the first result', async () => {
    const result = await ingestSeasonFile(deps(), job());
    expect(result).toEqual({ requests: 1, newPayload: true, matches: 4, written: 4, created: 4, resultsChanged: 3 });
    expect(fetcher.paths).toEqual(['/2023-24/xx.1.json']);
    const [payload] = await database.db.select().from(raw.payloads);
    expect(payload).toMatchObject({ endpoint: 'openfootball.season', key: 'xx.1.2023-24', quarantined: false });
    const matches = await database.db
      .select()
      .from(core.matches)
      .orderBy(asc(core.matches.startTime), asc(core.matches.homeId));
    expect(
      matches.map((match) => [match.homeId, match.awayId, match.status, match.homeScore, match.awayScore]),
    ).toEqual([
      ['files.team.alpha', 'files.team.bravo', 'finished', 2, 1],
      ['files.team.charlie', 'files.team.delta', 'finished', 0, 0],
      ['files.team.bravo', 'files.team.charlie', 'finished', 1, 3],
      ['files.team.delta', 'files.team.alpha', 'notstarted', null, null],
    ]);
    // 15:00 in London in August is 14:00 UTC.
    expect(matches[0]?.startTime.toISOString()).toBe('2023-08-12T14:00:00.000Z');
    // Lineage: every row written names the season file's payload.
    expect(new Set(matches.map((match) => match.rawSha256))).toEqual(new Set([payload?.sha256]));
    const sides = await database.db.select({ rawSha256: core.participants.rawSha256 }).from(core.participants);
    const seasons = await database.db.select({ rawSha256: core.seasons.rawSha256 }).from(core.seasons);
    expect(new Set([...sides, ...seasons].map((row) => row.rawSha256))).toEqual(new Set([payload?.sha256]));
    const [dirty] = await database.db.select().from(ratings.dirtyMarkers);
    expect(dirty).toMatchObject({
      poolId: 'football',
      fromStartTime: matches[0]?.startTime,
      fromMatchId: matches[0]?.id,
    });
  });

  it('is idempotent: the same file again is one request and changes nothing, even in full mode', async () => {
    const before = await dump();
    expect(await ingestSeasonFile(deps(), job())).toMatchObject({ newPayload: false, written: 0, resultsChanged: 0 });
    expect(await ingestSeasonFile(deps(), job('full'))).toMatchObject({
      newPayload: false,
      written: 4,
      created: 0,
      resultsChanged: 0,
    });
    expect(await dump()).toBe(before);
  });

  it('marks ratings dirty from the earliest changed result when the file changes', async () => {
    await database.db.delete(ratings.dirtyMarkers);
    fetcher.body = {
      name: 'Mini League 2023/24',
      matches: MATCHES.map((match) =>
        match.team1 === 'Bravo FC'
          ? { ...match, score: { ft: [2, 3] } }
          : match.team1 === 'Delta FC'
            ? { ...match, score: { ft: [1, 1] } }
            : match,
      ),
    };
    const result = await ingestSeasonFile(deps(), job());
    expect(result).toMatchObject({ newPayload: true, written: 4, created: 0, resultsChanged: 2 });
    const [dirty] = await database.db.select().from(ratings.dirtyMarkers);
    // Both changed matches kick off together: the earlier id (byte-wise) is where ratings go stale.
    const changed = (await database.db.select().from(core.matches))
      .filter((match) => match.homeId === 'files.team.bravo' || match.homeId === 'files.team.delta')
      .map((match) => match.id)
      .sort();
    expect(changed).toHaveLength(2);
    expect(dirty?.fromStartTime.toISOString()).toBe('2023-08-19T14:00:00.000Z');
    expect(dirty?.fromMatchId).toBe(changed[0]);
  });

  it('quarantines a file that breaks its contract and leaves core as it was', async () => {
    const before = await database.db.select().from(core.matches).orderBy(asc(core.matches.id));
    fetcher.body = { name: 'Mini League 2023/24', matches: [{ round: 'Matchday 1', team1: 'Alpha FC' }] };
    await expect(ingestSeasonFile(deps(), job())).rejects.toBeInstanceOf(ContractViolation);
    const quarantined = (await database.db.select().from(raw.payloads)).filter((payload) => payload.quarantined);
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]?.contractError).toMatch(/date/);
    expect(await database.db.select().from(core.matches).orderBy(asc(core.matches.id))).toEqual(before);
  });
});

/** Core as text, in key order, without the times a repaired row moves. */
async function dumpCore(db: Db): Promise<string> {
  const strip = <Row extends { updatedAt?: Date; createdAt?: Date }>(rows: Row[]) =>
    rows.map(({ updatedAt: _u, createdAt: _c, ...row }) => row);
  return JSON.stringify({
    competitions: strip(await db.select().from(core.competitions).orderBy(asc(core.competitions.id))),
    seasons: strip(await db.select().from(core.seasons).orderBy(asc(core.seasons.id))),
    participants: strip(await db.select().from(core.participants).orderBy(asc(core.participants.id))),
    matches: strip(await db.select().from(core.matches).orderBy(asc(core.matches.id))),
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

describe.each(testBackends(process.env))('rebuild from raw of a season file on %s', (backend) => {
  let database: TestDatabase;
  let publishDir: string;
  let rebuildConfig: Config;
  const fetcher = new MemoryFetcher();
  const scope = { source: 'files', competitionId: 'mini-league', competition: 'xx.1', season: '2023-24' };
  /** The first snapshot, published from the clean ingest. */
  let first: { version: string; contentHash: string };
  let coreBefore: string;
  let ratingsBefore: string;

  /** Rate, build and publish as a run of the fleet would, after core was written. */
  async function rateBuildPublish(runId: string) {
    await ratePool({ db: database.db, config: rebuildConfig }, { pool: 'football', runId });
    const built = await buildSeason(
      { db: database.db, config: rebuildConfig },
      { competitionId: 'mini-league', season: '2023-24', runId },
    );
    expect(built.blocked).toBe(false);
    const published = await publishSnapshot({ db: database.db, config: rebuildConfig }, { runId });
    await closeRun(database.db, runId, { status: 'ok' });
    if (published.status === 'blocked') throw new Error(`publish blocked: ${published.failed.join(', ')}`);
    return published;
  }

  beforeAll(async () => {
    publishDir = mkdtempSync(path.join(tmpdir(), 'matchflow-rebuild-files-'));
    rebuildConfig = { ...config, publishDir };
    database = await createTestDatabase(backend, { serverUrl, label: 'rebuild-files' });
    const runId = newRunId();
    await createRun(database.db, { runId, trigger: 'cli', scope, env: 'dev' });
    await ingestSeasonFile({ db: database.db, fetcher, config: rebuildConfig, logger }, { ...job('full'), runId });
    const published = await rateBuildPublish(runId);
    expect(published.status).toBe('published');
    first = { version: published.version, contentHash: published.contentHash };
    coreBefore = await dumpCore(database.db);
    ratingsBefore = await dumpRatings(database.db);
    expect(JSON.parse(ratingsBefore).matches).toHaveLength(3);

    // The upstream goes away: whatever follows cannot have asked it anything.
    fetcher.closed = true;
    fetcher.paths = [];
  });
  afterAll(async () => {
    await database?.dispose();
    if (publishDir) rmSync(publishDir, { recursive: true, force: true });
  });

  it('repairs a corrupted score from the newest sound file and publishes the first content again', async () => {
    // An older file (another score) and a newer, quarantined one: neither is what core was
    // written from, so neither may be used.
    const [stored] = await database.db.select().from(raw.payloads);
    if (!stored) throw new Error('no stored season file');
    const older = {
      name: 'Mini League 2023/24',
      matches: MATCHES.map((match) => ({ ...match, score: { ft: [9, 0] } })),
    };
    for (const [variant, fetchedAt, contractError] of [
      [older, new Date(stored.fetchedAt.getTime() - 86_400_000), undefined],
      [{ matches: 'broken' }, new Date(stored.fetchedAt.getTime() + 86_400_000), 'matches: expected array'],
    ] as const) {
      await storePayload(database.db, {
        source: 'files',
        endpoint: 'openfootball.season',
        key: 'xx.1.2023-24',
        fetchedAt,
        httpStatus: 200,
        text: JSON.stringify(variant),
        body: variant,
        runId: undefined,
        ...(contractError ? { contractError } : {}),
      });
    }

    // A "normaliser bug": a finished match's result turned round, then rated, built and published.
    const [match] = await database.db
      .select()
      .from(core.matches)
      .where(and(eq(core.matches.status, 'finished'), sql`${core.matches.homeScore} <> ${core.matches.awayScore}`))
      .orderBy(asc(core.matches.startTime), asc(core.matches.id))
      .limit(1);
    if (!match) throw new Error('no finished match won in play');
    await database.db
      .update(core.matches)
      .set({
        homeScore: match.awayScore,
        awayScore: match.homeScore,
        winner: match.winner === 'home' ? 'away' : 'home',
        updatedAt: sql`now()`,
      })
      .where(eq(core.matches.id, match.id));
    const runId = newRunId();
    await createRun(database.db, { runId, trigger: 'cli', scope, env: 'dev' });
    await markRatingsDirty(database.db, 'football', match.startTime, match.id);
    const bad = await rateBuildPublish(runId);
    expect(bad.status).toBe('published');
    expect(bad.contentHash).not.toBe(first.contentHash);
    expect(await dumpCore(database.db)).not.toBe(coreBefore);

    const result = await rebuildFromRaw({ db: database.db, config: rebuildConfig, logger }, {});
    expect(result.seasons).toEqual([
      expect.objectContaining({
        competitionId: 'mini-league',
        season: '2023-24',
        status: 'ok',
        payloads: 1,
        matches: 4,
        quarantinedSkipped: 1,
        rejected: [],
        pools: [{ pool: 'football', matches: 3 }],
        publish: expect.objectContaining({ status: 'published', contentHash: first.contentHash }),
      }),
    ]);
    expect(fetcher.paths).toEqual([]);
    expect(await dumpCore(database.db)).toBe(coreBefore);
    expect(await dumpRatings(database.db)).toBe(ratingsBefore);
    expect(await database.db.select().from(ratings.dirtyMarkers)).toEqual([]);

    // One run, triggered `rebuild`, with its four stages recorded.
    const runs = await database.db.select().from(ops.pipelineRuns).where(eq(ops.pipelineRuns.trigger, 'rebuild'));
    expect(runs.map((run) => [run.runId, run.status])).toEqual([[result.seasons[0]?.runId, 'ok']]);
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
      payloads: 1,
      matches: 4,
      quarantinedSkipped: 1,
    });
  });

  it('finds nothing to publish the second time: unchanged, same content', async () => {
    const [latest] = await database.db.select().from(ops.snapshots).where(eq(ops.snapshots.latest, true));
    const result = await rebuildFromRaw(
      { db: database.db, config: rebuildConfig, logger },
      { competitionId: 'mini-league' },
    );
    expect(result.seasons.map((season) => [season.status, season.publish])).toEqual([
      ['ok', { status: 'unchanged', version: latest?.version, contentHash: first.contentHash }],
    ]);
    expect(await dumpCore(database.db)).toBe(coreBefore);
    expect(fetcher.paths).toEqual([]);
  });

  it('fails the season whose stored file the mapper now rejects, and names a source kind it cannot rebuild', async () => {
    await storePayload(database.db, {
      source: 'files',
      endpoint: 'openfootball.season',
      key: 'xx.1.2023-24',
      fetchedAt: new Date(),
      httpStatus: 200,
      text: '{"matches":[{"team1":"Alpha FC"}]}',
      body: { matches: [{ team1: 'Alpha FC' }] },
      runId: undefined,
    });
    const result = await rebuildFromRaw({ db: database.db, config: rebuildConfig, logger }, {});
    expect(result.seasons).toEqual([
      expect.objectContaining({ status: 'failed', failedStage: 'normalise', payloads: 1, matches: 0 }),
    ]);
    expect(result.seasons[0]?.rejected.map((rejected) => rejected.match)).toEqual(['xx.1.2023-24']);
    expect(result.seasons[0]?.publish).toBeUndefined();
    expect(await dumpCore(database.db)).toBe(coreBefore);

    const withFootballData = loadConfig(
      {},
      JSON.stringify({
        sources: {
          files: { kind: 'openfootball', baseUrl: 'http://127.0.0.1:9/' },
          licensed: { kind: 'football-data', baseUrl: 'http://127.0.0.1:9/', credentials: { token: 'x' } },
        },
        ratingPools: { football: {} },
        competitions: [
          { id: 'fd-league', source: 'licensed', competition: 'PL', seasons: ['2023'], ratingPool: 'football' },
        ],
      }),
    );
    await expect(
      rebuildFromRaw({ db: database.db, config: withFootballData, logger }, { competitionId: 'fd-league' }),
    ).rejects.toThrow(/not available for fd-league: its source is football-data/);
    expect(await rebuildFromRaw({ db: database.db, config: withFootballData, logger }, {})).toEqual({ seasons: [] });
  });
});
