import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from './client.js';
import { core, curated, ops, ratings, raw } from './schema/index.js';
import { createTestDatabase, type TestDatabase, testBackends } from './testing.js';

const serverUrl = process.env.TEST_DATABASE_URL;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const kickoff = new Date('2024-08-17T14:00:00.000Z');

/** Minimal core rows a match needs; the same code runs on both backends. */
async function seedCore(db: Db): Promise<void> {
  await db.insert(core.competitions).values({ id: 'demo-league', name: 'Demo League', sport: 'football' });
  await db.insert(core.seasons).values({ id: 'demo-league.2024', competitionId: 'demo-league', name: '2024/25' });
  await db.insert(core.participants).values([
    { id: 'sofascore.team.1', kind: 'team', name: 'Alpha FC' },
    { id: 'sofascore.team.2', kind: 'team', name: 'Beta United' },
  ]);
}

describe.each(testBackends(process.env))('zones round-trip on %s', (backend) => {
  let database: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    database = await createTestDatabase(backend, { serverUrl, label: 'zones' });
    db = database.db;
    await seedCore(db);
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it('raw: stores a payload once per content hash and keeps quarantine reasons', async () => {
    const body = { event: { id: 11, status: { code: 100, type: 'finished' } } };
    const row = {
      source: 'sofascore',
      endpoint: 'event',
      key: '11',
      fetchedAt: kickoff,
      httpStatus: 200,
      sha256: sha256(JSON.stringify(body)),
      body,
    };
    const inserted = await db.insert(raw.payloads).values(row).onConflictDoNothing().returning({ id: raw.payloads.id });
    const again = await db.insert(raw.payloads).values(row).onConflictDoNothing().returning({ id: raw.payloads.id });
    expect(inserted).toHaveLength(1);
    expect(again).toHaveLength(0);

    const [stored] = await db.select().from(raw.payloads).where(eq(raw.payloads.key, '11'));
    expect(stored?.body).toEqual(body);
    expect(stored?.fetchedAt.toISOString()).toBe(kickoff.toISOString());
    expect(stored?.quarantined).toBe(false);

    await expect(
      db.insert(raw.payloads).values({ ...row, key: '12', sha256: sha256('x'), quarantined: true }),
    ).rejects.toThrow();
    await db.insert(raw.payloads).values({
      ...row,
      key: '12',
      sha256: sha256('x'),
      quarantined: true,
      contractError: 'event.status.code: expected number',
    });
    const quarantined = await db.select().from(raw.payloads).where(eq(raw.payloads.quarantined, true));
    expect(quarantined.map((payload) => payload.contractError)).toEqual(['event.status.code: expected number']);
  });

  it('core: upserts a match and reads it back with nullable scores', async () => {
    const match = {
      id: 'sofascore.match.11',
      competitionId: 'demo-league',
      seasonId: 'demo-league.2024',
      startTime: kickoff,
      status: 'notstarted',
      homeId: 'sofascore.team.1',
      awayId: 'sofascore.team.2',
    };
    await db.insert(core.matches).values(match);
    await db
      .insert(core.matches)
      .values({ ...match, status: 'finished', homeScore: 2, awayScore: 1, winner: 'home' })
      .onConflictDoUpdate({
        target: core.matches.id,
        set: { status: 'finished', homeScore: 2, awayScore: 1, winner: 'home' },
      });
    const [stored] = await db.select().from(core.matches).where(eq(core.matches.id, match.id));
    expect(stored).toMatchObject({
      status: 'finished',
      homeScore: 2,
      awayScore: 1,
      homePenalties: null,
      neutral: false,
    });

    await expect(
      db.insert(core.matches).values({ ...match, id: 'sofascore.match.12', status: 'abandoned-ish' }),
    ).rejects.toThrow();
    await expect(
      db.insert(core.matches).values({ ...match, id: 'sofascore.match.13', awayId: match.homeId }),
    ).rejects.toThrow();
  });

  it('ratings: writes pre/post ratings and a dirty marker', async () => {
    await db.insert(ratings.pools).values({ id: 'football', params: { k: 20 }, paramsHash: sha256('k20') });
    await db.insert(ratings.matchRatings).values({
      poolId: 'football',
      matchId: 'sofascore.match.11',
      startTime: kickoff,
      homeId: 'sofascore.team.1',
      awayId: 'sofascore.team.2',
      homePre: 1500,
      awayPre: 1500,
      homePost: 1507.5,
      awayPost: 1492.5,
      expectedHome: 0.5925,
    });
    await db
      .insert(ratings.dirtyMarkers)
      .values({ poolId: 'football', fromStartTime: kickoff, fromMatchId: 'sofascore.match.11' });
    const [rating] = await db.select().from(ratings.matchRatings).where(eq(ratings.matchRatings.poolId, 'football'));
    expect(rating).toMatchObject({ homePost: 1507.5, awayPost: 1492.5, expectedHome: 0.5925 });
    const [marker] = await db.select().from(ratings.dirtyMarkers);
    expect(marker?.fromMatchId).toBe('sofascore.match.11');
  });

  it('curated: stores a standings row', async () => {
    const row = {
      competitionId: 'demo-league',
      seasonId: 'demo-league.2024',
      participantId: 'sofascore.team.1',
      position: 1,
      played: 1,
      won: 1,
      drawn: 0,
      lost: 0,
      goalsFor: 2,
      goalsAgainst: 1,
      points: 3,
      adjustment: 0,
      form: 'W',
    };
    await db.insert(curated.standings).values(row);
    expect(await db.select().from(curated.standings)).toEqual([row]);
  });

  it('core: a player profile is complete exactly when its five key fields are there', async () => {
    await db.insert(core.participants).values([
      { id: 'sofascore.player.7', kind: 'player', name: 'Ann Alpha' },
      { id: 'sofascore.player.8', kind: 'player', name: 'Ben Beta' },
    ]);
    const checkedAt = new Date('2024-08-18T03:00:00.000Z');
    const profile = {
      playerId: 'sofascore.player.7',
      source: 'sofascore',
      sourceId: '7',
      position: 'M',
      nationality: 'NOR',
      dateOfBirth: '1999-02-28',
      heightCm: 181,
      preferredFoot: 'left' as const,
      teamId: 'sofascore.team.1',
      checkedAt,
      updatedAt: checkedAt,
    };
    await db
      .insert(core.playerProfiles)
      .values([profile, { ...profile, playerId: 'sofascore.player.8', sourceId: '8', heightCm: null }]);
    const stored = await db
      .select({
        id: core.playerProfiles.playerId,
        complete: core.playerProfiles.complete,
        born: core.playerProfiles.dateOfBirth,
      })
      .from(core.playerProfiles)
      .orderBy(core.playerProfiles.playerId);
    expect(stored).toEqual([
      { id: 'sofascore.player.7', complete: true, born: '1999-02-28' },
      { id: 'sofascore.player.8', complete: false, born: '1999-02-28' },
    ]);
    await expect(
      db
        .update(core.playerProfiles)
        .set({ preferredFoot: 'Right' as 'right' })
        .where(eq(core.playerProfiles.sourceId, '7')),
    ).rejects.toThrow();
  });

  it('core: rows record the raw payload they came from (lowercase hex sha256, or null)', async () => {
    const source = sha256('event 21');
    const match = {
      id: 'sofascore.match.21',
      competitionId: 'demo-league',
      seasonId: 'demo-league.2024',
      startTime: kickoff,
      status: 'finished',
      homeId: 'sofascore.team.1',
      awayId: 'sofascore.team.2',
      rawSha256: source,
    };
    await db.insert(core.matches).values(match);
    await db
      .insert(core.participants)
      .values({ id: 'sofascore.player.21', kind: 'player', name: 'P', rawSha256: source });
    await db.insert(core.appearances).values({
      matchId: match.id,
      playerId: 'sofascore.player.21',
      teamId: 'sofascore.team.1',
      side: 'home',
      starter: true,
      rawSha256: source,
    });
    await db.insert(core.incidents).values({ matchId: match.id, seq: 1, kind: 'goal', rawSha256: source });
    const [stored] = await db.select().from(core.matches).where(eq(core.matches.id, match.id));
    expect(stored?.rawSha256).toBe(source);
    const [season] = await db.select().from(core.seasons).where(eq(core.seasons.id, 'demo-league.2024'));
    expect(season?.rawSha256).toBeNull();

    // Every table with the column checks it: upper case, short or non-hex values are refused.
    for (const bad of [source.toUpperCase(), source.slice(1), `${source.slice(1)}g`]) {
      await expect(
        db.update(core.matches).set({ rawSha256: bad }).where(eq(core.matches.id, match.id)),
      ).rejects.toThrow();
      await expect(
        db.update(core.seasons).set({ rawSha256: bad }).where(eq(core.seasons.id, 'demo-league.2024')),
      ).rejects.toThrow();
      await expect(
        db.update(core.participants).set({ rawSha256: bad }).where(eq(core.participants.id, 'sofascore.player.21')),
      ).rejects.toThrow();
      await expect(
        db.update(core.appearances).set({ rawSha256: bad }).where(eq(core.appearances.matchId, match.id)),
      ).rejects.toThrow();
      await expect(
        db.update(core.incidents).set({ rawSha256: bad }).where(eq(core.incidents.matchId, match.id)),
      ).rejects.toThrow();
    }
  });

  it('ops: records a run with its stages and a checkpoint', async () => {
    await db.insert(ops.pipelineRuns).values({
      runId: 'run-1',
      trigger: 'cli',
      scope: { competitions: ['demo-league'] },
      env: 'dev',
    });
    await db.insert(ops.stageRuns).values({ runId: 'run-1', stage: 'ingest', scopeKey: 'sofascore.match.11' });
    await db
      .update(ops.stageRuns)
      .set({ status: 'ok', durationMs: 42, counters: { fetched: 4 } })
      .where(and(eq(ops.stageRuns.runId, 'run-1'), eq(ops.stageRuns.stage, 'ingest')));
    await db
      .update(ops.pipelineRuns)
      .set({ status: 'ok', finishedAt: new Date() })
      .where(eq(ops.pipelineRuns.runId, 'run-1'));
    await db
      .insert(ops.checkpoints)
      .values({ name: 'discover.sofascore.17.52186', value: { changedAt: 1_723_900_000 }, runId: 'run-1' });

    const [run] = await db.select().from(ops.pipelineRuns);
    expect(run).toMatchObject({
      runId: 'run-1',
      status: 'ok',
      failedStage: null,
      scope: { competitions: ['demo-league'] },
    });
    const stages = await db.select().from(ops.stageRuns);
    expect(stages).toMatchObject([
      { stage: 'ingest', status: 'ok', durationMs: 42, counters: { fetched: 4 }, attempt: 1 },
    ]);
    const [checkpoint] = await db.select().from(ops.checkpoints);
    expect(checkpoint?.value).toEqual({ changedAt: 1_723_900_000 });

    // A failed run must say which stage failed.
    await expect(
      db.insert(ops.pipelineRuns).values({ runId: 'run-2', trigger: 'cli', scope: {}, env: 'dev', status: 'failed' }),
    ).rejects.toThrow();
  });
});
