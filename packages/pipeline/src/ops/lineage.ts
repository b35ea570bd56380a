import { core, type Db } from '@matchflow/db';
import { SOFASCORE_ENDPOINTS } from '@matchflow/sources';
import { and, asc, eq, inArray, or, type SQL, sql } from 'drizzle-orm';
import { PUBLISHED_TABLES, type PublishedTable } from '../publish/tables.js';
import { rows } from '../store/sql-rows.js';

/*
 * Lineage of a published row (`matchflow lineage <table> <key>`, docs/cli.md): the curated row as
 * the snapshot publishes it, the core rows it is computed from, and for each core row the raw
 * payload it came from (`raw_sha256` = `raw.payloads.sha256`): endpoint, key, fetched_at,
 * quarantined. Read from the database (the curated zone is what the latest build wrote), with a
 * few statements whatever the size of the chain.
 */

/** The published tables whose rows can be traced, in the order help lists them. */
export const LINEAGE_TABLES = [
  'standings',
  'matches',
  'player_appearances',
  'tennis_records',
  'players',
  'ratings',
  'seasons',
] as const;
export type LineageTable = (typeof LINEAGE_TABLES)[number];

/** Curated names accepted for the published ones. */
const ALIASES: Readonly<Record<string, LineageTable>> = {
  match_summary: 'matches',
  rating_leaderboard: 'ratings',
};

/** Separates the key's values (`demo-league.50001,3`): ids never hold a comma. */
export const LINEAGE_KEY_SEPARATOR = ',';

/** A table that cannot be traced or a key that does not parse (the CLI exits 2). */
export class LineageRequestError extends Error {
  override readonly name = 'LineageRequestError';
}

/** A parsed request: the table and its key, column by column. */
export interface LineageRequest {
  table: LineageTable;
  key: Record<string, string | number>;
}

/** The key columns a table's lineage key names, in order (the published table's key). */
export function lineageKeyColumns(table: LineageTable): readonly string[] {
  return publishedTable(table).key;
}

/**
 * Parse `<table> <key>`: the key is the published table's key values in its key order, joined by
 * commas (`standings demo-league.50001,3`; `matches sofascore.match.12000001`). For standings the
 * second value may be the team id instead of the position. Throws LineageRequestError.
 */
export function parseLineageRequest(tableName: string, key: string): LineageRequest {
  const table = (LINEAGE_TABLES as readonly string[]).includes(tableName)
    ? (tableName as LineageTable)
    : ALIASES[tableName];
  if (!table) {
    const published = PUBLISHED_TABLES.some((candidate) => candidate.name === tableName);
    throw new LineageRequestError(
      `${published ? `no lineage for table '${tableName}'` : `unknown table '${tableName}'`}: lineage traces ${LINEAGE_TABLES.join(', ')}`,
    );
  }
  const columns = lineageKeyColumns(table);
  const values = key.split(LINEAGE_KEY_SEPARATOR).map((value) => value.trim());
  const syntax =
    columns.join(LINEAGE_KEY_SEPARATOR) +
    (table === 'standings' ? ` (or season_id${LINEAGE_KEY_SEPARATOR}team_id)` : '');
  if (values.length !== columns.length || values.some((value) => value === ''))
    throw new LineageRequestError(`a ${table} key is ${syntax}, not '${key}'`);
  const parsed: Record<string, string | number> = {};
  columns.forEach((column, index) => {
    const value = values[index] as string;
    if (column !== 'position') parsed[column] = value;
    else if (/^\d+$/.test(value)) parsed.position = Number(value);
    else parsed.team_id = value;
  });
  return { table, key: parsed };
}

/** A raw payload a core row came from. */
export interface LineagePayload {
  id: number;
  source: string;
  endpoint: string;
  key: string;
  /** ISO 8601 UTC. */
  fetchedAt: string;
  sha256: string;
  quarantined: boolean;
  /** The run that fetched it first (an unchanged payload is stored once). */
  runId: string | null;
}

/** A core row of the chain and the payload it came from. */
export interface LineageCoreRow {
  /** `core.matches`, `core.appearances`, ... */
  table: string;
  /** The row's primary key. */
  key: Record<string, string | number>;
  /** A short description of the row (`2025-08-16T14:00:00.000Z finished a 2-1 b`). */
  summary: string;
  /** The payload sha the row records; null for a row written before lineage or from config. */
  rawSha256: string | null;
  /** That payload in raw; null when none is recorded or raw no longer holds it (retention). */
  payload: LineagePayload | null;
}

/** The chain of one published row. */
export interface Lineage {
  table: LineageTable;
  key: Record<string, string | number>;
  /** The row as the snapshot publishes it (columns of the published table). */
  row: Record<string, unknown>;
  core: LineageCoreRow[];
}

/** Where a core row's payload is expected (when known): narrows a lookup to its index. */
interface Expected {
  source: string;
  endpoint: string;
  key: string;
}

interface PendingRow extends Omit<LineageCoreRow, 'payload'> {
  expected?: Expected;
}

/**
 * The lineage of one published row: undefined when the curated zone has no row with that key.
 * Throws LineageRequestError for a table it cannot trace or a key that does not parse.
 */
export async function lineageOf(db: Db, tableName: string, key: string): Promise<Lineage | undefined> {
  const request = parseLineageRequest(tableName, key);
  const row = await publishedRow(db, request);
  if (!row) return undefined;
  const chain = await coreChain(db, request.table, row);
  return { table: request.table, key: request.key, row, core: await withPayloads(db, chain) };
}

function publishedTable(name: LineageTable): PublishedTable {
  return PUBLISHED_TABLES.find((table) => table.name === name) as PublishedTable;
}

/** The row the published table's own query gives for the key (the snapshot's bytes, before files). */
async function publishedRow(db: Db, request: LineageRequest): Promise<Record<string, unknown> | undefined> {
  const published = publishedTable(request.table);
  const conditions = Object.entries(request.key).map(([column, value]) => sql`${sql.identifier(column)} = ${value}`);
  const [row] = await rows<Record<string, unknown>>(
    db,
    sql`SELECT * FROM (${published.query}) AS published WHERE ${sql.join(conditions, sql` AND `)} LIMIT 1`,
  );
  return row;
}

const iso = (time: Date | null) => (time ? time.toISOString() : '-');

const matchColumns = {
  id: core.matches.id,
  seasonId: core.matches.seasonId,
  startTime: core.matches.startTime,
  status: core.matches.status,
  homeId: core.matches.homeId,
  awayId: core.matches.awayId,
  homeScore: core.matches.homeScore,
  awayScore: core.matches.awayScore,
  rawSha256: core.matches.rawSha256,
};
interface MatchRef {
  id: string;
  seasonId: string;
  startTime: Date;
  status: string;
  homeId: string;
  awayId: string;
  homeScore: number | null;
  awayScore: number | null;
  rawSha256: string | null;
}

function matchRow(match: MatchRef, upstream: Map<string, { source: string; key: string }>): PendingRow {
  const score = match.homeScore === null ? 'v' : `${match.homeScore}-${match.awayScore}`;
  const origin = upstream.get(match.id);
  return {
    table: 'core.matches',
    key: { id: match.id },
    summary: `${iso(match.startTime)} ${match.status} ${match.homeId} ${score} ${match.awayId}`,
    rawSha256: match.rawSha256,
    ...(origin ? { expected: { ...origin, endpoint: SOFASCORE_ENDPOINTS.event } } : {}),
  };
}

/** Where each match came from upstream: its source and upstream id (the payloads' key). */
async function upstreamIds(db: Db, matchIds: readonly string[]): Promise<Map<string, { source: string; key: string }>> {
  if (matchIds.length === 0) return new Map();
  const found = await db
    .select({ coreId: core.sourceIds.coreId, source: core.sourceIds.source, key: core.sourceIds.sourceId })
    .from(core.sourceIds)
    .where(and(eq(core.sourceIds.entity, 'match'), inArray(core.sourceIds.coreId, [...new Set(matchIds)])));
  return new Map(found.map((row) => [row.coreId, { source: row.source, key: row.key }]));
}

async function seasonRows(db: Db, seasonId: string): Promise<PendingRow[]> {
  const found = await db
    .select({ id: core.seasons.id, name: core.seasons.name, rawSha256: core.seasons.rawSha256 })
    .from(core.seasons)
    .where(eq(core.seasons.id, seasonId));
  return found.map((season) => ({
    table: 'core.seasons',
    key: { id: season.id },
    summary: season.name,
    rawSha256: season.rawSha256,
  }));
}

async function participantRows(db: Db, ids: readonly string[]): Promise<PendingRow[]> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return [];
  const found = await db
    .select({
      id: core.participants.id,
      kind: core.participants.kind,
      name: core.participants.name,
      rawSha256: core.participants.rawSha256,
    })
    .from(core.participants)
    .where(inArray(core.participants.id, wanted));
  const byId = new Map(found.map((participant) => [participant.id, participant]));
  return wanted.flatMap((id) => {
    const participant = byId.get(id);
    return participant
      ? [
          {
            table: 'core.participants',
            key: { id },
            summary: `${participant.kind} ${participant.name}`,
            rawSha256: participant.rawSha256,
          },
        ]
      : [];
  });
}

async function matchesWhere(db: Db, where: SQL | undefined): Promise<MatchRef[]> {
  return db
    .select(matchColumns)
    .from(core.matches)
    .where(where)
    .orderBy(asc(core.matches.startTime), asc(core.matches.id));
}

/** The finished matches of a season in which a participant was home or away. */
function playedIn(seasonId: string, participantId: string): SQL | undefined {
  return and(
    eq(core.matches.seasonId, seasonId),
    eq(core.matches.status, 'finished'),
    or(eq(core.matches.homeId, participantId), eq(core.matches.awayId, participantId)),
  );
}

interface AppearanceRef {
  matchId: string;
  playerId: string;
  teamId: string;
  starter: boolean;
  minutes: number | null;
  rawSha256: string | null;
}

function appearanceRow(appearance: AppearanceRef, upstream: Map<string, { source: string; key: string }>): PendingRow {
  const origin = upstream.get(appearance.matchId);
  return {
    table: 'core.appearances',
    key: { match_id: appearance.matchId, player_id: appearance.playerId },
    summary: `${appearance.teamId} ${appearance.starter ? 'started' : 'bench'}, ${appearance.minutes ?? '?'} min`,
    rawSha256: appearance.rawSha256,
    ...(origin ? { expected: { ...origin, endpoint: SOFASCORE_ENDPOINTS.lineups } } : {}),
  };
}

/** A player's appearances in finished matches (of one season and team, when given), match order. */
async function appearancesOf(
  db: Db,
  playerId: string,
  within?: { seasonId: string; teamId: string },
): Promise<AppearanceRef[]> {
  return db
    .select({
      matchId: core.appearances.matchId,
      playerId: core.appearances.playerId,
      teamId: core.appearances.teamId,
      starter: core.appearances.starter,
      minutes: core.appearances.minutes,
      rawSha256: core.appearances.rawSha256,
    })
    .from(core.appearances)
    .innerJoin(core.matches, eq(core.matches.id, core.appearances.matchId))
    .where(
      and(
        eq(core.appearances.playerId, playerId),
        eq(core.matches.status, 'finished'),
        within ? eq(core.matches.seasonId, within.seasonId) : undefined,
        within ? eq(core.appearances.teamId, within.teamId) : undefined,
      ),
    )
    .orderBy(asc(core.matches.startTime), asc(core.matches.id));
}

/** The core rows a published row is computed from, in a reading order (context first, then per match). */
async function coreChain(db: Db, table: LineageTable, row: Record<string, unknown>): Promise<PendingRow[]> {
  const text = (column: string) => String(row[column]);
  switch (table) {
    case 'standings': {
      const matches = await matchesWhere(db, playedIn(text('season_id'), text('team_id')));
      const upstream = await upstreamIds(
        db,
        matches.map((match) => match.id),
      );
      return [
        ...(await seasonRows(db, text('season_id'))),
        ...(await participantRows(db, [text('team_id')])),
        ...matches.map((match) => matchRow(match, upstream)),
      ];
    }
    case 'matches': {
      const matches = await matchesWhere(db, eq(core.matches.id, text('match_id')));
      const upstream = await upstreamIds(db, [text('match_id')]);
      return [
        ...matches.map((match) => matchRow(match, upstream)),
        ...(await seasonRows(db, text('season_id'))),
        ...(await participantRows(db, [text('home_id'), text('away_id')])),
      ];
    }
    case 'player_appearances': {
      const playerId = text('player_id');
      const appearances = await appearancesOf(db, playerId, { seasonId: text('season_id'), teamId: text('team_id') });
      const matchIds = appearances.map((appearance) => appearance.matchId);
      const matches =
        matchIds.length === 0 ? [] : await matchesWhere(db, inArray(core.matches.id, [...new Set(matchIds)]));
      const incidents =
        matchIds.length === 0
          ? []
          : await db
              .select({
                matchId: core.incidents.matchId,
                seq: core.incidents.seq,
                kind: core.incidents.kind,
                minute: core.incidents.minute,
                rawSha256: core.incidents.rawSha256,
              })
              .from(core.incidents)
              .where(
                and(
                  inArray(core.incidents.matchId, [...new Set(matchIds)]),
                  eq(core.incidents.playerId, playerId),
                  inArray(core.incidents.kind, ['goal', 'card']),
                ),
              )
              .orderBy(asc(core.incidents.matchId), asc(core.incidents.seq));
      const upstream = await upstreamIds(db, matchIds);
      const byMatch = new Map(matches.map((match) => [match.id, match]));
      const perMatch = appearances.flatMap((appearance) => {
        const match = byMatch.get(appearance.matchId);
        const origin = upstream.get(appearance.matchId);
        return [
          ...(match ? [matchRow(match, upstream)] : []),
          appearanceRow(appearance, upstream),
          ...incidents
            .filter((incident) => incident.matchId === appearance.matchId)
            .map(
              (incident): PendingRow => ({
                table: 'core.incidents',
                key: { match_id: incident.matchId, seq: incident.seq },
                summary: `${incident.kind} ${incident.minute ?? '?'}'`,
                rawSha256: incident.rawSha256,
                ...(origin ? { expected: { ...origin, endpoint: SOFASCORE_ENDPOINTS.incidents } } : {}),
              }),
            ),
        ];
      });
      return [...(await participantRows(db, [playerId, text('team_id')])), ...perMatch];
    }
    case 'tennis_records': {
      // As the build counts them: a match without a surface is on `unknown`.
      const kept = await matchesWhere(
        db,
        and(
          playedIn(text('season_id'), text('player_id')),
          sql`coalesce(${core.matches.surface}, 'unknown') = ${text('surface')}`,
        ),
      );
      const upstream = await upstreamIds(
        db,
        kept.map((match) => match.id),
      );
      return [
        ...(await seasonRows(db, text('season_id'))),
        ...(await participantRows(db, [text('player_id')])),
        ...kept.map((match) => matchRow(match, upstream)),
      ];
    }
    case 'players': {
      const playerId = text('player_id');
      const profiles = await db
        .select({
          playerId: core.playerProfiles.playerId,
          source: core.playerProfiles.source,
          sourceId: core.playerProfiles.sourceId,
          complete: core.playerProfiles.complete,
          rawSha256: core.playerProfiles.rawSha256,
        })
        .from(core.playerProfiles)
        .where(eq(core.playerProfiles.playerId, playerId));
      const appearances = await appearancesOf(db, playerId);
      const upstream = await upstreamIds(
        db,
        appearances.map((appearance) => appearance.matchId),
      );
      return [
        ...(await participantRows(db, [playerId])),
        ...profiles.map(
          (profile): PendingRow => ({
            table: 'core.player_profiles',
            key: { player_id: profile.playerId },
            summary: `${profile.source} player ${profile.sourceId}, ${profile.complete ? 'complete' : 'incomplete'}`,
            rawSha256: profile.rawSha256,
            expected: { source: profile.source, endpoint: SOFASCORE_ENDPOINTS.player, key: profile.sourceId },
          }),
        ),
        ...appearances.map((appearance) => appearanceRow(appearance, upstream)),
      ];
    }
    case 'ratings': {
      const lastMatch = row.last_match_id === null ? undefined : text('last_match_id');
      const matches = lastMatch ? await matchesWhere(db, eq(core.matches.id, lastMatch)) : [];
      const upstream = await upstreamIds(db, lastMatch ? [lastMatch] : []);
      return [
        ...(await participantRows(db, [text('participant_id')])),
        ...matches.map((match) => matchRow(match, upstream)),
      ];
    }
    case 'seasons':
      return seasonRows(db, text('season_id'));
  }
}

interface PayloadRow {
  id: number | string;
  source: string;
  endpoint: string;
  key: string;
  fetched_at: string;
  sha256: string;
  quarantined: boolean;
  run_id: string | null;
}

const PAYLOAD_COLUMNS = sql`p.id, p.source, p.endpoint, p.key,
  to_char(p.fetched_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS fetched_at,
  p.sha256, p.quarantined, p.run_id`;

/**
 * Find each row's payload by the sha it records. Where a row's payload is known to sit at one
 * endpoint and key (a match's event, lineups, incidents; a profile), the lookup goes through the
 * raw zone's (source, endpoint, key, sha256) index, as do the other rows' shas among those same
 * payloads (a team named by the event of one of the chain's matches). Only shas still unresolved
 * (a player first written by a lineup outside the chain, a season file) are looked up by sha alone.
 */
async function withPayloads(db: Db, chain: PendingRow[]): Promise<LineageCoreRow[]> {
  const shas = [...new Set(chain.flatMap((row) => (row.rawSha256 ? [row.rawSha256] : [])))];
  const found: PayloadRow[] = [];
  const hints = new Map<string, Expected>();
  for (const row of chain)
    if (row.expected) {
      // Each match key once per endpoint the chain's rows can come from.
      for (const endpoint of [SOFASCORE_ENDPOINTS.event, SOFASCORE_ENDPOINTS.lineups, row.expected.endpoint]) {
        const hint = { ...row.expected, endpoint };
        hints.set(JSON.stringify(hint), hint);
      }
    }
  if (shas.length > 0 && hints.size > 0)
    found.push(
      ...(await rows<PayloadRow>(
        db,
        sql`SELECT ${PAYLOAD_COLUMNS} FROM raw.payloads p
          JOIN jsonb_to_recordset(${JSON.stringify([...hints.values()])}::jsonb) AS h(source text, endpoint text, key text)
            ON p.source = h.source AND p.endpoint = h.endpoint AND p.key = h.key
          WHERE p.sha256 IN (SELECT jsonb_array_elements_text(${JSON.stringify(shas)}::jsonb))`,
      )),
    );
  const resolved = new Set(found.map((payload) => payload.sha256));
  const unresolved = shas.filter((sha) => !resolved.has(sha));
  if (unresolved.length > 0)
    found.push(
      ...(await rows<PayloadRow>(
        db,
        sql`SELECT ${PAYLOAD_COLUMNS} FROM raw.payloads p
          WHERE p.sha256 IN (SELECT jsonb_array_elements_text(${JSON.stringify(unresolved)}::jsonb))`,
      )),
    );
  // Oldest first: of equal bodies stored under several keys, the first fetched is the default.
  found.sort((a, b) => compare(a.fetched_at, b.fetched_at) || Number(a.id) - Number(b.id));
  return chain.map(({ expected, ...row }) => {
    const candidates = row.rawSha256 ? found.filter((payload) => payload.sha256 === row.rawSha256) : [];
    const exact = expected
      ? candidates.find(
          (payload) =>
            payload.source === expected.source &&
            payload.endpoint === expected.endpoint &&
            payload.key === expected.key,
        )
      : undefined;
    const payload = exact ?? candidates[0];
    return { ...row, payload: payload ? toPayload(payload) : null };
  });
}

function toPayload(row: PayloadRow): LineagePayload {
  return {
    id: Number(row.id),
    source: row.source,
    endpoint: row.endpoint,
    key: row.key,
    fetchedAt: row.fetched_at,
    sha256: row.sha256,
    quarantined: row.quarantined,
    runId: row.run_id,
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
