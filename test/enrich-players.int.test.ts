import { core, curated, type Db, ops, raw } from '@matchflow/db';
import { createTestDatabase, type TestDatabase, testBackends } from '@matchflow/db/testing';
import {
  buildSeason,
  createRun,
  enrichPlayers,
  type Fetcher,
  ingestMatch,
  PLAYER_PROFILE_COVERAGE,
  PLAYERS_CHECKPOINT,
  PlayerRow,
  PUBLISHED_TABLES,
  rebuildCuratedPlayers,
  type StageBudget,
  type StageEvent,
  type StageWorkContext,
  type StageWorkResult,
} from '@matchflow/pipeline';
import { newRunId } from '@matchflow/queues';
import { playerProfileOf, type ReplayServer, type World } from '@matchflow/replay';
import { UpstreamUnavailable } from '@matchflow/sources';
import { and, asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplayPipeline, startReplayPipeline } from './support/replay-pipeline.js';

/*
 * The `players` stage's work against the replay upstream (its `/player/{id}` endpoint) and a
 * real database: core is seeded by ingesting a few demo matches, then `enrichPlayers` runs with a
 * hand-built context, as the stage runner would call it. What was fetched is read from the
 * replay's own accounting (per player id), not from our counters.
 */

const serverUrl = process.env.TEST_DATABASE_URL;
const T0 = new Date('2025-06-01T03:00:00.000Z');
const DAY_MS = 86_400_000;
/** A lineup player the upstream has never heard of: its player endpoint answers 404. */
const GHOST = { id: 'sofascore.player.999999901', sourceId: '999999901' };

let pipeline: ReplayPipeline;
let replay: ReplayServer;

beforeAll(async () => {
  pipeline = await startReplayPipeline('enrich-players', {
    ratingPools: { football: {}, tennis: { homeAdvantage: 0 } },
    competitions: [
      { id: 'demo-league', source: 'sofascore', competition: 1001, seasons: [50001], ratingPool: 'football' },
      { id: 'demo-open', source: 'sofascore', competition: 1003, seasons: [50021], ratingPool: 'tennis' },
    ],
  });
  replay = pipeline.replay;
});
afterAll(async () => {
  await pipeline?.close();
});

/** The first matches of a season, by kick-off then id. */
function firstMatches(seasonId: number, count: number): number[] {
  const season = replay.world?.competitions
    .flatMap((competition) => competition.seasons)
    .find((s) => s.id === seasonId);
  return [...(season?.matches ?? [])]
    .sort((a, b) => a.startTimestamp - b.startTimestamp || a.id - b.id)
    .slice(0, count)
    .map((match) => match.id);
}

/** Player ids the replay was asked about since its accounting was last reset: id -> requests. */
function fetchedPlayers(): Map<string, number> {
  const byKey = replay.accounting.snapshot().byKey.player ?? {};
  return new Map(
    Object.entries(byKey).map(([id, statuses]) => [id, Object.values(statuses).reduce((sum, n) => sum + n, 0)]),
  );
}

const byteWise = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface RunOptions {
  budget?: Partial<StageBudget>;
  now?: () => Date;
  dryRun?: boolean;
  db?: Db;
  fetcher?: Fetcher;
}

describe.each(testBackends(process.env))('players stage on %s', (backend) => {
  let database: TestDatabase;
  /** Lineup players (core ids, byte-wise order) and the upstream ids behind them. */
  let lineupPlayers: string[];
  const sourceIdOf = (playerId: string) => playerId.slice('sofascore.player.'.length);
  const incomplete = (playerId: string) =>
    playerId === GHOST.id ||
    (playerProfileOf(replay.world as World, Number(sourceIdOf(playerId)))?.missing.length ?? 0) > 0;

  beforeAll(async () => {
    database = await createTestDatabase(backend, { serverUrl, label: 'enrich_players' });
    const deps = { db: database.db, fetcher: pipeline.client, config: pipeline.config, logger: pipeline.logger };
    const scope = { source: 'sofascore', competitionId: 'demo-league', competition: '1001', season: '50001' };
    const matches = firstMatches(50001, 3);
    for (const match of matches)
      await ingestMatch(deps, { ...scope, runId: newRunId(), match: String(match), trigger: 'cli' });
    // A tennis match: its players are participants of kind `player`, but not the player endpoint's.
    const [tennis] = firstMatches(50021, 1);
    await ingestMatch(deps, {
      source: 'sofascore',
      competitionId: 'demo-open',
      competition: '1003',
      season: '50021',
      runId: newRunId(),
      match: String(tennis),
      trigger: 'cli',
    });
    // The ghost played in the first match, for its home side.
    const [first] = await database.db
      .select({ id: core.matches.id, homeId: core.matches.homeId })
      .from(core.matches)
      .where(eq(core.matches.id, `sofascore.match.${matches[0]}`));
    if (!first) throw new Error('seed: no match ingested');
    await database.db.insert(core.participants).values({ id: GHOST.id, kind: 'player', name: 'Gus Ghost' });
    await database.db
      .insert(core.sourceIds)
      .values({ source: 'sofascore', entity: 'participant', sourceId: GHOST.sourceId, coreId: GHOST.id });
    await database.db.insert(core.appearances).values({
      matchId: first.id,
      playerId: GHOST.id,
      teamId: first.homeId,
      side: 'home',
      starter: false,
      minutes: 4,
    });
    await buildSeason({ db: database.db, config: pipeline.config }, { competitionId: 'demo-league', season: '50001' });
    const players = await database.db.selectDistinct({ id: core.appearances.playerId }).from(core.appearances);
    lineupPlayers = players.map((row) => row.id).sort(byteWise);
  });
  afterAll(async () => {
    await database?.dispose();
  });

  /** Call the work as the runner would; events are collected. */
  async function run(
    options: RunOptions = {},
  ): Promise<{ result: StageWorkResult; events: StageEvent[]; runId: string }> {
    const runId = newRunId();
    const db = options.db ?? database.db;
    await createRun(database.db, {
      runId,
      trigger: 'cli',
      scope: { stage: 'players', queue: 'players', scope: 'all' },
      env: 'dev',
    });
    const events: StageEvent[] = [];
    const context: StageWorkContext = {
      db,
      config: pipeline.config,
      logger: pipeline.logger,
      runId,
      trigger: 'cli',
      scope: 'all',
      budget: { batchSize: 10, maxItems: 10_000, maxRuntimeMs: 3_600_000, ...options.budget },
      dryRun: options.dryRun ?? false,
      fetcher: (source) => (source === 'sofascore' ? (options.fetcher ?? pipeline.client) : undefined),
      emit: (event) => events.push(event),
      now: options.now ?? (() => T0),
    };
    return { result: await enrichPlayers(context), events, runId };
  }

  /** Back to the state before any enrichment: no profiles, curated as the build left it. */
  async function reset(): Promise<void> {
    const db = database.db;
    await db.delete(core.playerProfiles);
    await db.delete(ops.checkpoints).where(eq(ops.checkpoints.name, PLAYERS_CHECKPOINT));
    await db.delete(raw.payloads).where(eq(raw.payloads.endpoint, 'player'));
    await rebuildCuratedPlayers(db);
    replay.accounting.reset();
  }

  /** What the stage leaves behind, as text: equal dumps, equal state. */
  async function endState(): Promise<string> {
    const db = database.db;
    const [checkpoint] = await db
      .select({ value: ops.checkpoints.value })
      .from(ops.checkpoints)
      .where(eq(ops.checkpoints.name, PLAYERS_CHECKPOINT));
    return JSON.stringify({
      profiles: await db.select().from(core.playerProfiles).orderBy(asc(core.playerProfiles.playerId)),
      curated: await db.select().from(curated.players).orderBy(asc(curated.players.playerId)),
      checkpoint: checkpoint?.value,
      payloads: await db
        .select({ key: raw.payloads.key, sha256: raw.payloads.sha256, quarantined: raw.payloads.quarantined })
        .from(raw.payloads)
        .where(eq(raw.payloads.endpoint, 'player'))
        .orderBy(asc(raw.payloads.key)),
    });
  }

  async function curatedPlayers() {
    return database.db.select().from(curated.players).orderBy(asc(curated.players.playerId));
  }

  it('seeds lineup players only: tennis players are no candidates', async () => {
    expect(lineupPlayers.length).toBeGreaterThan(60);
    expect(lineupPlayers).toContain(GHOST.id);
    // Some of the upstream's profiles lack a key field; the test below needs both kinds.
    expect(lineupPlayers.filter(incomplete).length).toBeGreaterThan(3);
    const tennis = await database.db
      .select({ id: core.participants.id })
      .from(core.participants)
      .where(
        and(
          eq(core.participants.kind, 'player'),
          sql`NOT EXISTS (SELECT 1 FROM core.appearances a WHERE a.player_id = ${core.participants.id})`,
        ),
      );
    expect(tennis.length).toBe(2);
  });

  it('fetches new players once, then only incomplete ones whose re-check is due, never a complete one', async () => {
    await reset();
    const first = await run();
    expect(first.result).toMatchObject({
      scanned: lineupPlayers.length,
      processed: lineupPlayers.length - 1,
      skipped: 1,
      failed: 0,
      complete: true,
    });
    expect(first.result.counters).toMatchObject({ notFound: 1, quarantined: 0, candidates: lineupPlayers.length });
    let fetched = fetchedPlayers();
    expect([...fetched.keys()].sort()).toEqual(lineupPlayers.map(sourceIdOf).sort());
    expect([...fetched.values()].every((requests) => requests === 1)).toBe(true);

    // The profiles are what the upstream holds, complete exactly when the upstream's is.
    const profiles = await database.db.select().from(core.playerProfiles).orderBy(asc(core.playerProfiles.playerId));
    const teams = new Set(
      (
        await database.db
          .select({ id: core.participants.id })
          .from(core.participants)
          .where(eq(core.participants.kind, 'team'))
      ).map((row) => row.id),
    );
    expect(profiles.map((profile) => profile.playerId)).toEqual(lineupPlayers);
    for (const profile of profiles) {
      expect(profile.complete).toBe(!incomplete(profile.playerId));
      expect(profile.checkedAt.toISOString()).toBe(T0.toISOString());
      if (profile.playerId === GHOST.id) {
        expect(profile).toMatchObject({ notFound: true, rawSha256: null, nationality: null });
        continue;
      }
      const upstream = playerProfileOf(replay.world as World, Number(profile.sourceId));
      expect(profile).toMatchObject({
        notFound: false,
        heightCm: upstream?.heightCm ?? null,
        position: upstream?.position ?? null,
        nationality: upstream?.country?.alpha3 ?? null,
        dateOfBirth:
          upstream?.dateOfBirthTimestamp === undefined
            ? null
            : new Date(upstream.dateOfBirthTimestamp * 1000).toISOString().slice(0, 10),
        preferredFoot: upstream?.preferredFoot?.toLowerCase() ?? null,
        // The club's core id when core knows the club (it may have moved to one we never ingested).
        teamId: teams.has(`sofascore.team.${upstream?.teamId}`) ? `sofascore.team.${upstream?.teamId}` : null,
        teamSourceId: String(upstream?.teamId),
      });
      expect(profile.rawSha256).toMatch(/^[0-9a-f]{64}$/);
    }
    const [coverage] = await database.db
      .select()
      .from(ops.qualityResults)
      .where(and(eq(ops.qualityResults.runId, first.runId), eq(ops.qualityResults.check, PLAYER_PROFILE_COVERAGE)));
    const completeShare = lineupPlayers.filter((id) => !incomplete(id)).length / lineupPlayers.length;
    expect(coverage).toMatchObject({ scope: 'players', severity: 'warn', threshold: 0.9 });
    expect(coverage?.observed).toBeCloseTo(completeShare, 10);
    expect(coverage?.status).toBe(completeShare >= 0.9 ? 'pass' : 'warn');
    expect(coverage?.sample as unknown[]).toHaveLength(Math.min(10, lineupPlayers.filter(incomplete).length));

    // A day later: nothing is due.
    replay.accounting.reset();
    const nextDay = await run({ now: () => new Date(T0.getTime() + DAY_MS) });
    expect(nextDay.result).toMatchObject({ scanned: 0, processed: 0, complete: true });
    expect(fetchedPlayers().size).toBe(0);

    // Eight days later: the incomplete ones (and the 404) are asked again, no one else.
    const later = new Date(T0.getTime() + 8 * DAY_MS);
    const recheck = await run({ now: () => later });
    fetched = fetchedPlayers();
    expect([...fetched.keys()].sort()).toEqual(lineupPlayers.filter(incomplete).map(sourceIdOf).sort());
    expect([...fetched.values()].every((requests) => requests === 1)).toBe(true);
    expect(recheck.result).toMatchObject({ scanned: lineupPlayers.filter(incomplete).length, complete: true });
    const rechecked = await database.db
      .select({
        id: core.playerProfiles.playerId,
        checkedAt: core.playerProfiles.checkedAt,
        updatedAt: core.playerProfiles.updatedAt,
      })
      .from(core.playerProfiles)
      .where(eq(core.playerProfiles.complete, false));
    for (const row of rechecked) {
      expect(row.checkedAt.toISOString()).toBe(later.toISOString());
      // Same answer as before: the fields did not change.
      expect(row.updatedAt.toISOString()).toBe(T0.toISOString());
    }
  });

  it('keeps curated.players equal to a full rebuild, and publishes the lineup players of built seasons', async () => {
    const incremental = await curatedPlayers();
    expect(incremental.length).toBe(lineupPlayers.length);
    expect(incremental.filter((row) => row.profileComplete).length).toBe(
      lineupPlayers.filter((id) => !incomplete(id)).length,
    );
    const ghost = incremental.find((row) => row.playerId === GHOST.id);
    expect(ghost).toMatchObject({ appearances: 1, minutes: 4, profileComplete: false, position: null });
    expect(await rebuildCuratedPlayers(database.db)).toMatchObject({ written: 0, removed: 0 });
    expect(await curatedPlayers()).toEqual(incremental);
    // From scratch: the same rows again.
    await database.db.delete(curated.players);
    expect(await rebuildCuratedPlayers(database.db)).toMatchObject({ written: incremental.length });
    expect(await curatedPlayers()).toEqual(incremental);

    const table = PUBLISHED_TABLES.find((candidate) => candidate.name === 'players');
    if (!table) throw new Error('no published players table');
    const result: unknown = await database.db.execute(table.query);
    const published = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<
      string,
      unknown
    >[];
    for (const row of published) PlayerRow.parse(row);
    expect(Object.keys(published[0] ?? {})).toEqual(table.columns);
    const inAppearances = await database.db
      .selectDistinct({ id: curated.playerAppearances.playerId })
      .from(curated.playerAppearances);
    expect(published.map((row) => row.player_id)).toEqual(inAppearances.map((row) => row.id).sort(byteWise));
    const born = published.find((row) => row.date_of_birth !== null);
    expect(born?.date_of_birth).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('resumes after a crash mid-batch: the same end state as a clean run, only that batch fetched twice', async () => {
    await reset();
    const clean = await run({ budget: { batchSize: 5 } });
    expect(clean.result.complete).toBe(true);
    const cleanState = await endState();

    await reset();
    // The process dies in the middle of batch 3's transaction: its writes are rolled back.
    let transactions = 0;
    const crashing = new Proxy(database.db, {
      get(target, property, receiver) {
        if (property === 'transaction')
          return async (work: (tx: unknown) => Promise<unknown>) => {
            transactions += 1;
            const crashNow = transactions === 3;
            return target.transaction(async (tx) => {
              await work(tx);
              if (crashNow) throw new Error('crash: the process died before the batch committed');
            });
          };
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Db;
    await expect(run({ db: crashing, budget: { batchSize: 5 } })).rejects.toThrow(/crash/);
    const afterCrash = await database.db.select({ id: core.playerProfiles.playerId }).from(core.playerProfiles);
    expect(afterCrash).toHaveLength(10);
    const [checkpoint] = await database.db
      .select()
      .from(ops.checkpoints)
      .where(eq(ops.checkpoints.name, PLAYERS_CHECKPOINT));
    expect(checkpoint?.value).toEqual({ playerId: lineupPlayers[9] });

    const resumed = await run({ budget: { batchSize: 5 } });
    expect(resumed.result).toMatchObject({ complete: true, scanned: lineupPlayers.length - 10 });
    expect(await endState()).toEqual(cleanState);
    const fetched = fetchedPlayers();
    const twice = lineupPlayers.slice(10, 15).map(sourceIdOf);
    for (const id of lineupPlayers.map(sourceIdOf)) expect(fetched.get(id)).toBe(twice.includes(id) ? 2 : 1);
  });

  it('stops at an upstream error after committing the rest of the batch; the retry fetches only the player that failed', async () => {
    await reset();
    await run({ budget: { batchSize: 5 } });
    const cleanState = await endState();

    await reset();
    const victim = lineupPlayers[11] as string;
    let failedOnce = false;
    const flaky: Fetcher = {
      name: 'sofascore',
      fetch: async (endpoint, path, options) => {
        if (!failedOnce && path.endsWith(`/${sourceIdOf(victim)}`)) {
          failedOnce = true;
          throw new UpstreamUnavailable({ source: 'sofascore', endpoint, url: path }, 'connection reset');
        }
        return pipeline.client.fetch(endpoint, path, options);
      },
    };
    const stopped = run({ fetcher: flaky, budget: { batchSize: 5 } });
    await expect(stopped).rejects.toBeInstanceOf(UpstreamUnavailable);
    // Batch 3 is players 10..14: all but the victim were committed, the checkpoint stops before him.
    const profiles = await database.db.select({ id: core.playerProfiles.playerId }).from(core.playerProfiles);
    expect(profiles.map((row) => row.id).sort(byteWise)).toEqual(
      lineupPlayers.slice(0, 15).filter((id) => id !== victim),
    );
    const [checkpoint] = await database.db
      .select()
      .from(ops.checkpoints)
      .where(eq(ops.checkpoints.name, PLAYERS_CHECKPOINT));
    expect(checkpoint?.value).toEqual({ playerId: lineupPlayers[10] });

    const retried = await run({ fetcher: flaky, budget: { batchSize: 5 } });
    expect(retried.result.complete).toBe(true);
    expect(await endState()).toEqual(cleanState);
    const fetched = fetchedPlayers();
    // The victim's first request never reached the upstream; every player was asked once.
    for (const id of lineupPlayers.map(sourceIdOf)) expect(fetched.get(id)).toBe(1);
  });

  it('keeps to maxItems (the last batch trimmed) and continues from the checkpoint next time', async () => {
    await reset();
    const first = await run({ budget: { batchSize: 3, maxItems: 7 } });
    expect(first.result).toMatchObject({ scanned: 7, complete: false });
    expect(first.result.processed + first.result.skipped + first.result.failed).toBe(7);
    expect(first.events.filter((event) => event.type === 'batch').map((event) => event.size)).toEqual([3, 3, 1]);
    expect(first.events.filter((event) => event.type === 'batch').at(-1)).toMatchObject({
      batch: 3,
      cursor: lineupPlayers[6],
    });
    expect(first.events.at(-1)).toEqual({ type: 'budget-exhausted', reason: 'maxItems' });
    expect([...fetchedPlayers().keys()].sort()).toEqual(lineupPlayers.slice(0, 7).map(sourceIdOf).sort());

    const second = await run({ budget: { batchSize: 3, maxItems: 7 } });
    expect(second.result).toMatchObject({ scanned: 7, complete: false });
    expect([...fetchedPlayers().keys()].sort()).toEqual(lineupPlayers.slice(0, 14).map(sourceIdOf).sort());
    const [checkpoint] = await database.db
      .select()
      .from(ops.checkpoints)
      .where(eq(ops.checkpoints.name, PLAYERS_CHECKPOINT));
    expect(checkpoint?.value).toEqual({ playerId: lineupPlayers[13] });
  });

  it('keeps to maxRuntimeMs: no batch starts once the time is up', async () => {
    await reset();
    // Each reading of the clock is a second later: the start, then one before each batch.
    let at = T0.getTime();
    const ticking = () => {
      const now = new Date(at);
      at += 1_000;
      return now;
    };
    const { result, events } = await run({ now: ticking, budget: { batchSize: 3, maxRuntimeMs: 2_500 } });
    expect(result).toMatchObject({ scanned: 6, complete: false });
    expect(result.counters.batches).toBe(2);
    expect(events).toContainEqual({ type: 'budget-exhausted', reason: 'maxRuntime' });
    expect(fetchedPlayers().size).toBe(6);
  });

  it('dry run: counts what it would fetch, fetches and writes nothing', async () => {
    await reset();
    const before = await endState();
    const limited = await run({ dryRun: true, budget: { batchSize: 3, maxItems: 7 } });
    expect(limited.result).toMatchObject({ scanned: 7, processed: 7, complete: false });
    const whole = await run({ dryRun: true });
    expect(whole.result).toMatchObject({
      scanned: lineupPlayers.length,
      processed: lineupPlayers.length,
      complete: true,
    });
    expect(replay.accounting.snapshot().requests).toBe(0);
    expect(await endState()).toEqual(before);
    const recorded = await database.db
      .select()
      .from(ops.qualityResults)
      .where(eq(ops.qualityResults.runId, whole.runId));
    expect(recorded).toEqual([]);
  });

  it('quarantines a malformed profile with its contract error and goes on', async () => {
    await reset();
    const victim = lineupPlayers[4] as string;
    const breaking: Fetcher = {
      name: 'sofascore',
      fetch: async (endpoint, path, options) => {
        const payload = await pipeline.client.fetch(endpoint, path, options);
        if (!path.endsWith(`/${sourceIdOf(victim)}`)) return payload;
        const body = structuredClone(payload.body) as { player: Record<string, unknown> };
        body.player.height = 'tall';
        return { ...payload, body, text: JSON.stringify(body) };
      },
    };
    const { result, events } = await run({ fetcher: breaking });
    expect(result).toMatchObject({ failed: 1, processed: lineupPlayers.length - 2, complete: true });
    expect(result.counters.quarantined).toBe(1);
    expect(events.find((event) => event.type === 'batch')).toMatchObject({ quarantined: 1 });
    const [kept] = await database.db
      .select()
      .from(raw.payloads)
      .where(and(eq(raw.payloads.endpoint, 'player'), eq(raw.payloads.key, sourceIdOf(victim))));
    expect(kept).toMatchObject({ quarantined: true, body: { player: { height: 'tall' } } });
    expect(kept?.contractError).toMatch(/player\.height/);
    const [profile] = await database.db
      .select()
      .from(core.playerProfiles)
      .where(eq(core.playerProfiles.playerId, victim));
    // Asked (so not again before the re-check), nothing taken from the broken answer.
    expect(profile).toMatchObject({ complete: false, rawSha256: null, heightCm: null, notFound: false });
    expect(profile?.checkedAt.toISOString()).toBe(T0.toISOString());
  });
});
