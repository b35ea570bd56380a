import { core, ops, ratings } from '@matchflow/db';
import { ratePool } from '@matchflow/pipeline';
import { startReplay } from '@matchflow/replay';
import { and, asc, count, desc, eq, sql } from 'drizzle-orm';
import { type BenchEnv, BenchFleet, LEAGUE, leagueSettings } from './fleet.js';

/*
 * Incremental correction (issue 10, benchmark 4): three Demo League seasons in one rating pool,
 * then one match's score corrected upstream. The `changed` run re-ingests that match only, and
 * its ratings stage replays the pool from the corrected match on (DESIGN §7). Timed from the
 * ratings stage row (what the worker spent), beside a full recompute of the same pool from
 * scratch, for a correction early in the pool (nearly everything after it is rewritten) and one
 * late in it (almost nothing is).
 */

export interface CorrectionFigures {
  backend: 'postgres' | 'pglite';
  /** Terminal matches rated in the pool. */
  poolMatches: number;
  /** A full recompute from an empty pool, in this process (ms), and the rows it wrote. */
  fullMs: number;
  fullRows: number;
  corrections: Array<{
    where: 'early' | 'late';
    match: string;
    /** The ratings stage of the `changed` run that picked the correction up. */
    stageMs: number;
    /** Match ratings discarded and written again. */
    rewritten: number;
    /** Matches re-ingested by that run (1 when only the corrected one was fetched). */
    ingested: number;
  }>;
}

const SEASONS = LEAGUE.seasons.map(String);

export async function benchCorrection(env: BenchEnv): Promise<CorrectionFigures> {
  const replay = await startReplay({ port: 0, seed: 7 });
  const backend = env.postgresUrl ? 'postgres' : 'pglite';
  try {
    const fleet = await BenchFleet.start(env, {
      label: `correction-${backend}`,
      backend,
      processes: 1,
      settings: leagueSettings(replay, { requestsPerInterval: 5_000, maxConcurrent: 32 }),
    });
    try {
      for (const season of SEASONS) {
        const { runId } = await fleet.trigger(season, 'full');
        const run = await fleet.waitClosed(runId, 600_000);
        if (run.status !== 'ok') throw new Error(`the full run of ${season} ended ${run.status}`);
      }
      const pool = 'football';
      const [rated] = await fleet.db
        .select({ n: count() })
        .from(ratings.matchRatings)
        .where(eq(ratings.matchRatings.poolId, pool));
      const poolMatches = rated?.n ?? 0;

      // Full recompute: the pool's ratings and checkpoint gone, rated again from the first match.
      await fleet.db.delete(ratings.pools).where(eq(ratings.pools.id, pool));
      // The ratings stage's checkpoint (`ratings:<pool>`, rate-pool.ts).
      await fleet.db.delete(ops.checkpoints).where(eq(ops.checkpoints.name, `ratings:${pool}`));
      const fullStarted = performance.now();
      const full = await ratePool({ db: fleet.db, config: fleet.config }, { pool });
      const fullMs = performance.now() - fullStarted;

      const corrections: CorrectionFigures['corrections'] = [];
      for (const where of ['early', 'late'] as const) {
        const season = where === 'early' ? (SEASONS[0] as string) : (SEASONS.at(-1) as string);
        const match = await correctOne(replay.url, fleet, season, where);
        const { runId } = await fleet.trigger(season, 'changed');
        const run = await fleet.waitClosed(runId, 300_000);
        if (run.status !== 'ok') throw new Error(`the changed run after the ${where} correction ended ${run.status}`);
        const stages = await fleet.stages(runId);
        const stage = stages.find((row) => row.stage === 'ratings');
        const counters = (stage?.counters ?? {}) as { replayed?: number };
        corrections.push({
          where,
          match,
          stageMs: stage?.durationMs ?? Number.NaN,
          rewritten: counters.replayed ?? 0,
          ingested: stages.filter((row) => row.stage === 'ingest').length,
        });
      }
      return { backend, poolMatches, fullMs, fullRows: full.matches, corrections };
    } finally {
      await fleet.close();
    }
  } finally {
    await replay.close();
  }
}

/**
 * Strike off the last goal of the first (or last) finished match of `season` that the replay
 * can correct, visible at once; returns its upstream id.
 */
async function correctOne(
  replayUrl: string,
  fleet: BenchFleet,
  season: string,
  where: 'early' | 'late',
): Promise<string> {
  const order = where === 'early' ? asc(core.matches.startTime) : desc(core.matches.startTime);
  const candidates = await fleet.db
    .select({ id: core.matches.id })
    .from(core.matches)
    .where(
      and(
        eq(core.matches.seasonId, `${LEAGUE.id}.${season}`),
        eq(core.matches.status, 'finished'),
        sql`${core.matches.homeScore} + ${core.matches.awayScore} > 0`,
      ),
    )
    .orderBy(order, asc(core.matches.id))
    .limit(20);
  for (const { id } of candidates) {
    const eventId = id.split('.').at(-1) as string;
    const response = await fetch(`${replayUrl}/_control/corrections`, {
      method: 'POST',
      body: JSON.stringify({ eventId: Number(eventId) }),
    });
    if (response.ok) return eventId;
  }
  throw new Error(`no correctable finished match in season ${season}`);
}
