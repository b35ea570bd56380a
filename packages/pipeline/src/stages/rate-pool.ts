import type { Config } from '@matchflow/config';
import { core, type Db, ops, ratings } from '@matchflow/db';
import type { RatingsJob } from '@matchflow/queues';
import { type EloState, rate } from '@matchflow/ratings';
import { failpoint } from '@matchflow/telemetry';
import { and, asc, desc, eq, inArray, isNotNull, or, type SQL, sql } from 'drizzle-orm';
import { type PoolModel, poolModel, type TerminalMatch, toEloMatch } from '../rate/pool-model.js';
import { chunks } from '../store/chunks.js';

export interface RateResult {
  /** Matches rated by this job (a replayed match counts again). */
  matches: number;
  /** Committed batches. */
  batches: number;
  /** Matches whose stored ratings were discarded to replay a late or corrected result. */
  replayed: number;
  /** 1 when stored ratings were discarded wholesale because the pool's model changed. */
  reset: number;
  /** Participants with a current rating after the job. */
  participants: number;
}

export interface RateHooks {
  /** Called inside each batch's transaction just before it commits (tests crash here). */
  beforeCommit?: (batch: number) => Promise<void> | void;
  /** Called after each batch has committed, before the next begins (tests interleave work here). */
  afterCommit?: (batch: number) => Promise<void> | void;
}

/** A position in rating order: (start time, match id), ids compared byte-wise. */
interface Position {
  startTime: Date;
  matchId: string;
}

/** How far the pool is rated, and under which model. */
interface Checkpoint {
  at: Position | null;
  hash: string;
}

/**
 * `ratings(pool)`: incremental Elo (DESIGN §7, docs/ratings.md "The incremental stage").
 *
 * Terminal matches are rated in (start time, match id) order from the pool's checkpoint, in
 * batches; each batch commits its `match_ratings` rows, the changed `current_ratings` and the
 * checkpoint in one transaction, so a crash loses at most the batch under way and the next job
 * resumes from the checkpoint. A dirty marker at or before the checkpoint (a late result, a
 * correction, a match moved or withdrawn) rewinds the pool to just before it: the later rows are
 * discarded and the state there is rebuilt from the stored post-match ratings, not from zero.
 * A change of the pool's model (parameters, competitions) discards everything.
 *
 * Every batch takes the pool's transaction-scoped advisory lock, so writers never interleave
 * within a batch, and re-reads the checkpoint under it, so two jobs of one pool cooperate
 * instead of clashing. The result equals a full recompute exactly, whatever the arrival order.
 */
export async function ratePool(
  deps: { db: Db; config: Pick<Config, 'competitions' | 'ratingPools'>; hooks?: RateHooks },
  job: Pick<RatingsJob, 'pool'> & Partial<Pick<RatingsJob, 'runId'>>,
): Promise<RateResult> {
  const model = poolModel(deps.config, job.pool);
  const result: RateResult = { matches: 0, batches: 0, replayed: 0, reset: 0, participants: 0 };
  for (;;) {
    const batch = await deps.db.transaction(async (txn) => {
      const tx = txn as unknown as Db;
      await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`matchflow.ratings.${model.pool}`}))`);
      const outcome = await rateBatch(tx, model, result, job.runId ?? null);
      await deps.hooks?.beforeCommit?.(result.batches + 1);
      failpoint('ratings.batch-before-commit');
      return outcome;
    });
    result.batches += 1;
    result.matches += batch.rated;
    result.participants = batch.participants;
    if (batch.rated < model.batchSize) break;
    await deps.hooks?.afterCommit?.(result.batches);
  }
  return result;
}

async function rateBatch(
  tx: Db,
  model: PoolModel,
  result: RateResult,
  runId: string | null,
): Promise<{ rated: number; participants: number }> {
  const pool = model.pool;
  // Consumed here, in the batch's transaction: every mark now visible (a mark committed later is
  // not, and stays for the next batch). The earliest is where ratings go stale.
  const marks = await tx
    .delete(ratings.dirtyMarkers)
    .where(eq(ratings.dirtyMarkers.poolId, pool))
    .returning({ fromStartTime: ratings.dirtyMarkers.fromStartTime, fromMatchId: ratings.dirtyMarkers.fromMatchId });
  const marker = marks.reduce<(typeof marks)[number] | undefined>(
    (earliest, mark) =>
      earliest === undefined ||
      after(earliest.fromStartTime, earliest.fromMatchId, { startTime: mark.fromStartTime, matchId: mark.fromMatchId })
        ? mark
        : earliest,
    undefined,
  );
  const checkpoint = await readCheckpoint(tx, pool);
  let at = checkpoint?.at ?? null;

  if (!checkpoint || checkpoint.hash !== model.hash) {
    const [stored] = await tx
      .select({ hash: ratings.pools.paramsHash })
      .from(ratings.pools)
      .where(eq(ratings.pools.id, pool));
    if (stored && stored.hash !== model.hash) result.reset = 1;
    await tx.delete(ratings.matchRatings).where(eq(ratings.matchRatings.poolId, pool));
    await tx.delete(ratings.currentRatings).where(eq(ratings.currentRatings.poolId, pool));
    await tx
      .insert(ratings.pools)
      .values({ id: pool, params: model.params, paramsHash: model.hash })
      .onConflictDoUpdate({
        target: ratings.pools.id,
        set: { params: model.params, paramsHash: model.hash, updatedAt: sql`now()` },
      });
    at = null;
  } else if (marker && at && !after(marker.fromStartTime, marker.fromMatchId, at)) {
    const discarded = await tx
      .delete(ratings.matchRatings)
      .where(and(eq(ratings.matchRatings.poolId, pool), notBefore(marker.fromStartTime, marker.fromMatchId)))
      .returning({ matchId: ratings.matchRatings.matchId });
    result.replayed += discarded.length;
    const state = await stateBefore(tx, pool, { startTime: marker.fromStartTime, matchId: marker.fromMatchId });
    await tx.delete(ratings.currentRatings).where(eq(ratings.currentRatings.poolId, pool));
    await writeCurrent(tx, pool, state, [...state.keys()]);
    at = (await lastRated(tx, pool)) ?? null;
  }
  // Read under the lock every batch, never carried over from the last one: another job of the
  // pool may have rewound and re-rated to this very position with different results since.
  const state = await currentState(tx, pool);
  const matches = await terminalMatchesAfter(tx, model, at, model.batchSize);
  if (matches.length === 0) {
    await writeCheckpoint(tx, pool, at, model.hash, runId);
    return { rated: 0, participants: state.size };
  }

  const { rated, state: next } = rate(
    matches.map((match) => toEloMatch(match, model)),
    model.params,
    state,
  );
  const rows = matches.map((match, index) => {
    const rating = rated[index] as (typeof rated)[number];
    return {
      poolId: pool,
      matchId: match.id,
      startTime: match.startTime,
      homeId: match.homeId,
      awayId: match.awayId,
      homePre: rating.homePre,
      awayPre: rating.awayPre,
      homePost: rating.homePost,
      awayPost: rating.awayPost,
      expectedHome: rating.expectedHome,
      actualHome: rating.actualHome,
      counted: rating.counted,
      season: match.seasonLabel,
      homeGames: state.get(match.homeId)?.games ?? 0,
      awayGames: state.get(match.awayId)?.games ?? 0,
    };
  });
  // Games before each match: walk the batch, since `state` is as of the batch start.
  const games = new Map<string, number>();
  for (const row of rows) {
    row.homeGames = games.get(row.homeId) ?? row.homeGames;
    row.awayGames = games.get(row.awayId) ?? row.awayGames;
    if (row.counted) {
      games.set(row.homeId, row.homeGames + 1);
      games.set(row.awayId, row.awayGames + 1);
    }
  }
  for (const chunk of chunks(rows, 500)) await tx.insert(ratings.matchRatings).values(chunk);
  await writeCurrent(tx, pool, next, [...games.keys()]);
  const last = matches.at(-1) as TerminalMatch;
  const end = { startTime: last.startTime, matchId: last.id };
  await writeCheckpoint(tx, pool, end, model.hash, runId);
  return { rated: matches.length, participants: next.size };
}

const CHECKPOINT = (pool: string) => `ratings:${pool}`;

async function readCheckpoint(tx: Db, pool: string): Promise<Checkpoint | undefined> {
  const [row] = await tx
    .select()
    .from(ops.checkpoints)
    .where(eq(ops.checkpoints.name, CHECKPOINT(pool)));
  if (!row) return undefined;
  const value = row.value as { startTime: string | null; matchId: string | null; hash: string };
  // An empty pool's checkpoint has no position; it still records the model it was made under.
  const at = value.startTime && value.matchId ? { startTime: new Date(value.startTime), matchId: value.matchId } : null;
  return { at, hash: value.hash };
}

async function writeCheckpoint(
  tx: Db,
  pool: string,
  at: Position | null,
  hash: string,
  runId: string | null,
): Promise<void> {
  const value = { startTime: at?.startTime.toISOString() ?? null, matchId: at?.matchId ?? null, hash };
  await tx
    .insert(ops.checkpoints)
    .values({ name: CHECKPOINT(pool), value, runId })
    .onConflictDoUpdate({ target: ops.checkpoints.name, set: { value, runId, updatedAt: sql`now()` } });
}

/** Strictly after `at` in rating order. */
function after(startTime: Date, matchId: string, at: Position): boolean {
  const difference = startTime.getTime() - at.startTime.getTime();
  return difference > 0 || (difference === 0 && matchId > at.matchId);
}

/** Ids compare byte-wise (COLLATE "C"), as JavaScript compares them, whatever the database's collation. */
const byteWise = (column: SQL | typeof ratings.matchRatings.matchId | typeof core.matches.id) =>
  sql`${column} COLLATE "C"`;

function notBefore(startTime: Date, matchId: string): SQL {
  const time = sql`${startTime.toISOString()}::timestamptz`;
  const table = ratings.matchRatings;
  return sql`(${table.startTime} > ${time} OR (${table.startTime} = ${time} AND ${byteWise(table.matchId)} >= ${matchId}))`;
}

async function terminalMatchesAfter(
  tx: Db,
  model: PoolModel,
  at: Position | null,
  limit: number,
): Promise<TerminalMatch[]> {
  const competitionIds = Object.keys(model.competitions);
  if (competitionIds.length === 0) return [];
  const matches = core.matches;
  const time = at ? sql`${at.startTime.toISOString()}::timestamptz` : null;
  return tx
    .select({
      id: matches.id,
      startTime: matches.startTime,
      competitionId: matches.competitionId,
      homeId: matches.homeId,
      awayId: matches.awayId,
      homeScore: matches.homeScore,
      awayScore: matches.awayScore,
      winner: matches.winner,
      statusDetail: matches.statusDetail,
      neutral: matches.neutral,
      seasonLabel: sql<string>`coalesce(${core.seasons.year}, ${core.seasons.name})`,
    })
    .from(matches)
    .innerJoin(core.seasons, eq(core.seasons.id, matches.seasonId))
    .where(
      and(
        inArray(matches.competitionId, competitionIds),
        eq(matches.status, 'finished'),
        or(and(isNotNull(matches.homeScore), isNotNull(matches.awayScore)), isNotNull(matches.winner)),
        time
          ? sql`(${matches.startTime} > ${time} OR (${matches.startTime} = ${time} AND ${byteWise(matches.id)} > ${at?.matchId}))`
          : undefined,
      ),
    )
    .orderBy(asc(matches.startTime), asc(byteWise(matches.id)))
    .limit(limit);
}

/** The state as of the checkpoint: `current_ratings` is kept equal to it. */
async function currentState(tx: Db, pool: string): Promise<EloState> {
  const rows = await tx.select().from(ratings.currentRatings).where(eq(ratings.currentRatings.poolId, pool));
  return new Map(
    rows.map((row) => [
      row.participantId,
      {
        rating: row.rating,
        games: row.games,
        season: row.season ?? undefined,
        lastMatchId: row.lastMatchId ?? undefined,
      },
    ]),
  );
}

/**
 * The state just before `position`, rebuilt from stored post-match ratings: each participant's
 * last counted match before it gives its rating, games (games before + 1) and season.
 */
async function stateBefore(tx: Db, pool: string, position: Position): Promise<EloState> {
  const table = ratings.matchRatings;
  const time = sql`${position.startTime.toISOString()}::timestamptz`;
  const earlier = and(
    eq(table.poolId, pool),
    eq(table.counted, true),
    sql`(${table.startTime} < ${time} OR (${table.startTime} = ${time} AND ${byteWise(table.matchId)} < ${position.matchId}))`,
  );
  const latest = (side: 'home' | 'away') => {
    const participant = side === 'home' ? table.homeId : table.awayId;
    return tx
      .selectDistinctOn([participant], {
        participantId: participant,
        rating: side === 'home' ? table.homePost : table.awayPost,
        gamesBefore: side === 'home' ? table.homeGames : table.awayGames,
        season: table.season,
        matchId: table.matchId,
        startTime: table.startTime,
      })
      .from(table)
      .where(earlier)
      .orderBy(participant, desc(table.startTime), desc(byteWise(table.matchId)));
  };
  const state: EloState = new Map();
  const positions = new Map<string, Position>();
  for (const row of [...(await latest('home')), ...(await latest('away'))]) {
    const seen = positions.get(row.participantId);
    if (seen && !after(row.startTime, row.matchId, seen)) continue;
    positions.set(row.participantId, row);
    state.set(row.participantId, {
      rating: row.rating,
      games: row.gamesBefore + 1,
      season: row.season ?? undefined,
      lastMatchId: row.matchId,
    });
  }
  return state;
}

async function lastRated(tx: Db, pool: string): Promise<Position | undefined> {
  const table = ratings.matchRatings;
  const [row] = await tx
    .select({ startTime: table.startTime, matchId: table.matchId })
    .from(table)
    .where(eq(table.poolId, pool))
    .orderBy(desc(table.startTime), desc(byteWise(table.matchId)))
    .limit(1);
  return row;
}

async function writeCurrent(tx: Db, pool: string, state: EloState, participants: string[]): Promise<void> {
  const rows = participants.flatMap((participantId) => {
    const entry = state.get(participantId);
    return entry
      ? [
          {
            poolId: pool,
            participantId,
            rating: entry.rating,
            games: entry.games,
            lastMatchId: entry.lastMatchId ?? null,
            season: entry.season ?? null,
          },
        ]
      : [];
  });
  for (const chunk of chunks(rows, 500)) {
    await tx
      .insert(ratings.currentRatings)
      .values(chunk)
      .onConflictDoUpdate({
        target: [ratings.currentRatings.poolId, ratings.currentRatings.participantId],
        set: {
          rating: sql`excluded.rating`,
          games: sql`excluded.games`,
          lastMatchId: sql`excluded.last_match_id`,
          season: sql`excluded.season`,
          updatedAt: sql`now()`,
        },
      });
  }
}
