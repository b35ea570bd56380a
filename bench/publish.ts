import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '@matchflow/config';
import { migrate, openPglite, ops } from '@matchflow/db';
import { publishSnapshot, type SnapshotManifest } from '@matchflow/pipeline';
import { eq, sql } from 'drizzle-orm';

/*
 * Publishing a large curated zone: 40 seasons of a 20-team league (15,200 matches, 800 table
 * rows, 40,000 player-season rows, a 2,000-team leaderboard) in an embedded PGlite, published as a
 * whole snapshot: stream every published table under the lock to CSV and NDJSON files, hashing
 * as it writes, fsync, record. Each timed publish follows a one-row change, so it really writes;
 * the unchanged case (stream, compare, remove the temporary files) is timed too.
 */

export interface PublishFigures {
  rows: number;
  bytes: number;
  publishMs: number;
  unchangedMs: number;
}

const SEASONS = 40;
const TEAMS = 20;
const PLAYERS_PER_TEAM = 50;

export async function benchPublish(): Promise<PublishFigures> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'matchflow-bench-publish-'));
  const database = await openPglite();
  try {
    await migrate(database);
    const db = database.db;
    await db.execute(sql`INSERT INTO core.competitions (id, name, sport) VALUES ('bench', 'Bench League', 'football')`);
    await db.execute(sql`INSERT INTO core.seasons (id, competition_id, name, year)
      SELECT 'bench.' || s, 'bench', 'Season ' || s, s::text FROM generate_series(1, ${SEASONS}) s`);
    await db.execute(sql`INSERT INTO core.participants (id, kind, name)
      SELECT 'bench.team.' || t, 'team', 'Team ' || t FROM generate_series(1, ${TEAMS}) t`);
    await db.execute(sql`INSERT INTO curated.standings (competition_id, season_id, participant_id, position, played,
        won, drawn, lost, goals_for, goals_against, points, form)
      SELECT 'bench', 'bench.' || s, 'bench.team.' || t, t, 38, 20 - t / 2, 8, 10 + t / 2 - 8 + 8, 60 - t, 30 + t,
        (20 - t / 2) * 3 + 8, 'WDLWW'
      FROM generate_series(1, ${SEASONS}) s, generate_series(1, ${TEAMS}) t`);
    await db.execute(sql`INSERT INTO curated.match_summary (match_id, competition_id, season_id, start_time, status,
        status_detail, round, home_id, home_name, away_id, away_name, home_score, away_score, winner, pool_id,
        home_rating_pre, away_rating_pre, expected_home)
      SELECT 'bench.match.' || s || '.' || m, 'bench', 'bench.' || s,
        timestamptz '2000-08-01 15:00Z' + (s * 365 + m / 10) * interval '1 day', 'finished', 'regular', m / 10 + 1,
        'bench.team.' || (m % 20 + 1), 'Team ' || (m % 20 + 1), 'bench.team.' || ((m + 7) % 20 + 1),
        'Team ' || ((m + 7) % 20 + 1), m % 4, m % 3, CASE WHEN m % 4 > m % 3 THEN 'home' WHEN m % 4 < m % 3 THEN 'away' ELSE 'draw' END,
        'football', 1500 + sin(m) * 100, 1500 + cos(m) * 100, 0.5 + sin(m) / 5
      FROM generate_series(1, ${SEASONS}) s, generate_series(0, 379) m`);
    await db.execute(sql`INSERT INTO curated.player_appearances (competition_id, season_id, player_id, player_name,
        team_id, appearances, starts, minutes, goals, yellow_cards, red_cards)
      SELECT 'bench', 'bench.' || s, 'bench.player.' || t || '.' || p, 'Player ' || t || '-' || p, 'bench.team.' || t,
        p % 38, p % 30, (p % 38) * 80, p % 7, p % 5, p % 2
      FROM generate_series(1, ${SEASONS}) s, generate_series(1, ${TEAMS}) t, generate_series(1, ${PLAYERS_PER_TEAM}) p`);
    await db.execute(sql`INSERT INTO curated.rating_leaderboard (pool_id, rank, participant_id, name, rating, games,
        last_match_id, change_30d)
      SELECT 'football', r, 'bench.team.x' || r, 'Team x' || r, 2000 - r * 0.37, 500 + r, NULL, sin(r) * 12
      FROM generate_series(1, 2000) r`);

    const config = loadConfig({}, JSON.stringify({ publishDir: work, retention: { snapshotsKeep: 2 } }));
    const deps = { db, config };
    await publishSnapshot(deps, { runId: 'run-bench-warmup' });
    const timings: number[] = [];
    for (let round = 1; round <= 5; round += 1) {
      // One row changes, so the snapshot really is new.
      await db.execute(sql`UPDATE curated.standings SET form = ${`W${round}`}
        WHERE season_id = 'bench.1' AND position = 1`);
      const started = performance.now();
      const outcome = await publishSnapshot(deps, { runId: `run-bench-${round}` });
      timings.push(performance.now() - started);
      if (outcome.status !== 'published') throw new Error(`expected a publish, got ${outcome.status}`);
    }
    const unchangedStarted = performance.now();
    const unchanged = await publishSnapshot(deps, { runId: 'run-bench-unchanged' });
    const unchangedMs = performance.now() - unchangedStarted;
    if (unchanged.status !== 'unchanged') throw new Error(`expected unchanged, got ${unchanged.status}`);
    const [latest] = await db
      .select({ manifest: ops.snapshots.manifest })
      .from(ops.snapshots)
      .where(eq(ops.snapshots.latest, true));
    const tables = (latest?.manifest as SnapshotManifest | undefined)?.tables ?? [];
    return {
      rows: tables.reduce((sum, table) => sum + table.rows, 0),
      bytes: tables.flatMap((table) => table.files).reduce((sum, file) => sum + file.bytes, 0),
      publishMs: timings.sort((a, b) => a - b)[Math.floor(timings.length / 2)] as number,
      unchangedMs,
    };
  } finally {
    await database.close();
    rmSync(work, { recursive: true, force: true });
  }
}
