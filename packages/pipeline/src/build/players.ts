import type { Db } from '@matchflow/db';
import { type SQL, sql } from 'drizzle-orm';
import { rows } from '../store/sql-rows.js';

/*
 * `curated.players`: one row per player with appearances. Every way of writing it goes through
 * `writePlayers` below with a different set of players to bring up to date, so a row refreshed
 * by the `players` stage, by a season's build or by a full rebuild is the same row: the
 * incremental table equals `rebuildCuratedPlayers` by construction (and a test checks it).
 */

export interface PlayersWritten {
  /** Players looked at. */
  players: number;
  /** Rows inserted or changed (rows already right are left alone). */
  written: number;
  /** Rows removed: the player no longer has an appearance. */
  removed: number;
}

/**
 * Bring the rows of these players in line with core: their profile, current team and totals.
 * A player without appearances (any more) has no row. In the caller's transaction.
 */
export async function refreshCuratedPlayers(tx: Db, playerIds: readonly string[]): Promise<PlayersWritten> {
  if (playerIds.length === 0) return { players: 0, written: 0, removed: 0 };
  return writePlayers(
    tx,
    sql`SELECT DISTINCT value AS player_id FROM jsonb_array_elements_text(${JSON.stringify(playerIds)}::jsonb)`,
  );
}

/**
 * The rows of every player in the season's lineups (the build's share: totals move when a
 * season's matches do). A player dropped from a corrected lineup keeps his old totals until his
 * next refresh or a rebuild.
 */
export async function refreshSeasonPlayers(tx: Db, seasonId: string): Promise<PlayersWritten> {
  return writePlayers(
    tx,
    sql`SELECT DISTINCT a.player_id FROM core.appearances a JOIN core.matches m ON m.id = a.match_id
        WHERE m.season_id = ${seasonId}`,
  );
}

/** Recompute `curated.players` whole: every player with appearances, and no one else. */
export async function rebuildCuratedPlayers(db: Db): Promise<PlayersWritten> {
  return writePlayers(
    db,
    sql`SELECT player_id FROM curated.players UNION SELECT DISTINCT player_id FROM core.appearances`,
  );
}

/**
 * One statement: compute the rows of the `target` players from core, delete those that have no
 * appearance any more, upsert the rest where they differ (in player order, so concurrent
 * writers of overlapping players wait for each other instead of deadlocking).
 *
 * Appearances and minutes are counted as in `curated.player_appearances` (finished matches the
 * player started or came on and played in), over every competition and season. The current
 * team is the profile's, else the team of the player's latest appearance.
 */
async function writePlayers(tx: Db, target: SQL): Promise<PlayersWritten> {
  const [counts] = await rows<PlayersWritten>(
    tx,
    sql`
WITH target AS (${target}),
-- One pass over the target players' appearances (by player, then each match by key): a
-- per-player subquery let the planner walk every match by start time for each player.
stats AS (
  SELECT a.player_id, count(*) AS lineups,
    count(*) FILTER (WHERE m.status = 'finished' AND (a.starter OR coalesce(a.minutes, 0) > 0))::int AS appearances,
    coalesce(sum(a.minutes) FILTER (WHERE m.status = 'finished' AND (a.starter OR coalesce(a.minutes, 0) > 0)), 0)::int
      AS minutes,
    (array_agg(a.team_id ORDER BY m.start_time DESC, m.id COLLATE "C" DESC))[1] AS latest_team_id
  FROM (SELECT DISTINCT player_id FROM target) t
  JOIN core.appearances a ON a.player_id = t.player_id
  JOIN core.matches m ON m.id = a.match_id
  GROUP BY a.player_id
),
computed AS (
  SELECT p.id AS player_id, p.name, p.short_name, pp.position, pp.nationality, pp.date_of_birth, pp.height_cm,
    pp.preferred_foot, team.id AS team_id, team.name AS team_name, stats.appearances, stats.minutes,
    coalesce(pp.complete, false) AS profile_complete
  FROM stats
  JOIN core.participants p ON p.id = stats.player_id AND p.kind = 'player'
  LEFT JOIN core.player_profiles pp ON pp.player_id = p.id
  LEFT JOIN core.participants team ON team.id = coalesce(pp.team_id, stats.latest_team_id)
),
removed AS (
  DELETE FROM curated.players c USING target
  WHERE c.player_id = target.player_id AND NOT EXISTS (SELECT 1 FROM computed WHERE computed.player_id = c.player_id)
  RETURNING c.player_id
),
written AS (
  INSERT INTO curated.players AS c (player_id, name, short_name, position, nationality, date_of_birth, height_cm,
    preferred_foot, team_id, team_name, appearances, minutes, profile_complete)
  SELECT player_id, name, short_name, position, nationality, date_of_birth, height_cm, preferred_foot, team_id,
    team_name, appearances, minutes, profile_complete
  FROM computed ORDER BY player_id
  ON CONFLICT (player_id) DO UPDATE SET name = excluded.name, short_name = excluded.short_name,
    position = excluded.position, nationality = excluded.nationality, date_of_birth = excluded.date_of_birth,
    height_cm = excluded.height_cm, preferred_foot = excluded.preferred_foot, team_id = excluded.team_id,
    team_name = excluded.team_name, appearances = excluded.appearances, minutes = excluded.minutes,
    profile_complete = excluded.profile_complete
  WHERE (c.name, c.short_name, c.position, c.nationality, c.date_of_birth, c.height_cm, c.preferred_foot, c.team_id,
      c.team_name, c.appearances, c.minutes, c.profile_complete)
    IS DISTINCT FROM (excluded.name, excluded.short_name, excluded.position, excluded.nationality,
      excluded.date_of_birth, excluded.height_cm, excluded.preferred_foot, excluded.team_id, excluded.team_name,
      excluded.appearances, excluded.minutes, excluded.profile_complete)
  RETURNING c.player_id
)
SELECT (SELECT count(*) FROM computed)::int AS players, (SELECT count(*) FROM written)::int AS written,
  (SELECT count(*) FROM removed)::int AS removed`,
  );
  return {
    players: Number(counts?.players ?? 0),
    written: Number(counts?.written ?? 0),
    removed: Number(counts?.removed ?? 0),
  };
}
