import { core, curated, type Db, ratings, raw } from '@matchflow/db';
import { createTestDatabase, type TestDatabase, testBackends } from '@matchflow/db/testing';
import {
  buildSeason,
  createRun,
  type Fetcher,
  ingestMatch,
  MatchOddsRow,
  PUBLISHED_TABLES,
  pollOdds,
  ratePool,
  rebuildCuratedOdds,
  type StageBudget,
  type StageEvent,
  type StageWorkContext,
  type StageWorkResult,
} from '@matchflow/pipeline';
import { newRunId } from '@matchflow/queues';
import {
  LATE_PHASE_SEC,
  MARKET_OPENS_BEFORE_SEC,
  type OddsMove,
  type OddsSeries,
  OVERROUND,
  oddsAt,
  oddsSeriesOf,
  type ReplayServer,
  type World,
} from '@matchflow/replay';
import { UpstreamUnavailable } from '@matchflow/sources';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplayPipeline, startReplayPipeline } from './support/replay-pipeline.js';

/*
 * The `odds` stage's work against the replay upstream (its `event/{id}/odds/1/all` endpoint) and
 * a real database. Core is seeded by ingesting a few not-yet-started Demo League matches (and a
 * tennis match, which has no market); then the replay's simulated clock and the work's
 * `context.now` move together, an hour at a time, from 8 days before the first kick-off to
 * after the last one, and `pollOdds` runs at every step as the hourly schedule would run it.
 * What was polled when is read from the replay's own accounting (per match id); what the
 * prices were at each poll from the replay's own series (`oddsSeriesOf`, `oddsAt`).
 */

const serverUrl = process.env.TEST_DATABASE_URL;
const HOUR_SEC = 3_600;
const DAY_SEC = 86_400;

/** Demo League 2025/26, round 21: Saturday 12:30, Saturday 15:00 (two), Sunday 16:30. */
const FOOTBALL: readonly number[] = [12001011, 12001013, 12001014, 12001012];
/** A Demo Open match on the Saturday morning: tennis has no odds market. */
const TENNIS = 12001278;
/** Postponed two days before its 14 March kick-off: that date never gets a market (404). */
const POSTPONED = 12001096;

const LEAGUE = { source: 'sofascore', competitionId: 'demo-league', competition: '1001', season: '50003' };
const OPEN = { source: 'sofascore', competitionId: 'demo-open', competition: '1003', season: '50023' };

const ceilHour = (sec: number) => Math.ceil(sec / HOUR_SEC) * HOUR_SEC;
const iso = (sec: number) => new Date(sec * 1000).toISOString();

/**
 * When the hourly schedule should poll a match with this kick-off (Unix seconds, runs on the
 * hour): from the first run after the market opens once a day while kick-off is more than a day
 * away, every hour in the last day, and once at or after kick-off (the closing line).
 */
function expectedPolls(kickoff: number): number[] {
  const times: number[] = [];
  for (let at = ceilHour(kickoff - MARKET_OPENS_BEFORE_SEC); at < kickoff - LATE_PHASE_SEC; at += DAY_SEC)
    times.push(at);
  for (let at = ceilHour(kickoff - LATE_PHASE_SEC); at < kickoff; at += HOUR_SEC) times.push(at);
  times.push(ceilHour(kickoff));
  return times;
}

/** Implied probabilities with the overround removed, the overround, and the market's expected home score. */
function implied(prices: OddsMove['decimal']) {
  const home = 1 / prices.home;
  const draw = 1 / prices.draw;
  const away = 1 / prices.away;
  const book = home + draw + away;
  const p = { home: home / book, draw: draw / book, away: away / book };
  return { ...p, overround: book - 1, expectedHome: p.home + p.draw / 2 };
}

const sameQuote = (a: OddsMove, b: OddsMove) =>
  a.fractional.home === b.fractional.home &&
  a.fractional.draw === b.fractional.draw &&
  a.fractional.away === b.fractional.away;

let pipeline: ReplayPipeline;
let replay: ReplayServer;
let world: World;

beforeAll(async () => {
  pipeline = await startReplayPipeline('poll-odds', {
    ratingPools: { football: {}, tennis: { homeAdvantage: 0 } },
    competitions: [
      { id: 'demo-league', source: 'sofascore', competition: 1001, seasons: [50003], ratingPool: 'football' },
      { id: 'demo-open', source: 'sofascore', competition: 1003, seasons: [50023], ratingPool: 'tennis' },
    ],
  });
  replay = pipeline.replay;
  world = replay.world as World;
});
afterAll(async () => {
  await pipeline?.close();
});

const kickoffOf = (match: number) => world.matches.get(match)?.startTimestamp as number;
const seriesOf = (match: number) => oddsSeriesOf(world, match) as OddsSeries;
const matchId = (match: number) => `sofascore.match.${match}`;
/** Eight days before the first kick-off, on the hour. */
const start = () => Math.floor((Math.min(...FOOTBALL.map(kickoffOf)) - 8 * DAY_SEC) / HOUR_SEC) * HOUR_SEC;
/** Mid-afternoon two days before the Saturday matches: all four are due on a first run. */
const DUE_AT = Date.parse('2026-01-16T16:00:00Z') / 1000;

/** Odds polls the replay served since its accounting was last reset: match id -> status -> count. */
function servedPolls(): Record<string, Record<string, number>> {
  return replay.accounting.snapshot().byKey['event.odds'] ?? {};
}
const pollsOf = (served: Record<string, Record<string, number>>, match: number) =>
  Object.values(served[String(match)] ?? {}).reduce((sum, n) => sum + n, 0);

interface RunOptions {
  budget?: Partial<StageBudget>;
  dryRun?: boolean;
  db?: Db;
  fetcher?: Fetcher;
}

describe.each(testBackends(process.env))('odds stage on %s', (backend) => {
  let database: TestDatabase;
  /** The simulated now: the replay's clock and the work's `context.now` move together. */
  let nowSec = 0;
  const setNow = (sec: number) => {
    nowSec = sec;
    replay.clock.set(sec);
  };
  const deps = () => ({ db: database.db, fetcher: pipeline.client, config: pipeline.config, logger: pipeline.logger });
  const ingest = (scope: typeof LEAGUE, match: number) =>
    ingestMatch(deps(), { ...scope, runId: newRunId(), match: String(match), trigger: 'cli' });

  beforeAll(async () => {
    database = await createTestDatabase(backend, { serverUrl, label: 'poll_odds' });
    setNow(start());
    for (const match of FOOTBALL) await ingest(LEAGUE, match);
    await ingest(OPEN, TENNIS);
  });
  afterAll(async () => {
    await database?.dispose();
  });

  /** Call the work as the runner would, at the simulated now; events are collected. */
  async function run(options: RunOptions = {}): Promise<{ result: StageWorkResult; events: StageEvent[] }> {
    const runId = newRunId();
    await createRun(database.db, {
      runId,
      trigger: 'schedule',
      scope: { stage: 'odds', queue: 'odds', scope: 'all' },
      env: 'dev',
    });
    const events: StageEvent[] = [];
    const context: StageWorkContext = {
      db: options.db ?? database.db,
      config: pipeline.config,
      logger: pipeline.logger,
      runId,
      trigger: 'schedule',
      scope: 'all',
      budget: { batchSize: 50, maxItems: 2_000, maxRuntimeMs: 15 * 60_000, ...options.budget },
      dryRun: options.dryRun ?? false,
      fetcher: (source) => (source === 'sofascore' ? (options.fetcher ?? pipeline.client) : undefined),
      emit: (event) => events.push(event),
      now: () => new Date(nowSec * 1000),
    };
    return { result: await pollOdds(context), events };
  }

  /** Back to no odds at all: no poll state, snapshots, curated rows or raw odds payloads. */
  async function reset(): Promise<void> {
    const db = database.db;
    await db.delete(core.oddsSnapshots);
    await db.delete(core.oddsPolls);
    await db.delete(curated.matchOdds);
    await db.delete(raw.payloads).where(eq(raw.payloads.endpoint, 'event.odds'));
    replay.accounting.reset();
  }

  /** What the stage leaves behind, as text: equal dumps, equal state. */
  async function endState(): Promise<string> {
    const db = database.db;
    return JSON.stringify({
      polls: await db.select().from(core.oddsPolls).orderBy(asc(core.oddsPolls.matchId)),
      snapshots: await db
        .select()
        .from(core.oddsSnapshots)
        .orderBy(asc(core.oddsSnapshots.matchId), asc(core.oddsSnapshots.observedAt)),
      payloads: await db
        .select({ key: raw.payloads.key, sha256: raw.payloads.sha256, quarantined: raw.payloads.quarantined })
        .from(raw.payloads)
        .where(eq(raw.payloads.endpoint, 'event.odds'))
        .orderBy(asc(raw.payloads.key), asc(raw.payloads.sha256)),
    });
  }

  it('skips a match whose market is not open (404): recorded as polled without market, due again a day later', async () => {
    await reset();
    // 6 days before its original date, before its postponement is known: notstarted in core,
    // but the upstream never prices that date.
    const at = kickoffOf(POSTPONED) - 6 * DAY_SEC + HOUR_SEC;
    setNow(at);
    await ingest(LEAGUE, POSTPONED);
    const { result } = await run();
    expect(result).toMatchObject({ scanned: 1, processed: 0, skipped: 1, failed: 0, complete: true });
    expect(result.counters).toMatchObject({ noMarket: 1, snapshotsWritten: 0, newPayloads: 0 });
    expect(servedPolls()).toEqual({ [String(POSTPONED)]: { '404': 1 } });
    const [poll] = await database.db.select().from(core.oddsPolls);
    expect(poll).toMatchObject({
      matchId: matchId(POSTPONED),
      polls: 1,
      lastOutcome: 'no-market',
      lastSha256: null,
      closed: false,
    });
    expect(await database.db.select().from(core.oddsSnapshots)).toEqual([]);
    // Not again the next hour (kick-off is days away), but the next day.
    setNow(at + HOUR_SEC);
    expect((await run()).result.scanned).toBe(0);
    setNow(at + DAY_SEC);
    expect((await run()).result).toMatchObject({ scanned: 1, skipped: 1 });
    expect(pollsOf(servedPolls(), POSTPONED)).toBe(2);
  });

  it('dry run: counts the matches due, fetches and writes nothing', async () => {
    await reset();
    setNow(DUE_AT);
    const before = await endState();
    const limited = await run({ dryRun: true, budget: { batchSize: 2, maxItems: 3 } });
    expect(limited.result).toMatchObject({ scanned: 3, processed: 3, complete: false });
    const whole = await run({ dryRun: true });
    expect(whole.result).toMatchObject({ scanned: 4, processed: 4, complete: true });
    expect(whole.result.counters).toMatchObject({ candidates: 4 });
    expect(replay.accounting.snapshot().requests).toBe(0);
    expect(await endState()).toEqual(before);
  });

  it('keeps to maxItems, nearest kick-off first; the next run polls the rest, then nothing is due', async () => {
    await reset();
    setNow(DUE_AT);
    const first = await run({ budget: { batchSize: 2, maxItems: 3 } });
    expect(first.result).toMatchObject({ scanned: 3, processed: 3, complete: false });
    expect(first.events.filter((event) => event.type === 'batch').map((event) => event.size)).toEqual([2, 1]);
    expect(first.events.at(-1)).toEqual({ type: 'budget-exhausted', reason: 'maxItems' });
    // Saturday 12:30, then the two 15:00 matches by id; Sunday's waits.
    expect(Object.keys(servedPolls()).sort()).toEqual(['12001011', '12001013', '12001014']);
    const second = await run({ budget: { batchSize: 2, maxItems: 3 } });
    expect(second.result).toMatchObject({ scanned: 1, complete: true });
    expect(pollsOf(servedPolls(), 12001012)).toBe(1);
    expect((await run()).result).toMatchObject({ scanned: 0, complete: true });
    expect(replay.accounting.snapshot().byEndpoint['event.odds']).toEqual({ '200': 4 });
  });

  it('resumes after a crash mid-batch: the same end state as a clean run, only that batch polled twice', async () => {
    await reset();
    setNow(DUE_AT);
    await run({ budget: { batchSize: 1 } });
    const clean = await endState();

    await reset();
    // The process dies in the middle of batch 2's transaction: its writes are rolled back.
    let transactions = 0;
    const crashing = new Proxy(database.db, {
      get(target, property, receiver) {
        if (property === 'transaction')
          return async (work: (tx: unknown) => Promise<unknown>) => {
            transactions += 1;
            const crashNow = transactions === 2;
            return target.transaction(async (tx) => {
              await work(tx);
              if (crashNow) throw new Error('crash: the process died before the batch committed');
            });
          };
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Db;
    await expect(run({ db: crashing, budget: { batchSize: 1 } })).rejects.toThrow(/crash/);
    expect(await database.db.select({ id: core.oddsPolls.matchId }).from(core.oddsPolls)).toEqual([
      { id: matchId(12001011) },
    ]);
    // No checkpoint: the matches not committed are simply still due.
    const resumed = await run({ budget: { batchSize: 1 } });
    expect(resumed.result).toMatchObject({ scanned: 3, complete: true });
    expect(await endState()).toEqual(clean);
    const served = servedPolls();
    expect(FOOTBALL.map((match) => pollsOf(served, match))).toEqual([1, 2, 1, 1]);
  });

  it('stops at an upstream error after committing the rest of the batch; the next run polls only that match', async () => {
    await reset();
    setNow(DUE_AT);
    let failedOnce = false;
    const flaky: Fetcher = {
      name: 'sofascore',
      fetch: async (endpoint, path, options) => {
        if (!failedOnce && path.includes('/12001014/')) {
          failedOnce = true;
          throw new UpstreamUnavailable({ source: 'sofascore', endpoint, url: path }, 'connection reset');
        }
        return pipeline.client.fetch(endpoint, path, options);
      },
    };
    await expect(run({ fetcher: flaky })).rejects.toBeInstanceOf(UpstreamUnavailable);
    const polled = await database.db.select({ id: core.oddsPolls.matchId }).from(core.oddsPolls);
    expect(polled.map((row) => row.id).sort()).toEqual([12001011, 12001012, 12001013].map(matchId));
    const retried = await run({ fetcher: flaky });
    expect(retried.result).toMatchObject({ scanned: 1, processed: 1, complete: true });
    expect(FOOTBALL.map((match) => pollsOf(servedPolls(), match))).toEqual([1, 1, 1, 1]);
  });

  it('quarantines a body that breaks its contract, and goes on with the others', async () => {
    await reset();
    setNow(DUE_AT);
    const breaking: Fetcher = {
      name: 'sofascore',
      fetch: async (endpoint, path, options) => {
        const payload = await pipeline.client.fetch(endpoint, path, options);
        if (!path.includes('/12001013/')) return payload;
        const body = structuredClone(payload.body) as { markets: Array<{ choices: Array<Record<string, unknown>> }> };
        (body.markets[0]?.choices[1] as Record<string, unknown>).fractionalValue = 'evens';
        return { ...payload, body, text: JSON.stringify(body) };
      },
    };
    const { result, events } = await run({ fetcher: breaking });
    expect(result).toMatchObject({ scanned: 4, processed: 3, failed: 1, complete: true });
    expect(events.find((event) => event.type === 'batch')).toMatchObject({ quarantined: 1 });
    const [kept] = await database.db
      .select()
      .from(raw.payloads)
      .where(and(eq(raw.payloads.endpoint, 'event.odds'), eq(raw.payloads.key, '12001013')));
    expect(kept).toMatchObject({ quarantined: true });
    expect(kept?.contractError).toMatch(/markets\[0\]\.choices\[1\]\.fractionalValue/);
    const [poll] = await database.db
      .select()
      .from(core.oddsPolls)
      .where(eq(core.oddsPolls.matchId, matchId(12001013)));
    expect(poll).toMatchObject({ lastOutcome: 'quarantined', lastSha256: kept?.sha256, polls: 1 });
    const snapshotted = await database.db.selectDistinct({ id: core.oddsSnapshots.matchId }).from(core.oddsSnapshots);
    expect(snapshotted.map((row) => row.id).sort()).toEqual([12001011, 12001012, 12001014].map(matchId));
  });

  it('polls on the cadence, keeps each price change once, and builds the closing-line table from it', async () => {
    await reset();
    const kickoffs = new Map(FOOTBALL.map((match) => [match, kickoffOf(match)]));
    const last = Math.max(...kickoffs.values());
    const polledAt = new Map<number, number[]>(FOOTBALL.map((match) => [match, []]));
    let seen: Record<string, Record<string, number>> = {};
    // Every hour, as the `10 * * * *` schedule would (on the hour here), with the upstream's clock.
    for (let at = start(); at <= ceilHour(last) + HOUR_SEC; at += HOUR_SEC) {
      setNow(at);
      const { result } = await run();
      expect(result).toMatchObject({ failed: 0, skipped: 0, complete: true });
      const served = servedPolls();
      for (const match of FOOTBALL) {
        const added = pollsOf(served, match) - pollsOf(seen, match);
        expect(added, `${match} at ${iso(at)}`).toBeLessThanOrEqual(1);
        if (added === 1) polledAt.get(match)?.push(at);
      }
      seen = served;
    }

    // Cadence: exactly the expected times, every answer a 200, and never the tennis match.
    expect(Object.keys(seen).sort()).toEqual(FOOTBALL.map(String).sort());
    for (const match of FOOTBALL) {
      const expected = expectedPolls(kickoffs.get(match) as number);
      expect((polledAt.get(match) ?? []).map(iso), String(match)).toEqual(expected.map(iso));
      // 6 daily polls, 24 hourly ones, one closing poll.
      expect(expected).toHaveLength(31);
      expect(seen[String(match)]).toEqual({ '200': expected.length });
      const [poll] = await database.db
        .select()
        .from(core.oddsPolls)
        .where(eq(core.oddsPolls.matchId, matchId(match)));
      expect(poll).toMatchObject({
        polls: expected.length,
        lastOutcome: 'prices',
        closed: true,
        firstPolledAt: new Date((expected[0] as number) * 1000),
        lastPolledAt: new Date((expected.at(-1) as number) * 1000),
      });
    }

    // Dedup: a snapshot per change of price between polls, a raw payload per distinct body.
    for (const match of FOOTBALL) {
      const series = seriesOf(match);
      const times = expectedPolls(kickoffs.get(match) as number);
      const states = times.map((at) => oddsAt(series, at)?.current as OddsMove);
      const expected: Array<{ observedAt: number; lastSeenAt: number; move: OddsMove }> = [];
      states.forEach((move, index) => {
        const previous = expected.at(-1);
        if (previous && sameQuote(previous.move, move)) previous.lastSeenAt = times[index] as number;
        else expected.push({ observedAt: times[index] as number, lastSeenAt: times[index] as number, move });
      });
      const stored = await database.db
        .select()
        .from(core.oddsSnapshots)
        .where(eq(core.oddsSnapshots.matchId, matchId(match)))
        .orderBy(asc(core.oddsSnapshots.observedAt));
      expect(stored.length).toBeLessThan(times.length);
      expect(
        stored.map((row) => ({
          observedAt: row.observedAt.toISOString(),
          lastSeenAt: row.lastSeenAt.toISOString(),
          quote: [row.homeFractional, row.drawFractional, row.awayFractional],
          decimal: [row.homeDecimal, row.drawDecimal, row.awayDecimal],
          opening: [row.openingHomeFractional, row.openingDrawFractional, row.openingAwayFractional],
        })),
        String(match),
      ).toEqual(
        expected.map(({ observedAt, lastSeenAt, move }) => ({
          observedAt: iso(observedAt),
          lastSeenAt: iso(lastSeenAt),
          quote: [move.fractional.home, move.fractional.draw, move.fractional.away],
          decimal: [move.decimal.home, move.decimal.draw, move.decimal.away],
          opening: [
            series.moves[0]?.fractional.home,
            series.moves[0]?.fractional.draw,
            series.moves[0]?.fractional.away,
          ],
        })),
      );
      const payloads = await database.db
        .select({ sha256: raw.payloads.sha256, quarantined: raw.payloads.quarantined })
        .from(raw.payloads)
        .where(and(eq(raw.payloads.endpoint, 'event.odds'), eq(raw.payloads.key, String(match))));
      // The body is the prices now and which way each last moved: a price back where it was,
      // moved the same way as then, is the same body and is not stored again.
      const bodies = times.map((at) => {
        const state = oddsAt(series, at);
        const previous = state?.previous ?? state?.current;
        const change = (['home', 'draw', 'away'] as const).map((outcome) =>
          Math.sign((state?.current.decimal[outcome] ?? 0) - (previous?.decimal[outcome] ?? 0)),
        );
        return JSON.stringify([state?.current.fractional, change]);
      });
      expect(payloads).toHaveLength(new Set(bodies).size);
      expect(payloads.every((payload) => !payload.quarantined)).toBe(true);
      const shas = new Set(payloads.map((payload) => payload.sha256));
      for (const row of stored) expect(shas.has(row.rawSha256)).toBe(true);
    }
    // Nothing written for a match before it finished.
    expect(await database.db.select().from(curated.matchOdds)).toEqual([]);

    // After the matches: ingested again as finished; the next run adds their closing-line rows.
    setNow(last + 4 * HOUR_SEC);
    for (const match of FOOTBALL) expect((await ingest(LEAGUE, match)).status).toBe('finished');
    replay.accounting.reset();
    const after = await run();
    expect(after.result).toMatchObject({ scanned: 0, complete: true });
    expect(after.result.counters.curatedWritten).toBe(FOOTBALL.length);
    expect(replay.accounting.snapshot().requests).toBe(0);
    // The Elo column comes with the ratings and the season's build.
    expect((await database.db.select().from(curated.matchOdds)).every((row) => row.eloExpectedHome === null)).toBe(
      true,
    );
    await ratePool({ db: database.db, config: pipeline.config }, { pool: 'football' });
    const built = await buildSeason({ db: database.db, config: pipeline.config }, LEAGUE);
    expect(built.odds).toBe(FOOTBALL.length);

    const rows = await database.db.select().from(curated.matchOdds).orderBy(asc(curated.matchOdds.matchId));
    expect(rows.map((row) => row.matchId)).toEqual(FOOTBALL.map(matchId).sort());
    for (const row of rows) {
      const match = Number(row.matchId.slice('sofascore.match.'.length));
      const series = seriesOf(match);
      const opening = series.moves[0] as OddsMove;
      const closing = series.moves.at(-1) as OddsMove;
      expect(closing.at).toBeLessThan(kickoffs.get(match) as number);
      const open = implied(opening.decimal);
      const close = implied(closing.decimal);
      const [played] = await database.db.select().from(core.matches).where(eq(core.matches.id, row.matchId));
      const homeGoals = played?.homeScoreRegular ?? played?.homeScore;
      const awayGoals = played?.awayScoreRegular ?? played?.awayScore;
      const result = (homeGoals as number) > (awayGoals as number) ? 'home' : homeGoals === awayGoals ? 'draw' : 'away';
      const actual = result === 'home' ? 1 : result === 'draw' ? 0.5 : 0;
      const [elo] = await database.db
        .select()
        .from(ratings.matchRatings)
        .where(and(eq(ratings.matchRatings.matchId, row.matchId), eq(ratings.matchRatings.poolId, 'football')));
      const snapshots = await database.db
        .select({ at: core.oddsSnapshots.observedAt })
        .from(core.oddsSnapshots)
        .where(eq(core.oddsSnapshots.matchId, row.matchId));
      expect(row, String(match)).toMatchObject({
        competitionId: 'demo-league',
        seasonId: 'demo-league.50003',
        startTime: new Date((kickoffs.get(match) as number) * 1000),
        homeGoals,
        awayGoals,
        result,
        actualHome: actual,
        openingHome: opening.decimal.home,
        openingDraw: opening.decimal.draw,
        openingAway: opening.decimal.away,
        closingHome: closing.decimal.home,
        closingDraw: closing.decimal.draw,
        closingAway: closing.decimal.away,
        // The first poll came before the market first moved: every change after it was seen.
        snapshots: snapshots.length,
        priceChanges: snapshots.length - 1,
        closingConfirmed: true,
        poolId: 'football',
      });
      const close12 = (value: number | null, expected: number) => expect(value).toBeCloseTo(expected, 12);
      close12(row.openingProbHome, open.home);
      close12(row.openingProbDraw, open.draw);
      close12(row.openingProbAway, open.away);
      close12(row.closingProbHome, close.home);
      close12(row.closingProbDraw, close.draw);
      close12(row.closingProbAway, close.away);
      close12(row.openingProbHome + row.openingProbDraw + row.openingProbAway, 1);
      close12(row.closingProbHome + row.closingProbDraw + row.closingProbAway, 1);
      close12(row.openingOverround, open.overround);
      close12(row.closingOverround, close.overround);
      expect(row.closingOverround).toBeGreaterThanOrEqual(OVERROUND.min - 1e-12);
      expect(row.closingOverround).toBeLessThanOrEqual(OVERROUND.max + 1e-12);
      close12(row.moveHome, close.home - open.home);
      close12(row.moveDraw, close.draw - open.draw);
      close12(row.moveAway, close.away - open.away);
      close12(row.marketExpectedHome, close.expectedHome);
      close12(row.marketError, (close.expectedHome - actual) ** 2);
      // The Elo expected score is the ratings' own, for this match.
      expect(elo).toBeDefined();
      expect(row.eloExpectedHome).toBe(elo?.expectedHome);
      close12(row.eloError as number, ((elo?.expectedHome as number) - actual) ** 2);
    }

    // Incremental equals a full rebuild: nothing to change, and the same rows from scratch.
    expect(await rebuildCuratedOdds(database.db)).toMatchObject({ written: 0, removed: 0 });
    expect(await database.db.select().from(curated.matchOdds).orderBy(asc(curated.matchOdds.matchId))).toEqual(rows);
    await database.db.delete(curated.matchOdds);
    expect(await rebuildCuratedOdds(database.db)).toMatchObject({ written: FOOTBALL.length, removed: 0 });
    expect(await database.db.select().from(curated.matchOdds).orderBy(asc(curated.matchOdds.matchId))).toEqual(rows);

    // Published: every row of the built season, columns in order, values as stored.
    const table = PUBLISHED_TABLES.find((candidate) => candidate.name === 'match_odds');
    if (!table) throw new Error('no published match_odds table');
    const answer: unknown = await database.db.execute(table.query);
    const published = (Array.isArray(answer) ? answer : (answer as { rows: unknown[] }).rows) as Record<
      string,
      unknown
    >[];
    for (const row of published) MatchOddsRow.parse(row);
    expect(Object.keys(published[0] ?? {})).toEqual(table.columns);
    expect(published.map((row) => row.match_id)).toEqual(
      [...rows]
        .sort((a, b) => a.startTime.getTime() - b.startTime.getTime() || (a.matchId < b.matchId ? -1 : 1))
        .map((row) => row.matchId),
    );
    const first = published[0] as Record<string, unknown>;
    const stored = rows.find((row) => row.matchId === first.match_id);
    expect(first).toMatchObject({
      start_time: stored?.startTime.toISOString(),
      closing_prob_home: stored?.closingProbHome,
      elo_expected_home: stored?.eloExpectedHome,
    });
  });
});
