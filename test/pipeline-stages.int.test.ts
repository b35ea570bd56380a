import { type Config, QUALITY_CHECKS } from '@matchflow/config';
import { core, curated, type Db, ops, ratings } from '@matchflow/db';
import { createTestDatabase, type TestDatabase, testBackends } from '@matchflow/db/testing';
import {
  buildSeason,
  closeRun,
  computeStandings,
  createRun,
  discoverSeason,
  ingestMatch,
  ratePool,
  runningRunFor,
  runQualityChecks,
  scopeKey,
  stageFinished,
  stageStarted,
  storePayload,
} from '@matchflow/pipeline';
import { newRunId } from '@matchflow/queues';
import type { AccountingSnapshot, ReplayServer } from '@matchflow/replay';
import type { SourceClient } from '@matchflow/sources';
import type { Logger } from '@matchflow/telemetry';
import { and, asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplayPipeline, startReplayPipeline } from './support/replay-pipeline.js';
import { eachLimited } from './support/run-stages.js';

/*
 * The stages chained by hand (the fleet chains them through queues): discover a season,
 * ingest what it found, rate the pool, build the standings, record the run.
 */

const serverUrl = process.env.TEST_DATABASE_URL;
let pipeline: ReplayPipeline;
let replay: ReplayServer;
let client: SourceClient;
let config: Config;
let logger: Logger;

beforeAll(async () => {
  pipeline = await startReplayPipeline('pipeline-stages', {
    ratingPools: { football: {} },
    competitions: [
      {
        id: 'demo-league',
        source: 'sofascore',
        competition: 1001,
        seasons: [50001, 50003],
        ratingPool: 'football',
        // Ulnor Rovers lose six points in 50001 (the simulation knows nothing of it).
        standings: { adjustments: [{ team: 3013, season: 50001, points: -6, reason: 'test' }] },
      },
    ],
  });
  ({ replay, client, config, logger } = pipeline);
});
afterAll(async () => {
  await pipeline?.close();
});

async function accounting(): Promise<AccountingSnapshot> {
  return (await (await fetch(`${replay.url}/_control/accounting`)).json()) as AccountingSnapshot;
}

/** Standings straight from the simulation: every played match, corrections applied as of now. */
function standingsFromSimulation(seasonId: number) {
  const season = replay.world?.competitions[0]?.seasons.find((candidate) => candidate.id === seasonId);
  const now = replay.clock.now();
  const finished = (season?.matches ?? []).filter(
    (match) =>
      match.fate !== 'canceled' && match.football && (match.reschedule?.to ?? match.startTimestamp) + 4 * 3_600 < now,
  );
  return computeStandings(
    finished.map((match) => {
      const struck = match.correction && now >= match.correction.at ? match.correction.goalId : undefined;
      const goals = { home: 0, away: 0 };
      for (const goal of match.football?.goals ?? []) if (goal.id !== struck) goals[goal.side] += 1;
      return {
        id: `sofascore.match.${match.id}`,
        homeId: `sofascore.team.${match.home.id}`,
        awayId: `sofascore.team.${match.away.id}`,
        status: 'finished',
        homeScore: goals.home,
        awayScore: goals.away,
        startTime: new Date((match.reschedule?.to ?? match.startTimestamp) * 1000),
      };
    }),
    { adjustments: seasonId === 50001 ? { 'sofascore.team.3013': -6 } : {} },
  );
}

async function runSeason(
  database: TestDatabase,
  season: string,
  mode: 'full' | 'changed',
  /** Ingest only the discovered matches this keeps (default: all of them). */
  pick: (matchId: string) => boolean = () => true,
) {
  const runId = newRunId();
  const scope = { source: 'sofascore', competitionId: 'demo-league', competition: '1001', season };
  const deps = { db: database.db, fetcher: client, config, logger };
  await createRun(database.db, { runId, trigger: 'cli', scope, env: 'dev' });
  await stageStarted(database.db, runId, 'discover', scopeKey(scope), 1);
  const discovered = await discoverSeason(deps, { ...scope, runId, mode, trigger: 'cli' });
  await stageFinished(database.db, runId, 'discover', scopeKey(scope), {
    status: 'ok',
    counters: { scanned: discovered.scanned, selected: discovered.matches.length },
  });
  await eachLimited(discovered.matches.filter(pick), 8, (match) =>
    ingestMatch(deps, { ...scope, runId, match, trigger: 'cli' }),
  );
  const rated = await ratePool({ db: database.db, config }, { runId, pool: 'football' });
  const built = await buildSeason({ db: database.db, config }, { competitionId: 'demo-league', season, runId });
  await closeRun(database.db, runId, { status: 'ok', counters: { matches: discovered.matches.length } });
  return { runId, discovered, rated, built };
}

describe.each(testBackends(process.env))('stages end to end on %s', (backend) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(backend, { serverUrl, label: 'stages' });
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it('ingests a whole season and writes the standings the simulation implies', async () => {
    const { runId, discovered, rated, built } = await runSeason(database, '50001', 'full');
    expect(discovered.scanned).toBe(380);
    expect(discovered.matches).toHaveLength(380);
    expect(built.standings).toBe(20);
    // One match of each season is cancelled: 379 results to rate.
    expect(rated.matches).toBe(379);

    const table = await database.db
      .select()
      .from(curated.standings)
      .where(eq(curated.standings.seasonId, 'demo-league.50001'))
      .orderBy(asc(curated.standings.position));
    const expected = standingsFromSimulation(50001);
    expect(table.map(({ competitionId: _c, seasonId: _s, ...row }) => row)).toEqual(expected);
    expect(table.reduce((sum, row) => sum + row.played, 0)).toBe(2 * 379);
    expect(table.find((row) => row.participantId === 'sofascore.team.3013')).toMatchObject({
      adjustment: -6,
      form: expect.stringMatching(/^[WDL]{5}$/),
    });

    const [run] = await database.db.select().from(ops.pipelineRuns).where(eq(ops.pipelineRuns.runId, runId));
    expect(run).toMatchObject({ status: 'ok', finishedAt: expect.any(Date) });
    const [stage] = await database.db.select().from(ops.stageRuns).where(eq(ops.stageRuns.runId, runId));
    expect(stage).toMatchObject({ stage: 'discover', status: 'ok', counters: { scanned: 380, selected: 380 } });
    expect(await runningRunFor(database.db, { competitionId: 'demo-league', season: '50001' })).toBeUndefined();
    expect(await database.db.select().from(ratings.dirtyMarkers)).toEqual([]);

    // The build scores the pool's forecasts: better than a coin (0.25) on a simulated league.
    const [calibration] = await database.db.select().from(curated.ratingCalibration);
    expect(calibration).toMatchObject({ poolId: 'football', matches: 379 });
    expect(calibration?.brier).toBeGreaterThan(0.1);
    expect(calibration?.brier).toBeLessThan(0.25);
    expect(calibration?.logLoss).toBeLessThan(Math.log(2));
  }, 120_000);

  it('builds the curated tables of that season: match summaries, appearances, the leaderboard', async () => {
    // Match summaries: every match, with names, and the pre-match ratings once rated.
    const summaries = await database.db
      .select()
      .from(curated.matchSummary)
      .where(eq(curated.matchSummary.seasonId, 'demo-league.50001'));
    expect(summaries).toHaveLength(380);
    expect(summaries.filter((summary) => summary.expectedHome !== null)).toHaveLength(379);
    const stored = new Map(
      (await database.db.select().from(ratings.matchRatings)).map((rating) => [rating.matchId, rating]),
    );
    for (const summary of summaries) {
      expect(summary.homeName).toMatch(/\S/);
      expect(summary.homeRatingPre).toBe(stored.get(summary.matchId)?.homePre ?? null);
    }

    // Player appearances agree with the simulation: goals (own goals and the struck goal of a
    // correction excluded), cards and starts per player.
    const players = await database.db
      .select()
      .from(curated.playerAppearances)
      .where(eq(curated.playerAppearances.seasonId, 'demo-league.50001'));
    const fromSimulation = {
      goals: new Map<string, number>(),
      reds: new Map<string, number>(),
      starts: new Map<string, number>(),
    };
    const add = (map: Map<string, number>, id: number) => {
      const key = `sofascore.player.${id}`;
      map.set(key, (map.get(key) ?? 0) + 1);
    };
    const now = replay.clock.now();
    for (const simulated of replay.world?.competitions[0]?.seasons.find((s) => s.id === 50001)?.matches ?? []) {
      if (simulated.fate === 'canceled' || !simulated.football) continue;
      const struck = simulated.correction && now >= simulated.correction.at ? simulated.correction.goalId : undefined;
      for (const goal of simulated.football.goals)
        if (goal.kind !== 'ownGoal' && goal.id !== struck) add(fromSimulation.goals, goal.scorerId);
      for (const card of simulated.football.cards)
        if (card.colour !== 'yellow') add(fromSimulation.reds, card.playerId);
      for (const side of ['home', 'away'] as const)
        for (const player of simulated.football.lineups[side].starters) add(fromSimulation.starts, player.id);
    }
    const actual = (pick: (row: (typeof players)[number]) => number) => {
      const totals = new Map<string, number>();
      for (const row of players)
        if (pick(row) > 0) totals.set(row.playerId, (totals.get(row.playerId) ?? 0) + pick(row));
      return totals;
    };
    expect(actual((row) => row.goals)).toEqual(fromSimulation.goals);
    expect(actual((row) => row.redCards)).toEqual(fromSimulation.reds);
    expect(actual((row) => row.starts)).toEqual(fromSimulation.starts);
    expect(players.every((row) => row.playerName.length > 0 && row.minutes >= 0)).toBe(true);

    // The leaderboard ranks the current ratings; the 30-day change is the sum of the rating
    // moves in the 30 days up to the last rated match (no season regression in this pool).
    const board = await database.db
      .select()
      .from(curated.ratingLeaderboard)
      .orderBy(asc(curated.ratingLeaderboard.rank));
    const current = await database.db.select().from(ratings.currentRatings);
    expect(board).toHaveLength(20);
    expect(board.map((row) => row.rating)).toEqual(current.map((row) => row.rating).sort((a, b) => b - a));
    const lastStart = Math.max(...[...stored.values()].map((rating) => rating.startTime.getTime()));
    for (const row of board) {
      const moves = [...stored.values()]
        .filter((rating) => rating.startTime.getTime() > lastStart - 30 * 86_400_000)
        .map((rating) =>
          rating.homeId === row.participantId
            ? rating.homePost - rating.homePre
            : rating.awayId === row.participantId
              ? rating.awayPost - rating.awayPre
              : 0,
        );
      expect(row.change30d).toBeCloseTo(
        moves.reduce((sum, move) => sum + move, 0),
        9,
      );
    }
  });

  it('passes every quality check on clean data, and fails each on a crafted bad row', async () => {
    // The clean run of the first test: every check recorded, all passing.
    const [cleanRun] = await database.db
      .select()
      .from(ops.pipelineRuns)
      .orderBy(asc(ops.pipelineRuns.startedAt))
      .limit(1);
    const clean = await database.db
      .select()
      .from(ops.qualityResults)
      .where(eq(ops.qualityResults.runId, cleanRun?.runId ?? ''));
    expect(clean.map((result) => result.check).sort()).toEqual([...QUALITY_CHECKS].sort());
    expect(clean.filter((result) => result.status !== 'pass')).toEqual([]);

    // Corrupt a copy of the season inside a transaction that is rolled back afterwards.
    const rollback = new Error('rollback');
    const outcome = await database.db
      .transaction(async (txn) => {
        const tx = txn as unknown as Db;
        const finished = await tx
          .select()
          .from(core.matches)
          .where(and(eq(core.matches.seasonId, 'demo-league.50001'), eq(core.matches.status, 'finished')))
          .orderBy(asc(core.matches.id))
          .limit(7);
        const [negative, unscored, copied, stretched, unrated, wrongTeam, postponed] = finished as Array<
          (typeof finished)[number]
        >;
        await tx
          .update(core.matches)
          .set({ status: 'postponed' })
          .where(eq(core.matches.id, postponed?.id ?? ''));
        await tx
          .update(core.matches)
          .set({ homeScore: -1 })
          .where(eq(core.matches.id, negative?.id ?? ''));
        await tx
          .update(core.matches)
          .set({ homeScore: null, awayScore: null, winner: null })
          .where(eq(core.matches.id, unscored?.id ?? ''));
        const { createdAt: _c, updatedAt: _u, ...copy } = copied as (typeof finished)[number];
        await tx.insert(core.matches).values({ ...copy, id: 'sofascore.match.copy' });
        await tx
          .update(core.appearances)
          .set({ minutes: 200 })
          .where(eq(core.appearances.matchId, stretched?.id ?? ''));
        await tx.delete(ratings.matchRatings).where(eq(ratings.matchRatings.matchId, unrated?.id ?? ''));
        await tx.delete(core.appearances).where(eq(core.appearances.matchId, unrated?.id ?? ''));
        await tx
          .update(core.appearances)
          .set({ teamId: wrongTeam?.awayId ?? '' })
          .where(and(eq(core.appearances.matchId, wrongTeam?.id ?? ''), eq(core.appearances.side, 'home')));
        const runId = newRunId();
        const scope = { source: 'sofascore', competitionId: 'demo-league', competition: '1001', season: '50001' };
        await createRun(tx, { runId, trigger: 'cli', scope, env: 'dev' });
        await storePayload(tx, {
          source: 'sofascore',
          endpoint: 'event',
          key: 'crafted',
          fetchedAt: new Date(0),
          httpStatus: 200,
          text: '{"broken":true}',
          body: { broken: true },
          contractError: 'crafted',
          runId,
        });
        // A second tracked competition that has never been refreshed: stale.
        const stale = { ...(config.competitions[0] as Config['competitions'][number]), id: 'demo-stale' };
        const strict = { ...config, competitions: [...config.competitions, stale] };
        const built = await buildSeason(
          { db: tx, config: strict },
          { competitionId: 'demo-league', season: '50001', runId },
        );
        // And a table that no longer adds up (the build itself always writes consistent ones).
        await tx.update(curated.standings).set({ points: sql`points + 1` }).where(eq(curated.standings.position, 1));
        const competition = strict.competitions[0] as Config['competitions'][number];
        const recheck = await runQualityChecks(
          tx,
          { ...strict, quality: { ...strict.quality, minCompleteness: 1 } },
          {
            runId,
            competition,
            seasonId: 'demo-league.50001',
            sport: 'football',
            now: new Date(),
          },
        );
        const recorded = await tx.select().from(ops.qualityResults).where(eq(ops.qualityResults.runId, runId));
        throw Object.assign(rollback, { result: { built, recheck, recorded, finished } });
      })
      .catch((error: unknown) => {
        if (error !== rollback) throw error;
        return (rollback as Error & { result: unknown }).result as {
          built: Awaited<ReturnType<typeof buildSeason>>;
          recheck: Awaited<ReturnType<typeof runQualityChecks>>;
          recorded: Array<typeof ops.qualityResults.$inferSelect>;
          finished: Array<typeof core.matches.$inferSelect>;
        };
      });

    const status = (check: string) =>
      outcome.recorded.filter((result) => result.check === check).map((result) => result.status);
    expect(status('ranges.scores')).toEqual(['fail']);
    expect(status('completeness.scores')).toEqual(['fail']);
    expect(status('uniqueness.matches')).toEqual(['fail']);
    expect(status('ranges.minutes')).toEqual(['fail']);
    expect(status('ratings.coverage')).toEqual(['fail']);
    expect(status('consistency.one-side')).toEqual(['fail']);
    expect(status('quarantine')).toEqual(['fail']);
    expect(status('completeness.lineups')).toEqual(['warn']);
    expect(status('freshness').sort()).toEqual(['pass', 'warn']);
    expect(status('consistency.standings')).toEqual(['fail']); // after the tampering, rechecked
    expect(status('completeness.results')).toEqual(['fail']); // a past match still postponed, at a threshold of 1
    // The samples name the offending rows.
    const sample = (check: string) => outcome.recorded.find((result) => result.check === check)?.sample;
    expect(sample('ranges.scores')).toEqual([expect.objectContaining({ id: outcome.finished[0]?.id, home_score: -1 })]);
    expect(sample('completeness.scores')).toEqual([{ id: outcome.finished[1]?.id }]);
    // The deleted rating, and the copy that was never rated.
    expect(sample('ratings.coverage')).toEqual([{ id: outcome.finished[4]?.id }, { id: 'sofascore.match.copy' }]);
    expect(outcome.built.quality?.failed).toEqual(
      expect.arrayContaining(['ranges.scores:demo-league.50001', 'quarantine:demo-league.50001']),
    );
    expect(outcome.recheck.score).toBeLessThan(0.5);
    // Rolled back: the season is as clean as before.
    expect(await database.db.select().from(core.matches).where(eq(core.matches.id, 'sofascore.match.copy'))).toEqual(
      [],
    );
  });

  it('asks again only for what changed, and changes nothing when nothing did', async () => {
    const original = replay.clock.now();
    try {
      replay.clock.set(Date.parse('2025-11-01T12:00:00Z') / 1000);
      const first = await runSeason(database, '50003', 'changed');
      expect(first.discovered.matches).toHaveLength(380);

      // Nothing happened upstream: nothing to ingest, and the standings stay as they were.
      const before = await database.db
        .select()
        .from(curated.standings)
        .where(eq(curated.standings.seasonId, 'demo-league.50003'));
      const quiet = await runSeason(database, '50003', 'changed');
      expect(quiet.discovered.matches).toEqual([]);
      expect(quiet.rated).toMatchObject({ matches: 0, replayed: 0 });
      expect(
        await database.db.select().from(curated.standings).where(eq(curated.standings.seasonId, 'demo-league.50003')),
      ).toEqual(before);

      // A week on: that round's matches (and any correction published meanwhile) are fetched, nothing else.
      replay.clock.set(Date.parse('2025-11-08T23:00:00Z') / 1000);
      await fetch(`${replay.url}/_control/accounting/reset`, { method: 'POST' });
      const week = await runSeason(database, '50003', 'changed');
      const served = await accounting();
      expect(week.discovered.matches.length).toBeGreaterThanOrEqual(10);
      expect(week.discovered.matches.length).toBeLessThan(30);
      expect(served.byEndpoint.event?.['200']).toBe(week.discovered.matches.length);
      const rows = await database.db
        .select()
        .from(curated.standings)
        .where(eq(curated.standings.seasonId, 'demo-league.50003'))
        .orderBy(asc(curated.standings.position));
      expect(rows.map(({ competitionId: _c, seasonId: _s, ...row }) => row)).toEqual(standingsFromSimulation(50003));
    } finally {
      replay.clock.set(original);
    }
  }, 120_000);

  it('keeps core as it was when the same season is ingested again', async () => {
    // Ingesting is per match: a sample of the season stands for all of it. Every match with
    // something unusual (cancelled, postponed, a late correction) and every eighth of the rest.
    const season = replay.world?.competitions[0]?.seasons.find((candidate) => candidate.id === 50001);
    const unusual = new Set(
      (season?.matches ?? [])
        .filter((match) => match.fate !== 'played' || match.reschedule || match.correction)
        .map((match) => String(match.id)),
    );
    const sample = new Set(
      (season?.matches ?? [])
        .map((match) => String(match.id))
        .filter((id, index) => unusual.has(id) || index % 8 === 0),
    );
    expect(unusual.size).toBeGreaterThanOrEqual(10);
    const dump = async () =>
      JSON.stringify(await database.db.select().from(core.matches).orderBy(asc(core.matches.id)));
    const ratingsDump = async () =>
      JSON.stringify(await database.db.select().from(ratings.matchRatings).orderBy(asc(ratings.matchRatings.matchId)));
    const before = await dump();
    const ratingsBefore = await ratingsDump();
    const again = await runSeason(database, '50001', 'full', (match) => sample.has(match));
    // The whole season is listed again; the sample (all of the unusual matches) is ingested again.
    expect(again.discovered.matches).toHaveLength(380);
    expect(again.discovered.matches.filter((match) => sample.has(match))).toHaveLength(sample.size);
    expect(await dump()).toBe(before);
    // Nothing changed, so nothing is re-rated.
    expect(again.rated).toMatchObject({ matches: 0, replayed: 0 });
    expect(await ratingsDump()).toBe(ratingsBefore);
  }, 120_000);
});
