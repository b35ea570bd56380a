import type { CompetitionSettings, Config } from '@matchflow/config';
import { core, curated, type Db, ratings } from '@matchflow/db';
import type { BuildJob } from '@matchflow/queues';
import { calibrate } from '@matchflow/ratings';
import { asc, eq, sql } from 'drizzle-orm';
import { computeStandings, type StandingsOptions } from '../build/standings.js';
import { coreIds } from '../store/core-ids.js';

export interface BuildResult {
  standings: number;
  /** Matches behind the pool's calibration figures (0 when the competition has no rated matches). */
  calibrated: number;
}

/**
 * `build(season)`: rebuild the curated tables of one competition-season from core and ratings
 * (for now the league standings and the calibration of the competition's rating pool; the
 * build/publish issue adds the rest, quality gates and snapshots). Replaces the rows in one
 * transaction, so readers never see half a table.
 */
export async function buildSeason(
  deps: { db: Db; config: Pick<Config, 'competitions'> },
  job: Pick<BuildJob, 'competitionId' | 'season'>,
): Promise<BuildResult> {
  const seasonId = coreIds.season(job.competitionId, job.season);
  const settings = deps.config.competitions.find((competition) => competition.id === job.competitionId);
  const pool = settings?.ratingPool;
  return deps.db.transaction(async (txn) => {
    const tx = txn as unknown as Db;
    const calibrated = pool ? await writeCalibration(tx, pool) : 0;
    const [competition] = await tx.select().from(core.competitions).where(eq(core.competitions.id, job.competitionId));
    const matches = await tx.select().from(core.matches).where(eq(core.matches.seasonId, seasonId));
    await tx.delete(curated.standings).where(eq(curated.standings.seasonId, seasonId));
    // Standings are a league table: tennis draws and empty seasons have none.
    if (competition?.sport !== 'football' || matches.length === 0) return { standings: 0, calibrated };
    const rows = computeStandings(matches, settings ? standingsOptions(settings, job.season) : {});
    await tx
      .insert(curated.standings)
      .values(rows.map((row) => ({ competitionId: job.competitionId, seasonId, ...row })));
    return { standings: rows.length, calibrated };
  });
}

/**
 * Brier score and log loss of the pool's pre-match expected scores, summed in rating order so
 * the figures are reproducible to the bit.
 */
async function writeCalibration(tx: Db, pool: string): Promise<number> {
  const table = ratings.matchRatings;
  const rated = await tx
    .select({
      expectedHome: table.expectedHome,
      actualHome: table.actualHome,
      counted: table.counted,
      startTime: table.startTime,
    })
    .from(table)
    .where(eq(table.poolId, pool))
    .orderBy(asc(table.startTime), asc(sql`${table.matchId} COLLATE "C"`));
  const figures = calibrate(rated);
  const row = {
    matches: figures.matches,
    brier: figures.matches > 0 ? figures.brier : null,
    logLoss: figures.matches > 0 ? figures.logLoss : null,
    asOf: rated.at(-1)?.startTime ?? null,
  };
  await tx
    .insert(curated.ratingCalibration)
    .values({ poolId: pool, ...row })
    .onConflictDoUpdate({ target: curated.ratingCalibration.poolId, set: row });
  return figures.matches;
}

/** The competition's table rules for one season, adjustments keyed by core participant id. */
function standingsOptions(
  settings: Pick<CompetitionSettings, 'source' | 'standings'>,
  season: string,
): StandingsOptions {
  const { points, tiebreakers, adjustments } = settings.standings;
  const bySeason: Record<string, number> = {};
  for (const adjustment of adjustments) {
    if (adjustment.season !== season) continue;
    const participant = coreIds.participant(settings.source, 'team', adjustment.team);
    bySeason[participant] = (bySeason[participant] ?? 0) + adjustment.points;
  }
  return {
    pointsForWin: points.win,
    pointsForDraw: points.draw,
    pointsForLoss: points.loss,
    tiebreakers,
    adjustments: bySeason,
  };
}
