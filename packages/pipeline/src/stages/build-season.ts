import type { CompetitionSettings, Config } from '@matchflow/config';
import { core, curated, type Db } from '@matchflow/db';
import type { BuildJob } from '@matchflow/queues';
import { eq } from 'drizzle-orm';
import { refreshPoolOdds, refreshSeasonOdds } from '../build/match-odds.js';
import { refreshPoolRatings, writeMatchSummary } from '../build/match-summary.js';
import { refreshSeasonPlayers } from '../build/players.js';
import { writeCalibration, writeLeaderboard } from '../build/pool-tables.js';
import { writePlayerAppearances, writeTennisRecords } from '../build/season-tables.js';
import { computeStandings, type StandingsOptions } from '../build/standings.js';
import { publishLockShared } from '../publish/publish-lock.js';
import { measureQuality, type QualityReport, recordQualityResults } from '../quality/checks.js';
import { coreIds } from '../store/core-ids.js';

export interface BuildResult {
  standings: number;
  /** Matches of the season in `curated.match_summary`. */
  matches: number;
  /** Summarised matches of other seasons of the pool whose pre-match ratings a rewind had changed. */
  ratingsRefreshed: number;
  /** Rows of the pool's leaderboard. */
  leaderboard: number;
  /** Player-team rows of the season's appearances (football). */
  appearances: number;
  /** Player-surface rows of the season's tennis records. */
  tennisRecords: number;
  /** `curated.players` rows of the season's players that changed (totals, team). */
  players: number;
  /**
   * `curated.match_odds` rows that changed: the season's matches (results, pre-match ratings), and
   * the pool's other rows whose pre-match expected score a rewind had changed.
   */
  odds: number;
  /** Matches behind the pool's calibration figures (0 when the competition has no rated matches). */
  calibrated: number;
  /** The run's quality score and failed checks (when the build belongs to a run). */
  quality?: { score: number; failed: string[] };
  /**
   * True when a FAIL-level check failed: the tables written were rolled back (the curated zone
   * keeps the last state that passed its checks) and nothing may be published for this run.
   */
  blocked: boolean;
}

/** Thrown inside the build transaction to roll the tables back when a quality gate fails. */
class QualityGateFailed extends Error {
  constructor(
    readonly report: QualityReport,
    readonly counts: Omit<BuildResult, 'quality' | 'blocked'>,
  ) {
    super(`quality gate failed: ${report.failed.join(', ')}`);
  }
}

/**
 * `build(season)`: rebuild the curated tables of one competition-season from core and ratings:
 * the season's league table, match summaries, player appearances (and its players' rows of
 * `curated.players`) or tennis records, its matches' rows of `curated.match_odds`, and the
 * leaderboard and calibration of the competition's rating pool. Replaces the rows in one
 * transaction, so readers never see half a table, and (for a run) checks them in it: when a
 * FAIL-level check fails, the transaction rolls back and only the check results are kept.
 */
export async function buildSeason(
  deps: { db: Db; config: Pick<Config, 'competitions' | 'quality'>; now?: () => Date },
  job: Pick<BuildJob, 'competitionId' | 'season'> & Partial<Pick<BuildJob, 'runId'>>,
): Promise<BuildResult> {
  const seasonId = coreIds.season(job.competitionId, job.season);
  const settings = deps.config.competitions.find((competition) => competition.id === job.competitionId);
  const pool = settings?.ratingPool;
  const now = deps.now?.() ?? new Date();
  try {
    return await deps.db.transaction(async (txn) => {
      const tx = txn as unknown as Db;
      // Shared: builds run side by side, but never while a snapshot is being read (publish.ts).
      await publishLockShared(tx);
      const calibrated = pool ? await writeCalibration(tx, pool) : 0;
      const leaderboard = pool ? await writeLeaderboard(tx, pool) : 0;
      const summarised = await writeMatchSummary(tx, seasonId, pool);
      const ratingsRefreshed = pool ? await refreshPoolRatings(tx, pool) : 0;
      const [competition] = await tx
        .select()
        .from(core.competitions)
        .where(eq(core.competitions.id, job.competitionId));
      const tennis = competition?.sport === 'tennis';
      const appearances = tennis ? 0 : await writePlayerAppearances(tx, job.competitionId, seasonId);
      const tennisRecords = tennis ? await writeTennisRecords(tx, job.competitionId, seasonId) : 0;
      // Their totals move with the season's matches; the profiles come from the `players` stage.
      const players = tennis ? undefined : await refreshSeasonPlayers(tx, seasonId);
      // After the summaries: the Elo column reads the pool and ratings they name.
      const seasonOdds = await refreshSeasonOdds(tx, seasonId);
      const poolOdds = pool ? await refreshPoolOdds(tx, pool) : undefined;
      const matches = await tx.select().from(core.matches).where(eq(core.matches.seasonId, seasonId));
      await tx.delete(curated.standings).where(eq(curated.standings.seasonId, seasonId));
      let standings = 0;
      // Standings are a league table: tennis draws and empty seasons have none.
      if (competition?.sport === 'football' && matches.length > 0) {
        const rows = computeStandings(matches, settings ? standingsOptions(settings, job.season) : {});
        await tx
          .insert(curated.standings)
          .values(rows.map((row) => ({ competitionId: job.competitionId, seasonId, ...row })));
        standings = rows.length;
      }
      const counts = {
        standings,
        calibrated,
        matches: summarised,
        ratingsRefreshed,
        leaderboard,
        appearances,
        tennisRecords,
        players: players ? players.written + players.removed : 0,
        odds: seasonOdds.written + seasonOdds.removed + (poolOdds ? poolOdds.written + poolOdds.removed : 0),
      };
      if (!settings || !job.runId) return { ...counts, blocked: false };
      // Checked in the same transaction: the results describe exactly the tables written.
      const report = await measureQuality(tx, deps.config, {
        runId: job.runId,
        competition: settings,
        seasonId,
        sport: competition?.sport,
        now,
      });
      if (report.failed.length > 0) throw new QualityGateFailed(report, counts);
      await recordQualityResults(tx, job.runId, now, report.results);
      return { ...counts, quality: { score: report.score, failed: report.failed }, blocked: false };
    });
  } catch (error) {
    if (!(error instanceof QualityGateFailed) || !job.runId) throw error;
    await recordQualityResults(deps.db, job.runId, now, error.report.results);
    return {
      ...error.counts,
      quality: { score: error.report.score, failed: error.report.failed },
      blocked: true,
    };
  }
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
