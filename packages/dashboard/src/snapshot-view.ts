import {
  type LoadedSnapshot,
  type RatingCalibrationRow,
  type SnapshotManifest,
  type SnapshotRow,
  snapshotRows,
} from '@matchflow/pipeline';
import type { z } from 'zod';

type Competition = SnapshotRow<'competitions'>;
type Season = SnapshotRow<'seasons'>;
type Standing = SnapshotRow<'standings'>;
type Match = SnapshotRow<'matches'>;
type PlayerAppearance = SnapshotRow<'player_appearances'>;
type Player = SnapshotRow<'players'>;
type MatchOdds = SnapshotRow<'match_odds'>;
type Rating = SnapshotRow<'ratings'>;

/** A rating pool as `/api/ratings` lists it. */
export interface RatingPoolSummary {
  pool_id: string;
  /** Rows in the pool's leaderboard. */
  participants: number;
  calibration: Omit<z.output<typeof RatingCalibrationRow>, 'pool_id'> | null;
}

/** A match with its start time as epoch milliseconds, for range filters. */
export interface IndexedMatch {
  row: Match;
  startMs: number;
}

function byBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function groupBy<Row>(rows: readonly Row[], key: (row: Row) => string): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const name = key(row);
    const group = groups.get(name);
    if (group) group.push(row);
    else groups.set(name, [row]);
  }
  return groups;
}

/**
 * One loaded snapshot with the indexes the API answers from, built once when the snapshot is
 * loaded. Immutable, like the snapshot directory it came from.
 */
export class SnapshotView {
  readonly version: string;
  readonly manifest: SnapshotManifest;
  /** The HTTP entity tag: the manifest's content hash, quoted. Equal content, equal tag. */
  readonly etag: string;
  readonly competitions: readonly Competition[];
  readonly seasonsByCompetition: ReadonlyMap<string, readonly Season[]>;
  readonly seasonIds: ReadonlySet<string>;
  /** Per season, ordered by position (then team id). */
  readonly standingsBySeason: ReadonlyMap<string, readonly Standing[]>;
  /** Every match, ordered by start time, then match id. */
  readonly matches: readonly IndexedMatch[];
  /** Every match id: tells a match without odds from one the snapshot does not hold. */
  readonly matchIds: ReadonlySet<string>;
  /** Per season, in file order (player id, team id). */
  readonly appearancesBySeason: ReadonlyMap<string, readonly PlayerAppearance[]>;
  /** Every player, ordered by player id (the table's order). */
  readonly players: readonly Player[];
  readonly playersById: ReadonlyMap<string, Player>;
  /** Per season, ordered by start time, then match id (the table's order within a season). */
  readonly oddsBySeason: ReadonlyMap<string, readonly MatchOdds[]>;
  readonly oddsByMatch: ReadonlyMap<string, MatchOdds>;
  /** Per pool, ordered by rank (then participant id). */
  readonly ratingsByPool: ReadonlyMap<string, readonly Rating[]>;
  /** Every pool with ratings or calibration, ordered by pool id. */
  readonly pools: readonly RatingPoolSummary[];

  constructor(snapshot: LoadedSnapshot) {
    this.manifest = snapshot.manifest;
    this.version = snapshot.manifest.version;
    this.etag = `"${snapshot.manifest.content_hash}"`;
    this.competitions = snapshotRows(snapshot, 'competitions');
    const seasons = snapshotRows(snapshot, 'seasons');
    this.seasonsByCompetition = groupBy(seasons, (row) => row.competition_id);
    this.seasonIds = new Set(seasons.map((row) => row.season_id));
    this.standingsBySeason = groupBy(
      [...snapshotRows(snapshot, 'standings')].sort((a, b) => a.position - b.position || byBytes(a.team_id, b.team_id)),
      (row) => row.season_id,
    );
    this.matches = snapshotRows(snapshot, 'matches')
      .map((row) => ({ row, startMs: Date.parse(row.start_time) }))
      .sort((a, b) => a.startMs - b.startMs || byBytes(a.row.match_id, b.row.match_id));
    this.matchIds = new Set(this.matches.map(({ row }) => row.match_id));
    this.appearancesBySeason = groupBy(snapshotRows(snapshot, 'player_appearances'), (row) => row.season_id);
    this.players = [...snapshotRows(snapshot, 'players')].sort((a, b) => byBytes(a.player_id, b.player_id));
    this.playersById = new Map(this.players.map((row) => [row.player_id, row]));
    const odds = snapshotRows(snapshot, 'match_odds')
      .map((row) => ({ row, startMs: Date.parse(row.start_time) }))
      .sort((a, b) => a.startMs - b.startMs || byBytes(a.row.match_id, b.row.match_id))
      .map(({ row }) => row);
    this.oddsBySeason = groupBy(odds, (row) => row.season_id);
    this.oddsByMatch = new Map(odds.map((row) => [row.match_id, row]));
    this.ratingsByPool = groupBy(
      [...snapshotRows(snapshot, 'ratings')].sort(
        (a, b) => a.rank - b.rank || byBytes(a.participant_id, b.participant_id),
      ),
      (row) => row.pool_id,
    );
    const calibration = new Map(snapshotRows(snapshot, 'rating_calibration').map((row) => [row.pool_id, row]));
    const poolIds = [...new Set([...this.ratingsByPool.keys(), ...calibration.keys()])].sort(byBytes);
    this.pools = poolIds.map((poolId) => {
      const calibrated = calibration.get(poolId);
      return {
        pool_id: poolId,
        participants: this.ratingsByPool.get(poolId)?.length ?? 0,
        calibration: calibrated
          ? {
              matches: calibrated.matches,
              brier: calibrated.brier,
              log_loss: calibrated.log_loss,
              as_of: calibrated.as_of,
            }
          : null,
      };
    });
  }

  hasCompetition(competitionId: string): boolean {
    return this.competitions.some((row) => row.competition_id === competitionId);
  }

  hasPool(poolId: string): boolean {
    return this.pools.some((pool) => pool.pool_id === poolId);
  }
}
