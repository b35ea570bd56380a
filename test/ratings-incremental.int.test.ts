import type { Config } from '@matchflow/config';
import { core, type Db, ratings } from '@matchflow/db';
import { createTestDatabase, type TestDatabase, testBackends } from '@matchflow/db/testing';
import { coreIds, markRatingsDirty, type RateHooks, ratePool, upsertMatchRecords } from '@matchflow/pipeline';
import { type EloMatch, type EloParams, rate } from '@matchflow/ratings';
import type { CanonicalMatch } from '@matchflow/sources';
import { asc, eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The ratings invariant (DESIGN §7): whatever order results arrive in, however often they are
 * corrected, rescheduled or withdrawn, and wherever a ratings job crashes, the incremental stage
 * ends with exactly (===) what a full recompute gives. Real PostgreSQL (or PGlite), the real
 * ingest write path (upsertMatchRecords + dirty marker) and the real stage.
 */

const serverUrl = process.env.TEST_DATABASE_URL;
const PROPERTY_RUNS = 500;

/** A match as the test's model of the upstream holds it. */
interface MatchSpec {
  sourceId: string;
  home: number;
  away: number;
  day: number;
  hour: number;
  homeScore: number;
  awayScore: number;
  /** A walkover: no score, the winner given. */
  walkover: 'home' | 'away' | null;
  status: 'finished' | 'canceled';
  season: string;
}

type Step =
  | { kind: 'arrive'; match: number }
  | { kind: 'correct'; match: number; homeScore: number; awayScore: number }
  | { kind: 'reschedule'; match: number; day: number }
  | { kind: 'withdraw'; match: number }
  | { kind: 'restore'; match: number }
  | { kind: 'rate'; crashAtBatch: number | null };

interface PoolSettings {
  params: Partial<EloParams>;
  batchSize: number;
  weight: string | null;
}

const BASE_DAY = Date.UTC(2024, 0, 1);
const startTime = (spec: MatchSpec) => new Date(BASE_DAY + spec.day * 86_400_000 + spec.hour * 3_600_000);
/** A match keeps its season when it is rescheduled: the season of the day first scheduled. */
const seasonFor = (day: number) => (day < 6 ? '2024' : '2025');
const byteWise = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A world of one competition and one pool, kept in a model and written to core through the ingest path. */
class World {
  readonly source: string;
  readonly competitionId: string;
  readonly pool: string;
  readonly current = new Map<number, MatchSpec>();

  constructor(
    private readonly db: Db,
    readonly label: string,
    readonly specs: MatchSpec[],
    readonly settings: PoolSettings,
  ) {
    this.source = `src${label}`;
    this.competitionId = `comp-${label}`;
    this.pool = `pool-${label}`;
  }

  config(pool = this.pool, batchSize = this.settings.batchSize): Pick<Config, 'competitions' | 'ratingPools'> {
    const competition = {
      id: this.competitionId,
      ratingPool: pool,
      ...(this.settings.weight ? { ratingWeight: this.settings.weight } : {}),
    };
    return {
      competitions: [competition] as unknown as Config['competitions'],
      ratingPools: { [pool]: { ...this.settings.params, batchSize } } as Config['ratingPools'],
    };
  }

  matchId(index: number): string {
    return coreIds.match(this.source, (this.specs[index] as MatchSpec).sourceId);
  }

  team(index: number): string {
    return coreIds.participant(this.source, 'team', `t${index}`);
  }

  async apply(step: Exclude<Step, { kind: 'rate' }>): Promise<void> {
    const known = this.current.get(step.match);
    if (step.kind !== 'arrive' && !known) return;
    const next: MatchSpec =
      step.kind === 'arrive'
        ? { ...(this.specs[step.match] as MatchSpec) }
        : step.kind === 'correct'
          ? { ...(known as MatchSpec), homeScore: step.homeScore, awayScore: step.awayScore, walkover: null }
          : step.kind === 'reschedule'
            ? { ...(known as MatchSpec), day: step.day }
            : { ...(known as MatchSpec), status: step.kind === 'withdraw' ? 'canceled' : 'finished' };
    this.current.set(step.match, next);
    await this.db.transaction(async (txn) => {
      const tx = txn as unknown as Db;
      const written = await upsertMatchRecords(tx, this.records(next));
      if (written.resultChanged) await markRatingsDirty(tx, this.pool, written.ratingsStaleFrom, written.matchId);
    });
  }

  private records(spec: MatchSpec) {
    const season = spec.season;
    const side = (team: number) => ({
      source: this.source,
      sourceId: `t${team}`,
      kind: 'team' as const,
      name: `Team ${team}`,
      shortName: undefined,
      country: undefined,
    });
    const match: CanonicalMatch = {
      source: this.source,
      sourceId: spec.sourceId,
      competitionSourceId: 'c',
      seasonSourceId: season,
      sport: 'football',
      startTime: startTime(spec),
      status: spec.status,
      statusDetail: spec.walkover ? 'walkover' : 'regular',
      homeSourceId: `t${spec.home}`,
      awaySourceId: `t${spec.away}`,
      score: spec.walkover || spec.status === 'canceled' ? undefined : { home: spec.homeScore, away: spec.awayScore },
      regularTimeScore: undefined,
      penalties: undefined,
      periods: [],
      winner:
        spec.status === 'canceled'
          ? undefined
          : (spec.walkover ??
            (spec.homeScore > spec.awayScore ? 'home' : spec.homeScore < spec.awayScore ? 'away' : 'draw')),
      neutral: spec.home % 3 === 0,
      surface: undefined,
      round: undefined,
      roundName: undefined,
      sourceChangedAt: undefined,
    };
    return {
      source: this.source,
      competition: { id: this.competitionId, name: this.competitionId, sport: 'football' as const },
      season: { source: this.source, sourceId: season, competitionSourceId: 'c', name: season, year: season },
      sides: [side(spec.home), side(spec.away)],
      match,
    };
  }

  /** A full recompute from the model alone: the engine over every terminal match, in order. */
  expected() {
    const terminal = [...this.current.entries()]
      .filter(([, spec]) => spec.status === 'finished')
      .map(([index, spec]) => ({ id: this.matchId(index), spec }))
      .sort((a, b) => startTime(a.spec).getTime() - startTime(b.spec).getTime() || byteWise(a.id, b.id));
    const params = this.resolvedParams();
    const matches: EloMatch[] = terminal.map(({ id, spec }) => ({
      id,
      home: this.team(spec.home),
      away: this.team(spec.away),
      homeScore: spec.walkover ? 0 : spec.homeScore,
      awayScore: spec.walkover ? 0 : spec.awayScore,
      neutral: spec.home % 3 === 0,
      season: spec.season,
      ...(this.settings.weight ? { weight: this.settings.weight } : {}),
      ...(spec.walkover ? { result: spec.walkover === 'home' ? 1 : 0 } : {}),
    }));
    return { terminal, ...rate(matches, params) };
  }

  private resolvedParams(): EloParams {
    return { initial: 1500, k: 20, homeAdvantage: 0, scale: 400, mov: { kind: 'none' }, ...this.settings.params };
  }
}

async function storedRatings(db: Db, pool: string) {
  const rows = await db
    .select()
    .from(ratings.matchRatings)
    .where(eq(ratings.matchRatings.poolId, pool))
    .orderBy(asc(ratings.matchRatings.startTime), asc(sql`${ratings.matchRatings.matchId} COLLATE "C"`));
  const current = await db
    .select()
    .from(ratings.currentRatings)
    .where(eq(ratings.currentRatings.poolId, pool))
    .orderBy(asc(sql`${ratings.currentRatings.participantId} COLLATE "C"`));
  return {
    rows: rows.map(({ poolId: _pool, ...row }) => row),
    current: current.map(({ poolId: _pool, updatedAt: _updated, ...row }) => row),
  };
}

async function runRatings(db: Db, world: World, crashAtBatch: number | null): Promise<void> {
  const hooks: RateHooks = {
    beforeCommit: (batch) => {
      if (batch === crashAtBatch) throw new Error(`simulated crash before committing batch ${batch}`);
    },
  };
  await ratePool({ db, config: world.config(), hooks }, { pool: world.pool }).catch((error: Error) => {
    if (!error.message.startsWith('simulated crash')) throw error;
  });
}

/** After the last step: the incremental pool equals the model's full recompute, and the stage's own. */
async function expectConverged(db: Db, world: World): Promise<void> {
  await runRatings(db, world, null);
  const incremental = await storedRatings(db, world.pool);
  const { terminal, rated, state } = world.expected();

  expect(incremental.rows.map((row) => row.matchId)).toEqual(terminal.map((match) => match.id));
  incremental.rows.forEach((row, index) => {
    const engine = rated[index] as (typeof rated)[number];
    // toBe on each number: exact, not approximate.
    expect([row.homePre, row.awayPre, row.homePost, row.awayPost, row.expectedHome]).toEqual([
      engine.homePre,
      engine.awayPre,
      engine.homePost,
      engine.awayPost,
      engine.expectedHome,
    ]);
  });
  expect(incremental.current).toEqual(
    [...state.entries()]
      .sort(([a], [b]) => byteWise(a, b))
      .map(([participantId, entry]) => ({
        participantId,
        rating: entry.rating,
        games: entry.games,
        lastMatchId: entry.lastMatchId ?? null,
        season: entry.season ?? null,
      })),
  );

  // The stage itself, from scratch in one pass over the same core rows, agrees row for row.
  const fullPool = `${world.pool}-full`;
  await ratePool({ db, config: world.config(fullPool, 10_000) }, { pool: fullPool });
  expect(await storedRatings(db, fullPool)).toEqual(incremental);
  const markers = await db.select().from(ratings.dirtyMarkers).where(eq(ratings.dirtyMarkers.poolId, world.pool));
  expect(markers).toEqual([]);
}

const sourceId = fc.stringMatching(/^[A-Za-z0-9_-]{1,5}$/);

const matchSpec = (teams: number) =>
  fc
    .record({
      sourceId,
      home: fc.nat(teams - 1),
      offset: fc.integer({ min: 1, max: teams - 1 }),
      day: fc.nat(11),
      hour: fc.constantFrom(12, 18),
      homeScore: fc.nat(4),
      awayScore: fc.nat(4),
      walkover: fc.oneof(
        { weight: 8, arbitrary: fc.constant(null) },
        fc.constantFrom('home' as const, 'away' as const),
      ),
    })
    .map(
      ({ offset, ...spec }): MatchSpec => ({
        ...spec,
        away: (spec.home + offset) % teams,
        status: 'finished',
        season: seasonFor(spec.day),
      }),
    );

const poolSettings: fc.Arbitrary<PoolSettings> = fc.record({
  params: fc.record(
    {
      k: fc.oneof(fc.constantFrom(20, 32), fc.constant({ a: 250, b: 5, c: 0.4 })),
      homeAdvantage: fc.constantFrom(0, 65),
      mov: fc.constantFrom(
        { kind: 'none' as const },
        { kind: 'goal-difference' as const },
        { kind: 'log-margin' as const, a: 2.2, b: 0.001 },
      ),
      seasonRegression: fc.constantFrom({ fraction: 0.25 }, { fraction: 1 / 3, mean: 1505 }),
      explicitResults: fc.constantFrom('count' as const, 'skip' as const),
      matchWeights: fc.constant({ cup: 1.5 }),
      diffMultipliers: fc.constant({ cup: 1.2 }),
    },
    { requiredKeys: [] },
  ),
  batchSize: fc.integer({ min: 1, max: 6 }),
  weight: fc.constantFrom(null, 'cup'),
});

/** A case: matches, the order they arrive in, corrections and ratings jobs (some crashing) in between. */
const scenario = fc
  .integer({ min: 3, max: 6 })
  .chain((teams) =>
    fc.record({
      specs: fc.uniqueArray(matchSpec(teams), { minLength: 1, maxLength: 14, selector: (spec) => spec.sourceId }),
      settings: poolSettings,
      extra: fc.array(
        fc.record({
          at: fc.nat(),
          target: fc.nat(),
          kind: fc.constantFrom('correct', 'reschedule', 'withdraw', 'restore', 'rate', 'rate'),
          homeScore: fc.nat(4),
          awayScore: fc.nat(4),
          day: fc.nat(11),
          crashAtBatch: fc.option(fc.integer({ min: 1, max: 3 })),
        }),
        { maxLength: 10 },
      ),
      order: fc.nat(),
    }),
  )
  .chain(({ specs, settings, extra }) =>
    fc
      .shuffledSubarray(
        specs.map((_spec, index) => index),
        { minLength: specs.length, maxLength: specs.length },
      )
      .map((arrivals) => {
        const steps: Step[] = arrivals.map((match) => ({ kind: 'arrive', match }));
        for (const event of extra) {
          const match = event.target % specs.length;
          const step: Step =
            event.kind === 'rate'
              ? { kind: 'rate', crashAtBatch: event.crashAtBatch }
              : event.kind === 'correct'
                ? { kind: 'correct', match, homeScore: event.homeScore, awayScore: event.awayScore }
                : event.kind === 'reschedule'
                  ? { kind: 'reschedule', match, day: event.day }
                  : { kind: event.kind as 'withdraw' | 'restore', match };
          steps.splice(event.at % (steps.length + 1), 0, step);
        }
        return { specs, settings, steps };
      }),
  );

describe.each(testBackends(process.env))('incremental ratings on %s', (backend) => {
  let database: TestDatabase;
  let cases = 0;
  beforeAll(async () => {
    database = await createTestDatabase(backend, { serverUrl, label: 'ratings' });
  });
  afterAll(async () => {
    await database?.dispose();
  });

  const world = (specs: MatchSpec[], settings: Partial<PoolSettings> = {}) =>
    new World(database.db, `${backend}${++cases}`, specs, { params: {}, batchSize: 3, weight: null, ...settings });
  const spec = (sourceId: string, home: number, away: number, day: number, score: [number, number]): MatchSpec => ({
    sourceId,
    home,
    away,
    day,
    hour: 12,
    homeScore: score[0],
    awayScore: score[1],
    walkover: null,
    status: 'finished',
    season: seasonFor(day),
  });
  const season = [
    spec('a1', 0, 1, 0, [2, 0]),
    spec('a2', 2, 3, 0, [1, 1]),
    spec('a3', 1, 2, 1, [0, 3]),
    spec('a4', 3, 0, 2, [2, 2]),
    spec('a5', 0, 2, 3, [1, 0]),
    spec('a6', 1, 3, 7, [4, 1]),
    spec('a7', 2, 0, 8, [0, 1]),
    spec('a8', 3, 1, 9, [1, 2]),
  ];

  it('replays from a late result only, from stored state, and ends where a full recompute does', async () => {
    const w = world(season, { params: { seasonRegression: { fraction: 0.25 }, k: { a: 250, b: 5, c: 0.4 } } });
    for (const index of [0, 1, 2, 4, 5, 6, 7]) await w.apply({ kind: 'arrive', match: index });
    const first = await ratePool({ db: database.db, config: w.config() }, { pool: w.pool });
    expect(first).toMatchObject({ matches: 7, batches: 3, replayed: 0 });
    // a4 (day 2) arrives late: only the matches after it are replayed, not the whole pool.
    await w.apply({ kind: 'arrive', match: 3 });
    const late = await ratePool({ db: database.db, config: w.config() }, { pool: w.pool });
    expect(late).toMatchObject({ replayed: 4, matches: 5 });
    await expectConverged(database.db, w);
  });

  it('handles a correction, a reschedule to a later day and a withdrawal', async () => {
    const w = world(season, { params: { mov: { kind: 'goal-difference' }, homeAdvantage: 65 } });
    for (const index of season.keys()) await w.apply({ kind: 'arrive', match: index });
    await ratePool({ db: database.db, config: w.config() }, { pool: w.pool });
    await w.apply({ kind: 'correct', match: 1, homeScore: 3, awayScore: 1 });
    await w.apply({ kind: 'reschedule', match: 0, day: 10 });
    await w.apply({ kind: 'withdraw', match: 4 });
    await expectConverged(database.db, w);
  });

  it('resumes after a crash mid-batch from the last committed checkpoint', async () => {
    const w = world(season, { batchSize: 2 });
    for (const index of season.keys()) await w.apply({ kind: 'arrive', match: index });
    await runRatings(database.db, w, 3);
    const [checkpoint] = await database.db
      .select()
      .from((await import('@matchflow/db')).ops.checkpoints)
      .where(sql`name = ${`ratings:${w.pool}`}`);
    // Batches 1 and 2 committed (4 matches); batch 3 rolled back with its checkpoint.
    expect((await storedRatings(database.db, w.pool)).rows).toHaveLength(4);
    expect(checkpoint?.value).toMatchObject({ matchId: w.matchId(3) });
    await expectConverged(database.db, w);
  });

  it('lets two jobs of one pool run at once without clashing', async () => {
    const w = world(season, { batchSize: 1 });
    for (const index of season.keys()) await w.apply({ kind: 'arrive', match: index });
    await Promise.all([
      ratePool({ db: database.db, config: w.config() }, { pool: w.pool }),
      ratePool({ db: database.db, config: w.config() }, { pool: w.pool }),
    ]);
    await expectConverged(database.db, w);
  });

  it('reads the state afresh each batch: another job may have re-rated to the same checkpoint meanwhile', async () => {
    const w = world(season, { batchSize: 2 });
    for (const index of season.keys()) await w.apply({ kind: 'arrive', match: index });
    const afterFirstBatch = async (batch: number) => {
      if (batch !== 1) return;
      // Between this job's batches: a correction before its checkpoint, and another job that
      // rewinds, re-rates up to exactly the same checkpoint, then dies.
      await w.apply({ kind: 'correct', match: 0, homeScore: 0, awayScore: 4 });
      await runRatings(database.db, w, 2);
    };
    await ratePool({ db: database.db, config: w.config(), hooks: { afterCommit: afterFirstBatch } }, { pool: w.pool });
    await expectConverged(database.db, w);
  });

  it('re-rates the whole pool when its model changes', async () => {
    const w = world(season);
    for (const index of season.keys()) await w.apply({ kind: 'arrive', match: index });
    await ratePool({ db: database.db, config: w.config() }, { pool: w.pool });
    const changed = new World(database.db, w.label, season, { ...w.settings, params: { k: 40 } });
    for (const [index, entry] of w.current) changed.current.set(index, entry);
    const result = await ratePool({ db: database.db, config: changed.config() }, { pool: w.pool });
    expect(result).toMatchObject({ reset: 1, matches: season.length });
    await expectConverged(database.db, changed);
  });

  it('leaves core untouched and reads it consistently (ordering is byte-wise, not by collation)', async () => {
    const w = world([spec('b', 0, 1, 0, [1, 0]), spec('B', 1, 0, 0, [1, 0]), spec('a', 0, 1, 0, [0, 0])]);
    for (const index of [0, 1, 2]) await w.apply({ kind: 'arrive', match: index });
    await expectConverged(database.db, w);
    const ids = (await storedRatings(database.db, w.pool)).rows.map((row) => row.matchId);
    expect(ids).toEqual([w.matchId(1), w.matchId(2), w.matchId(0)]);
    expect(
      await database.db.select().from(core.matches).where(eq(core.matches.competitionId, w.competitionId)),
    ).toHaveLength(3);
  });
});

// The property, on one backend (both run the same SQL): PostgreSQL when there is one.
const propertyBackend = testBackends(process.env).at(-1) ?? 'pglite';
describe(`incremental ratings property on ${propertyBackend}`, () => {
  let database: TestDatabase;
  let cases = 0;
  beforeAll(async () => {
    database = await createTestDatabase(propertyBackend, { serverUrl, label: 'ratings_property' });
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it(`equals a full recompute exactly for ${PROPERTY_RUNS} random arrival orders, corrections and crashes`, async () => {
    // Four independent streams of cases at once (each case has its own pool): the database,
    // not the test, sets the pace.
    const runs = Number(process.env.RATINGS_PROPERTY_RUNS ?? PROPERTY_RUNS);
    const seed = Number(process.env.FC_SEED ?? 20261122);
    await Promise.all(
      [0, 1, 2, 3].map((stream) =>
        fc.assert(
          fc.asyncProperty(scenario, async ({ specs, settings, steps }) => {
            const w = new World(database.db, `prop${++cases}`, specs, settings);
            for (const step of steps) {
              if (step.kind === 'rate') await runRatings(database.db, w, step.crashAtBatch);
              else await w.apply(step);
            }
            await expectConverged(database.db, w);
          }),
          { numRuns: Math.ceil(runs / 4), seed: seed + stream },
        ),
      ),
    );
  }, 600_000);
});
