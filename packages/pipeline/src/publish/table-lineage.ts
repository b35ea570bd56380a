import type { Db } from '@matchflow/db';
import { sql } from 'drizzle-orm';
import { rows } from '../store/sql-rows.js';
import { PUBLISHED_TABLES, type TableLineage } from './tables.js';

/*
 * The manifest's per-table lineage (docs/consumption.md): which runs last wrote a table's rows
 * and how far the core data it draws on reaches, per source. A handful of aggregate statements
 * per publish, whatever the number of tables: per competition-season and source once, then
 * combined per table from the seasons each table declares (`PublishedTable.seasons`).
 * Everything is read from the database (no clock), so equal data gives an equal lineage; and
 * `manifest.json` is not in SHA256SUMS, so the content hash never depends on it.
 */

/** The tables whose rows also draw on `core.player_profiles` (and the `players` stage). */
const PROFILE_TABLES: ReadonlySet<string> = new Set(['players']);
/** The standalone stage that writes profiles and refreshes `curated.players`. */
const PROFILE_STAGE = 'players';

type SourceWatermark = TableLineage['sources'][string];

interface SeasonSourceRow {
  season_id: string;
  source: string;
  matches: number | string;
  last_fetched_at: string | null;
  last_updated_at: string | null;
}

/** ISO 8601 UTC text of the newest value (both drivers give the same text). */
const newest = (column: ReturnType<typeof sql>) =>
  sql`to_char(max(${column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Per published table: the publishing run, the runs whose stages last wrote its rows (the last
 * passing `build` of each season it draws on; for `players` also the last passing `players`
 * stage) and per source the core matches it draws on: how many, their newest `updated_at`, and
 * the newest `fetched_at` of the raw payloads they came from (`raw_sha256`).
 */
export async function readTableLineage(tx: Db, runId: string): Promise<Map<string, TableLineage>> {
  const withSeasons = PUBLISHED_TABLES.filter((table) => table.seasons !== undefined);
  const tableSeasons =
    withSeasons.length === 0
      ? []
      : await rows<{ table_name: string; season_id: string }>(
          tx,
          sql.join(
            withSeasons.map(
              (table) => sql`SELECT ${table.name}::text AS table_name, season_id FROM (${table.seasons}) AS drawn`,
            ),
            sql` UNION ALL `,
          ),
        );
  const seasonSources = await rows<SeasonSourceRow>(
    tx,
    sql`SELECT m.season_id, s.source, count(DISTINCT m.id) AS matches,
        ${newest(sql`p.fetched_at`)} AS last_fetched_at, ${newest(sql`m.updated_at`)} AS last_updated_at
      FROM core.matches m
      JOIN core.source_ids s ON s.entity = 'match' AND s.core_id = m.id
      LEFT JOIN raw.payloads p ON p.source = s.source AND p.sha256 = m.raw_sha256
      GROUP BY m.season_id, s.source`,
  );
  // Build stage rows are keyed by the season id (`scopeKey`): the last passing one wrote its tables.
  const builds = await rows<{ scope_key: string; run_id: string }>(
    tx,
    sql`SELECT DISTINCT ON (scope_key) scope_key, run_id FROM ops.stage_runs
      WHERE stage = 'build' AND status = 'ok'
      ORDER BY scope_key, finished_at DESC NULLS LAST, run_id DESC`,
  );
  const profileRuns = await rows<{ run_id: string }>(
    tx,
    sql`SELECT run_id FROM ops.stage_runs WHERE stage = ${PROFILE_STAGE} AND status IN ('ok', 'partial')
      ORDER BY finished_at DESC NULLS LAST, run_id DESC LIMIT 1`,
  );
  const profiles = await rows<Omit<SeasonSourceRow, 'season_id'>>(
    tx,
    sql`SELECT pp.source, count(*) AS matches,
        ${newest(sql`p.fetched_at`)} AS last_fetched_at, ${newest(sql`pp.updated_at`)} AS last_updated_at
      FROM core.player_profiles pp
      LEFT JOIN raw.payloads p ON p.source = pp.source AND p.endpoint = 'player' AND p.key = pp.source_id
        AND p.sha256 = pp.raw_sha256
      GROUP BY pp.source`,
  );

  const buildOf = new Map(builds.map((row) => [row.scope_key, row.run_id]));
  const sourcesOf = new Map<string, SeasonSourceRow[]>();
  for (const row of seasonSources) sourcesOf.set(row.season_id, [...(sourcesOf.get(row.season_id) ?? []), row]);
  const seasonsOf = new Map<string, string[]>();
  for (const row of tableSeasons)
    seasonsOf.set(row.table_name, [...(seasonsOf.get(row.table_name) ?? []), row.season_id]);

  const lineage = new Map<string, TableLineage>();
  for (const table of PUBLISHED_TABLES) {
    const runs = new Set<string>();
    const sources = new Map<string, SourceWatermark>();
    for (const season of seasonsOf.get(table.name) ?? []) {
      const built = buildOf.get(season);
      if (built) runs.add(built);
      for (const row of sourcesOf.get(season) ?? [])
        merge(sources, row.source, { matches: Number(row.matches), ...times(row) });
    }
    if (PROFILE_TABLES.has(table.name)) {
      for (const row of profileRuns) runs.add(row.run_id);
      for (const row of profiles)
        merge(sources, row.source, { matches: 0, profiles: Number(row.matches), ...times(row) });
    }
    lineage.set(table.name, {
      published_run_id: runId,
      written_run_ids: [...runs].sort(byteWise),
      sources: Object.fromEntries([...sources].sort(([a], [b]) => byteWise(a, b))),
    });
  }
  return lineage;
}

function times(row: Pick<SeasonSourceRow, 'last_fetched_at' | 'last_updated_at'>) {
  return { last_fetched_at: row.last_fetched_at, last_updated_at: row.last_updated_at };
}

/** Add a season's (or the profiles') figures to a table's entry for the source: counts add up, times keep the newest. */
function merge(sources: Map<string, SourceWatermark>, source: string, next: SourceWatermark): void {
  const held = sources.get(source);
  if (!held) {
    sources.set(source, next);
    return;
  }
  const profiles = (held.profiles ?? 0) + (next.profiles ?? 0);
  sources.set(source, {
    matches: held.matches + next.matches,
    ...(held.profiles !== undefined || next.profiles !== undefined ? { profiles } : {}),
    last_fetched_at: later(held.last_fetched_at, next.last_fetched_at),
    last_updated_at: later(held.last_updated_at, next.last_updated_at),
  });
}

/** The later of two ISO 8601 UTC texts of one format (they sort as text). */
function later(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}

function byteWise(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
