import type { Config } from '@matchflow/config';
import { core, curated, ratings, raw } from '@matchflow/db';
import { createTestDatabase, type TestDatabase, testBackends } from '@matchflow/db/testing';
import { buildSeason, ingestMatch } from '@matchflow/pipeline';
import { newRunId } from '@matchflow/queues';
import type { ReplayServer } from '@matchflow/replay';
import { ContractViolation, type SourceClient } from '@matchflow/sources';
import type { Logger } from '@matchflow/telemetry';
import { asc, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ReplayPipeline, startReplayPipeline } from './support/replay-pipeline.js';

const serverUrl = process.env.TEST_DATABASE_URL;
let pipeline: ReplayPipeline;
let replay: ReplayServer;
let client: SourceClient;
let config: Config;
let logger: Logger;

beforeAll(async () => {
  pipeline = await startReplayPipeline('pipeline-ingest', {
    ratingPools: { football: {}, tennis: { homeAdvantage: 0 } },
    competitions: [
      { id: 'demo-league', source: 'sofascore', competition: 1001, seasons: [50003], ratingPool: 'football' },
      { id: 'demo-open', source: 'sofascore', competition: 1003, seasons: [50022], ratingPool: 'tennis' },
    ],
  });
  ({ replay, client, config, logger } = pipeline);
});
afterAll(async () => {
  await pipeline?.close();
});

afterEach(async () => {
  await fetch(`${replay.url}/_control/faults`, { method: 'DELETE' });
});

const matches = () => [...(replay.world?.matches.values() ?? [])];
const job = (match: number, competitionId = 'demo-league', season = '50003') => ({
  runId: newRunId(),
  source: 'sofascore',
  competitionId,
  competition: competitionId === 'demo-league' ? '1001' : '1003',
  season,
  match: String(match),
  trigger: 'cli' as const,
});

/** Every core row, in key order, as text: two equal dumps mean byte-for-byte equal tables. */
async function dumpCore(database: TestDatabase): Promise<string> {
  const db = database.db;
  return JSON.stringify({
    competitions: await db.select().from(core.competitions).orderBy(asc(core.competitions.id)),
    seasons: await db.select().from(core.seasons).orderBy(asc(core.seasons.id)),
    participants: await db.select().from(core.participants).orderBy(asc(core.participants.id)),
    matches: await db.select().from(core.matches).orderBy(asc(core.matches.id)),
    appearances: await db
      .select()
      .from(core.appearances)
      .orderBy(asc(core.appearances.matchId), asc(core.appearances.playerId)),
    incidents: await db.select().from(core.incidents).orderBy(asc(core.incidents.matchId), asc(core.incidents.seq)),
    dirty: await db.select().from(ratings.dirtyMarkers),
    payloads: await db
      .select({ id: raw.payloads.id, sha256: raw.payloads.sha256 })
      .from(raw.payloads)
      .orderBy(asc(raw.payloads.id)),
  });
}

describe.each(testBackends(process.env))('ingestMatch on %s', (backend) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(backend, { serverUrl, label: 'ingest' });
  });
  afterAll(async () => {
    await database?.dispose();
  });
  const deps = () => ({ db: database.db, fetcher: client, config, logger });

  it('ingests a finished league match: the score, lineups and incidents the simulation decided', async () => {
    const now = replay.clock.now();
    const target = matches().find(
      (match) =>
        match.season.id === 50003 &&
        match.fate === 'played' &&
        match.startTimestamp + 4 * 3_600 < now &&
        (match.football?.goals.length ?? 0) >= 2 &&
        !match.correction,
    );
    if (!target?.football) throw new Error('no finished match');
    const result = await ingestMatch(deps(), job(target.id));
    expect(result).toMatchObject({
      matchId: `sofascore.match.${target.id}`,
      status: 'finished',
      requests: 4,
      newPayloads: 4,
      created: true,
      resultChanged: true,
    });

    const [row] = await database.db.select().from(core.matches).where(eq(core.matches.id, result.matchId));
    const goals = { home: 0, away: 0 };
    for (const goal of target.football.goals) goals[goal.side] += 1;
    expect(row).toMatchObject({
      status: 'finished',
      statusDetail: 'regular',
      homeScore: goals.home,
      awayScore: goals.away,
      homeScoreRegular: goals.home,
      homeId: `sofascore.team.${target.home.id}`,
      seasonId: 'demo-league.50003',
      startTime: new Date(target.startTimestamp * 1000),
    });
    const appearances = await database.db
      .select()
      .from(core.appearances)
      .where(eq(core.appearances.matchId, result.matchId));
    expect(appearances.filter((appearance) => appearance.starter)).toHaveLength(22);
    const incidents = await database.db.select().from(core.incidents).where(eq(core.incidents.matchId, result.matchId));
    expect(incidents.filter((incident) => incident.kind === 'goal')).toHaveLength(target.football.goals.length);
    const [marker] = await database.db
      .select()
      .from(ratings.dirtyMarkers)
      .where(eq(ratings.dirtyMarkers.poolId, 'football'));
    expect(marker).toMatchObject({
      fromMatchId: result.matchId,
      fromStartTime: new Date(target.startTimestamp * 1000),
    });
  });

  it('changes nothing when ingested again: no new payloads, core byte-for-byte the same', async () => {
    const now = replay.clock.now();
    const target = matches().find(
      (match) => match.season.id === 50003 && match.fate === 'played' && match.startTimestamp + 4 * 3_600 < now,
    );
    if (!target) throw new Error('no finished match');
    await ingestMatch(deps(), job(target.id));
    const before = await dumpCore(database);
    const again = await ingestMatch(deps(), job(target.id));
    expect(again).toMatchObject({ newPayloads: 0, created: false, resultChanged: false });
    expect(await dumpCore(database)).toBe(before);
  });

  it('picks up a late correction: new payloads, a lower score, ratings marked dirty from that match', async () => {
    const corrected = matches().find(
      (match) =>
        match.season.id === 50003 && match.correction && match.correction.at < replay.clock.now() + 200 * 86_400,
    );
    if (!corrected?.correction) throw new Error('no correction in season 50003');
    const original = replay.clock.now();
    try {
      replay.clock.set(corrected.correction.at - 60);
      const first = await ingestMatch(deps(), job(corrected.id));
      await database.db.delete(ratings.dirtyMarkers);
      replay.clock.set(corrected.correction.at + 60);
      const second = await ingestMatch(deps(), job(corrected.id));
      expect(second.newPayloads).toBeGreaterThanOrEqual(2);
      expect(second.resultChanged).toBe(true);
      const [row] = await database.db.select().from(core.matches).where(eq(core.matches.id, first.matchId));
      expect((row?.homeScore ?? 0) + (row?.awayScore ?? 0)).toBe((corrected.football?.goals.length ?? 0) - 1);
      const [marker] = await database.db.select().from(ratings.dirtyMarkers);
      expect(marker?.fromMatchId).toBe(first.matchId);
    } finally {
      replay.clock.set(original);
    }
  });

  it('quarantines a payload that breaks its contract and leaves core untouched', async () => {
    const now = replay.clock.now();
    const target = matches().find(
      (match) => match.season.id === 50002 && match.fate === 'played' && match.startTimestamp < now,
    );
    if (!target) throw new Error('no finished match');
    await fetch(`${replay.url}/_control/faults`, {
      method: 'PUT',
      body: JSON.stringify({ drift: { eventIds: [target.id], mode: 'missing-field' } }),
    });
    await expect(ingestMatch(deps(), job(target.id))).rejects.toBeInstanceOf(ContractViolation);
    const quarantined = await database.db
      .select()
      .from(raw.payloads)
      .where(eq(raw.payloads.key, String(target.id)));
    expect(quarantined).toEqual([
      expect.objectContaining({
        quarantined: true,
        endpoint: 'event',
        contractError: expect.stringContaining('event.status'),
      }),
    ]);
    expect(
      await database.db
        .select()
        .from(core.matches)
        .where(eq(core.matches.id, `sofascore.match.${target.id}`)),
    ).toEqual([]);
  });

  it('asks only for the event of a match not yet played, and rates nothing', async () => {
    const future = matches().find(
      (match) =>
        match.season.id === 50003 && match.fate === 'played' && match.startTimestamp > replay.clock.now() + 86_400,
    );
    if (!future) throw new Error('no future match');
    await database.db.delete(ratings.dirtyMarkers);
    const result = await ingestMatch(deps(), job(future.id));
    expect(result).toMatchObject({ status: 'notstarted', requests: 1, resultChanged: false });
    expect(await database.db.select().from(ratings.dirtyMarkers)).toEqual([]);
  });

  it('ingests tennis: players as participants, sets kept, no lineups asked for', async () => {
    const now = replay.clock.now();
    const target = matches().find(
      (match) =>
        match.season.id === 50022 &&
        match.fate === 'played' &&
        !match.tennis?.retired &&
        match.startTimestamp + 4 * 3_600 < now,
    );
    if (!target?.tennis) throw new Error('no tennis match');
    const result = await ingestMatch(deps(), job(target.id, 'demo-open', '50022'));
    expect(result.requests).toBe(1);
    const [row] = await database.db.select().from(core.matches).where(eq(core.matches.id, result.matchId));
    expect(row?.homeId).toBe(`sofascore.player.${target.home.id}`);
    expect(row?.periods).toHaveLength(target.tennis.sets.length);
    expect(row?.surface).toBe('hard'); // "Hardcourt outdoor"
    const [home] = await database.db
      .select()
      .from(core.participants)
      .where(eq(core.participants.id, `sofascore.player.${target.home.id}`));
    expect(home).toMatchObject({ kind: 'player', name: target.home.name });
    const [marker] = await database.db
      .select()
      .from(ratings.dirtyMarkers)
      .where(eq(ratings.dirtyMarkers.poolId, 'tennis'));
    expect(marker?.fromMatchId).toBe(result.matchId);

    // The build keeps each player's record by season and surface.
    const built = await buildSeason({ db: database.db, config }, { competitionId: 'demo-open', season: '50022' });
    expect(built).toMatchObject({ standings: 0, appearances: 0, tennisRecords: 2 });
    const [winner, loser] = row?.winner === 'home' ? [row.homeId, row.awayId] : [row?.awayId, row?.homeId];
    const records = await database.db.select().from(curated.tennisRecords).orderBy(asc(curated.tennisRecords.won));
    expect(
      records.map(({ playerId, surface, played, won, lost }) => ({ playerId, surface, played, won, lost })),
    ).toEqual([
      { playerId: loser, surface: 'hard', played: 1, won: 0, lost: 1 },
      { playerId: winner, surface: 'hard', played: 1, won: 1, lost: 0 },
    ]);
  });
});
