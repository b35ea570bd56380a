import { type Db, ratings } from '@matchflow/db';
import type {
  CanonicalAppearance,
  CanonicalIncident,
  CanonicalMatch,
  CanonicalParticipant,
  CanonicalSeason,
  Sport,
} from '@matchflow/sources';
import { sql } from 'drizzle-orm';
import { coreIds } from './core-ids.js';
import { rows } from './sql-rows.js';

/** One match and everything around it, as an adapter produced it. */
export interface MatchRecords {
  source: string;
  /** Our config id and the competition's name and sport. */
  competition: { id: string; name: string; sport: Sport };
  season: CanonicalSeason;
  /** The two sides (teams, or tennis players). */
  sides: CanonicalParticipant[];
  match: CanonicalMatch;
  /** When lineups were fetched: the players and who played. Replaces what core held. */
  lineup?: { players: CanonicalParticipant[]; appearances: CanonicalAppearance[] };
  /** When incidents were fetched: replaces what core held. */
  incidents?: CanonicalIncident[];
  /** Lineage: the raw payloads the records came from (absent: the rows record none). */
  lineage?: RecordsLineage;
}

/**
 * Lineage of a match's records: the SHA-256 (`raw.payloads.sha256`) of the payload each part came
 * from, recorded in the rows' `raw_sha256`. An unchanged payload (stored once) still names its
 * rows' source, so ingest passes the sha of every payload it fetched, new or not.
 */
export interface RecordsLineage {
  /** The match row, its season and its sides (Sofascore: the event payload; openfootball: the season file). */
  match: string;
  /** The appearances and their players (Sofascore: the lineups payload). */
  lineup?: string;
  /** The incidents (Sofascore: the incidents payload). */
  incidents?: string;
}

export interface UpsertOutcome {
  matchId: string;
  created: boolean;
  /** A final result appeared, changed, or went away: ratings must be recomputed from here. */
  resultChanged: boolean;
  /**
   * Where ratings go stale when `resultChanged`: the earlier of the match's old and new start
   * times, since a rescheduled result leaves stale ratings at both places.
   */
  ratingsStaleFrom: Date;
}

/**
 * Write one match's canonical records into core, in the caller's transaction. Idempotent: the
 * same records again change no row (not even `updated_at`), so a repeated ingest leaves core
 * byte-for-byte as it was. `upsertReferenceRecords` + `upsertMatchRow`, for callers that write
 * many matches in one transaction (a season file).
 */
export async function upsertMatchRecords(tx: Db, records: MatchRecords): Promise<UpsertOutcome> {
  await upsertReferenceRecords(tx, records);
  return upsertMatchRow(tx, records);
}

/*
 * The two statements below are one round trip each whatever the number of players or
 * incidents: the rows travel as one jsonb parameter, so the statement's text never changes and
 * the driver prepares it once per connection. Per-match ingest is bound by round trips to the
 * database (each a socket write and a wake-up on both sides), not by the work in them.
 */

/**
 * The records a match refers to and shares with every other match of its competition: the
 * competition, the season, the sides and players, their source ids — each written only where
 * it differs from what core holds, in one statement. Rows that are already right are not even
 * locked: `INSERT .. ON CONFLICT DO UPDATE` locks the existing row however its `WHERE` turns
 * out, and doing that inside each match's transaction made every concurrent ingest of a
 * competition wait for the others to commit. Per-match ingest runs this on its own, before the
 * match's transaction, whose foreign keys then find the rows.
 */
export async function upsertReferenceRecords(db: Db, records: MatchRecords): Promise<void> {
  const { source, match, competition, season } = records;
  const seasonId = coreIds.season(competition.id, season.sourceId);
  const matchSha = records.lineage?.match ?? null;
  const lineupSha = records.lineage?.lineup ?? null;
  const participant = (from: CanonicalParticipant, rawSha256: string | null) => {
    const id = participantId(source, from);
    return [
      id,
      {
        id,
        kind: from.kind,
        name: from.name,
        short_name: from.shortName ?? null,
        country: from.country ?? null,
        source_id: from.sourceId,
        raw_sha256: rawSha256,
      },
    ] as const;
  };
  const participants = new Map([
    ...records.sides.map((side) => participant(side, matchSha)),
    ...(records.lineup?.players ?? []).map((player) => participant(player, lineupSha)),
  ]);
  const year = season.year ?? null;
  await db.execute(sql`
WITH competition_written AS (
  INSERT INTO core.competitions AS c (id, name, sport)
  SELECT ${competition.id}::text, ${competition.name}::text, ${competition.sport}::text
  WHERE NOT EXISTS (SELECT 1 FROM core.competitions
    WHERE id = ${competition.id}::text AND name = ${competition.name}::text AND sport = ${competition.sport}::text)
  ON CONFLICT (id) DO UPDATE SET name = excluded.name, sport = excluded.sport, updated_at = now()
  WHERE (c.name, c.sport) IS DISTINCT FROM (excluded.name, excluded.sport)
), season_written AS (
  -- raw_sha256 names the payload that last changed the row (a row already right is not touched,
  -- not even to name a newer payload: see above), or fills it in where core has none yet.
  INSERT INTO core.seasons AS s (id, competition_id, name, year, raw_sha256)
  SELECT ${seasonId}::text, ${competition.id}::text, ${season.name}::text, ${year}::text, ${matchSha}::text
  WHERE NOT EXISTS (SELECT 1 FROM core.seasons
    WHERE id = ${seasonId}::text AND name = ${season.name}::text AND year IS NOT DISTINCT FROM ${year}::text
      AND (raw_sha256 IS NOT NULL OR ${matchSha}::text IS NULL))
  ON CONFLICT (id) DO UPDATE SET name = excluded.name, year = excluded.year, raw_sha256 = excluded.raw_sha256,
    updated_at = CASE WHEN (s.name, s.year) IS DISTINCT FROM (excluded.name, excluded.year) THEN now() ELSE s.updated_at END
  WHERE (s.name, s.year) IS DISTINCT FROM (excluded.name, excluded.year)
     OR (s.raw_sha256 IS NULL AND excluded.raw_sha256 IS NOT NULL)
), incoming AS (
  SELECT * FROM jsonb_to_recordset(${JSON.stringify([...participants.values()])}::jsonb)
    AS x(id text, kind text, name text, short_name text, country text, source_id text, raw_sha256 text)
), differing AS (
  SELECT incoming.*, held.id IS NULL AS is_new FROM incoming
  LEFT JOIN core.participants held ON held.id = incoming.id
  WHERE held.id IS NULL
     OR (held.name, held.short_name, held.country) IS DISTINCT FROM (incoming.name, incoming.short_name, incoming.country)
     OR (held.raw_sha256 IS NULL AND incoming.raw_sha256 IS NOT NULL)
), participants_written AS (
  -- In id order: concurrent ingests sharing new players then wait for each other in one order.
  INSERT INTO core.participants AS p (id, kind, name, short_name, country, raw_sha256)
  SELECT id, kind, name, short_name, country, raw_sha256 FROM differing ORDER BY id
  ON CONFLICT (id) DO UPDATE SET name = excluded.name, short_name = excluded.short_name,
    country = excluded.country, raw_sha256 = excluded.raw_sha256,
    updated_at = CASE WHEN (p.name, p.short_name, p.country) IS DISTINCT FROM (excluded.name, excluded.short_name, excluded.country)
      THEN now() ELSE p.updated_at END
  WHERE (p.name, p.short_name, p.country) IS DISTINCT FROM (excluded.name, excluded.short_name, excluded.country)
     OR (p.raw_sha256 IS NULL AND excluded.raw_sha256 IS NOT NULL)
)
INSERT INTO core.source_ids (source, entity, source_id, core_id)
SELECT ${source}::text, 'participant', source_id, id FROM differing WHERE is_new
UNION ALL SELECT ${source}::text, 'season', ${season.sourceId}::text, ${seasonId}::text
UNION ALL SELECT ${source}::text, 'match', ${match.sourceId}::text, ${coreIds.match(source, match.sourceId)}::text
ON CONFLICT DO NOTHING`);
}

const MATCH_COLUMNS = [
  'start_time',
  'status',
  'home_id',
  'away_id',
  'home_score',
  'away_score',
  'home_penalties',
  'away_penalties',
  'home_score_regular',
  'away_score_regular',
  'status_detail',
  'periods',
  'winner',
  'neutral',
  'surface',
  'round',
  'round_name',
  'source_changed_at',
] as const;
const APPEARANCE_COLUMNS = ['team_id', 'side', 'starter', 'minutes', '"position"', 'shirt_number'] as const;
const INCIDENT_COLUMNS = ['kind', 'minute', 'added_time', 'side', 'player_id', 'detail'] as const;

/** `(t.a, t.b) IS DISTINCT FROM (excluded.a, excluded.b)` */
function differs(table: string, columns: readonly string[]): string {
  return `(${columns.map((column) => `${table}.${column}`).join(', ')}) IS DISTINCT FROM (${columns.map((column) => `excluded.${column}`).join(', ')})`;
}
function takeExcluded(columns: readonly string[]): string {
  return columns.map((column) => `${column} = excluded.${column}`).join(', ');
}
/**
 * A newer payload names the row even when it maps to the same values (the per-match rows belong
 * to one match's transaction, so rewriting them costs no contention); records without lineage
 * leave the recorded one as it is unless the values change.
 */
function payloadDiffers(table: string): string {
  return `(excluded.raw_sha256 IS NOT NULL AND ${table}.raw_sha256 IS DISTINCT FROM excluded.raw_sha256)`;
}

const MATCH_UPSERT = sql.raw(`
  INSERT INTO core.matches AS m (id, competition_id, season_id, ${MATCH_COLUMNS.join(', ')}, raw_sha256)
  SELECT id, competition_id, season_id, ${MATCH_COLUMNS.join(', ')}, raw_sha256 FROM incoming_match
  ON CONFLICT (id) DO UPDATE SET ${takeExcluded(MATCH_COLUMNS)}, raw_sha256 = excluded.raw_sha256,
    updated_at = CASE WHEN ${differs('m', MATCH_COLUMNS)} THEN now() ELSE m.updated_at END
  WHERE ${differs('m', MATCH_COLUMNS)} OR ${payloadDiffers('m')}`);
const APPEARANCES_UPSERT = sql.raw(`
  INSERT INTO core.appearances AS a (match_id, player_id, ${APPEARANCE_COLUMNS.join(', ')}, raw_sha256)
  SELECT match_id, player_id, ${APPEARANCE_COLUMNS.join(', ')}, raw_sha256 FROM incoming_appearances
  ON CONFLICT (match_id, player_id) DO UPDATE SET ${takeExcluded(APPEARANCE_COLUMNS)}, raw_sha256 = excluded.raw_sha256
  WHERE ${differs('a', APPEARANCE_COLUMNS)} OR ${payloadDiffers('a')}`);
const INCIDENTS_UPSERT = sql.raw(`
  INSERT INTO core.incidents AS i (match_id, seq, ${INCIDENT_COLUMNS.join(', ')}, raw_sha256)
  SELECT match_id, seq, ${INCIDENT_COLUMNS.join(', ')}, raw_sha256 FROM incoming_incidents
  ON CONFLICT (match_id, seq) DO UPDATE SET ${takeExcluded(INCIDENT_COLUMNS)}, raw_sha256 = excluded.raw_sha256
  WHERE ${differs('i', INCIDENT_COLUMNS)} OR ${payloadDiffers('i')}`);

interface PreviousMatch {
  status: string;
  start_time: Date | string;
  home_score: number | null;
  away_score: number | null;
  home_penalties: number | null;
  away_penalties: number | null;
  winner: string | null;
  neutral: boolean;
}

/**
 * The match row, and its appearances and incidents when the records carry them (each set then
 * replaces what core held), in the caller's transaction and in one statement; the records it
 * refers to must exist (`upsertReferenceRecords`). Rows already right are left untouched.
 */
export async function upsertMatchRow(tx: Db, records: MatchRecords): Promise<UpsertOutcome> {
  const { source, match } = records;
  const seasonId = coreIds.season(records.competition.id, records.season.sourceId);
  const matchId = coreIds.match(source, match.sourceId);
  const sideKind = records.sides[0]?.kind ?? 'team';
  const row = {
    id: matchId,
    competition_id: records.competition.id,
    season_id: seasonId,
    start_time: match.startTime.toISOString(),
    status: match.status,
    home_id: coreIds.participant(source, sideKind, match.homeSourceId),
    away_id: coreIds.participant(source, sideKind, match.awaySourceId),
    home_score: match.score?.home ?? null,
    away_score: match.score?.away ?? null,
    home_penalties: match.penalties?.home ?? null,
    away_penalties: match.penalties?.away ?? null,
    home_score_regular: match.regularTimeScore?.home ?? null,
    away_score_regular: match.regularTimeScore?.away ?? null,
    status_detail: match.statusDetail ?? null,
    periods: match.periods,
    winner: match.winner ?? null,
    neutral: match.neutral,
    surface: match.surface ?? null,
    round: match.round ?? null,
    round_name: match.roundName ?? null,
    source_changed_at: match.sourceChangedAt?.toISOString() ?? null,
    raw_sha256: records.lineage?.match ?? null,
  };
  const appearances = (records.lineup?.appearances ?? []).map((appearance) => ({
    match_id: matchId,
    player_id: coreIds.participant(source, 'player', appearance.playerSourceId),
    team_id: coreIds.participant(source, 'team', appearance.teamSourceId),
    side: appearance.side,
    starter: appearance.starter,
    minutes: appearance.minutes ?? null,
    position: appearance.position ?? null,
    shirt_number: appearance.shirtNumber ?? null,
    raw_sha256: records.lineage?.lineup ?? null,
  }));
  const incidents = (records.incidents ?? []).map((incident) => ({
    match_id: matchId,
    seq: incident.seq,
    kind: incident.kind,
    minute: incident.minute ?? null,
    added_time: incident.addedTime ?? null,
    side: incident.side ?? null,
    player_id: incident.playerSourceId ? coreIds.participant(source, 'player', incident.playerSourceId) : null,
    detail: incident.detail,
    raw_sha256: records.lineage?.incidents ?? null,
  }));
  // The CTEs see core as it was before the statement: `previous` is the row before this write.
  const [previous] = await rows<PreviousMatch>(
    tx,
    sql`
WITH incoming_match AS (
  SELECT * FROM jsonb_to_record(${JSON.stringify(row)}::jsonb) AS x(
    id text, competition_id text, season_id text, start_time timestamptz, status text, home_id text, away_id text,
    home_score int, away_score int, home_penalties int, away_penalties int, home_score_regular int,
    away_score_regular int, status_detail text, periods jsonb, winner text, neutral boolean, surface text,
    round int, round_name text, source_changed_at timestamptz, raw_sha256 text)
), previous AS (
  SELECT status, start_time, home_score, away_score, home_penalties, away_penalties, winner, neutral
  FROM core.matches WHERE id = ${matchId}::text
), match_written AS (${MATCH_UPSERT}
), incoming_appearances AS (
  SELECT * FROM jsonb_to_recordset(${JSON.stringify(appearances)}::jsonb) AS x(
    match_id text, player_id text, team_id text, side text, starter boolean, minutes int, "position" text,
    shirt_number int, raw_sha256 text)
), appearances_removed AS (
  DELETE FROM core.appearances WHERE ${records.lineup !== undefined}::boolean AND match_id = ${matchId}::text
    AND player_id NOT IN (SELECT player_id FROM incoming_appearances)
), appearances_written AS (${APPEARANCES_UPSERT}
), incoming_incidents AS (
  SELECT * FROM jsonb_to_recordset(${JSON.stringify(incidents)}::jsonb) AS x(
    match_id text, seq int, kind text, minute int, added_time int, side text, player_id text, detail jsonb,
    raw_sha256 text)
), incidents_removed AS (
  DELETE FROM core.incidents WHERE ${records.incidents !== undefined}::boolean AND match_id = ${matchId}::text
    AND seq NOT IN (SELECT seq FROM incoming_incidents)
), incidents_written AS (${INCIDENTS_UPSERT}
)
SELECT * FROM previous`,
  );
  const startTime = match.startTime;
  const previousStart = previous ? new Date(previous.start_time) : undefined;
  const ratingsStaleFrom =
    previous?.status === 'finished' && previousStart !== undefined && previousStart < startTime
      ? previousStart
      : startTime;
  return {
    matchId,
    created: previous === undefined,
    resultChanged: resultChanged(previous, previousStart, row, startTime),
    ratingsStaleFrom,
  };
}

function participantId(source: string, participant: Pick<CanonicalParticipant, 'kind' | 'sourceId'>): string {
  return coreIds.participant(source, participant.kind, participant.sourceId);
}

function resultChanged(
  previous: PreviousMatch | undefined,
  previousStart: Date | undefined,
  next: Pick<PreviousMatch, Exclude<keyof PreviousMatch, 'start_time'>>,
  nextStart: Date,
): boolean {
  const wasFinal = previous?.status === 'finished';
  const isFinal = next.status === 'finished';
  if (!wasFinal && !isFinal) return false;
  if (wasFinal !== isFinal || !previous) return true;
  return (
    previous.home_score !== next.home_score ||
    previous.away_score !== next.away_score ||
    previous.home_penalties !== next.home_penalties ||
    previous.away_penalties !== next.away_penalties ||
    previous.winner !== next.winner ||
    previousStart?.getTime() !== nextStart.getTime() ||
    previous.neutral !== next.neutral
  );
}

/**
 * The pool's ratings are stale from this match on. A row per mark, never an update of a shared
 * row: concurrent ingests of a pool do not wait for each other's commits. The ratings stage
 * replays from the earliest and removes exactly the marks it read, so a mark committed while it
 * ran is left for the next batch.
 */
export async function markRatingsDirty(tx: Db, poolId: string, startTime: Date, matchId: string): Promise<void> {
  await tx
    .insert(ratings.dirtyMarkers)
    .values({ poolId, fromStartTime: startTime, fromMatchId: matchId, markedAt: sql`clock_timestamp()` });
}
