import { core, type Db, ratings } from '@matchflow/db';
import type {
  CanonicalAppearance,
  CanonicalIncident,
  CanonicalMatch,
  CanonicalParticipant,
  CanonicalSeason,
  Sport,
} from '@matchflow/sources';
import { eq, sql } from 'drizzle-orm';
import { coreIds } from './core-ids.js';

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

/** `(a, b, ...) IS DISTINCT FROM (excluded.a, ...)`: rewrite a row only when a value changed. */
function changed(table: string, columns: string[]) {
  const current = columns.map((column) => `${table}.${column}`).join(', ');
  const incoming = columns.map((column) => `excluded.${column}`).join(', ');
  return sql.raw(`(${current}) IS DISTINCT FROM (${incoming})`);
}

function participantId(source: string, participant: Pick<CanonicalParticipant, 'kind' | 'sourceId'>): string {
  return coreIds.participant(source, participant.kind, participant.sourceId);
}

/**
 * Write one match's canonical records into core, in the caller's transaction. Idempotent: the
 * same records again change no row (not even `updated_at`), so a repeated ingest leaves core
 * byte-for-byte as it was.
 */
export async function upsertMatchRecords(tx: Db, records: MatchRecords): Promise<UpsertOutcome> {
  const { source, match } = records;
  const seasonId = coreIds.season(records.competition.id, records.season.sourceId);
  const matchId = coreIds.match(source, match.sourceId);
  const sideKind = records.sides[0]?.kind ?? 'team';
  const homeId = coreIds.participant(source, sideKind, match.homeSourceId);
  const awayId = coreIds.participant(source, sideKind, match.awaySourceId);

  await tx
    .insert(core.competitions)
    .values({ id: records.competition.id, name: records.competition.name, sport: records.competition.sport })
    .onConflictDoUpdate({
      target: core.competitions.id,
      set: { name: sql`excluded.name`, sport: sql`excluded.sport`, updatedAt: sql`now()` },
      setWhere: changed('core.competitions', ['name', 'sport']),
    });
  await tx
    .insert(core.seasons)
    .values({
      id: seasonId,
      competitionId: records.competition.id,
      name: records.season.name,
      year: records.season.year,
    })
    .onConflictDoUpdate({
      target: core.seasons.id,
      set: { name: sql`excluded.name`, year: sql`excluded.year`, updatedAt: sql`now()` },
      setWhere: changed('core.seasons', ['name', 'year']),
    });
  await upsertParticipants(tx, source, [...records.sides, ...(records.lineup?.players ?? [])]);
  await tx
    .insert(core.sourceIds)
    .values([
      { source, entity: 'season', sourceId: records.season.sourceId, coreId: seasonId },
      { source, entity: 'match', sourceId: match.sourceId, coreId: matchId },
    ])
    .onConflictDoNothing();

  const [previous] = await tx.select().from(core.matches).where(eq(core.matches.id, matchId));
  const row = {
    id: matchId,
    competitionId: records.competition.id,
    seasonId,
    startTime: match.startTime,
    status: match.status,
    homeId,
    awayId,
    homeScore: match.score?.home ?? null,
    awayScore: match.score?.away ?? null,
    homePenalties: match.penalties?.home ?? null,
    awayPenalties: match.penalties?.away ?? null,
    homeScoreRegular: match.regularTimeScore?.home ?? null,
    awayScoreRegular: match.regularTimeScore?.away ?? null,
    statusDetail: match.statusDetail ?? null,
    periods: match.periods,
    winner: match.winner ?? null,
    neutral: match.neutral,
    surface: match.surface ?? null,
    round: match.round ?? null,
    roundName: match.roundName ?? null,
    sourceChangedAt: match.sourceChangedAt ?? null,
  };
  const columns = [
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
  ];
  await tx
    .insert(core.matches)
    .values(row)
    .onConflictDoUpdate({
      target: core.matches.id,
      set: {
        ...Object.fromEntries(columns.map((column) => [camel(column), sql.raw(`excluded.${column}`)])),
        updatedAt: sql`now()`,
      },
      setWhere: changed('core.matches', columns),
    });

  if (records.lineup) {
    await tx.delete(core.appearances).where(eq(core.appearances.matchId, matchId));
    const appearances = records.lineup.appearances.map((appearance) => ({
      matchId,
      playerId: coreIds.participant(source, 'player', appearance.playerSourceId),
      teamId: coreIds.participant(source, 'team', appearance.teamSourceId),
      side: appearance.side,
      starter: appearance.starter,
      minutes: appearance.minutes ?? null,
      position: appearance.position ?? null,
      shirtNumber: appearance.shirtNumber ?? null,
    }));
    if (appearances.length > 0) await tx.insert(core.appearances).values(appearances);
  }
  if (records.incidents) {
    await tx.delete(core.incidents).where(eq(core.incidents.matchId, matchId));
    const incidents = records.incidents.map((incident) => ({
      matchId,
      seq: incident.seq,
      kind: incident.kind,
      minute: incident.minute ?? null,
      addedTime: incident.addedTime ?? null,
      side: incident.side ?? null,
      playerId: incident.playerSourceId ? coreIds.participant(source, 'player', incident.playerSourceId) : null,
      detail: incident.detail,
    }));
    if (incidents.length > 0) await tx.insert(core.incidents).values(incidents);
  }

  const ratingsStaleFrom =
    previous?.status === 'finished' && previous.startTime < row.startTime ? previous.startTime : row.startTime;
  return { matchId, created: previous === undefined, resultChanged: resultChanged(previous, row), ratingsStaleFrom };
}

async function upsertParticipants(tx: Db, source: string, participants: CanonicalParticipant[]): Promise<void> {
  const unique = new Map(participants.map((participant) => [participantId(source, participant), participant]));
  if (unique.size === 0) return;
  await tx
    .insert(core.participants)
    .values(
      [...unique].map(([id, participant]) => ({
        id,
        kind: participant.kind,
        name: participant.name,
        shortName: participant.shortName ?? null,
        country: participant.country ?? null,
      })),
    )
    .onConflictDoUpdate({
      target: core.participants.id,
      set: {
        name: sql`excluded.name`,
        shortName: sql`excluded.short_name`,
        country: sql`excluded.country`,
        updatedAt: sql`now()`,
      },
      setWhere: changed('core.participants', ['name', 'short_name', 'country']),
    });
  await tx
    .insert(core.sourceIds)
    .values(
      [...unique].map(([id, participant]) => ({
        source,
        entity: 'participant',
        sourceId: participant.sourceId,
        coreId: id,
      })),
    )
    .onConflictDoNothing();
}

type MatchRow = typeof core.matches.$inferSelect;

function resultChanged(
  previous: MatchRow | undefined,
  next: Omit<MatchRow, 'createdAt' | 'updatedAt' | 'flagged'>,
): boolean {
  const wasFinal = previous?.status === 'finished';
  const isFinal = next.status === 'finished';
  if (!wasFinal && !isFinal) return false;
  if (wasFinal !== isFinal || !previous) return true;
  return (
    previous.homeScore !== next.homeScore ||
    previous.awayScore !== next.awayScore ||
    previous.homePenalties !== next.homePenalties ||
    previous.awayPenalties !== next.awayPenalties ||
    previous.winner !== next.winner ||
    previous.startTime.getTime() !== next.startTime.getTime() ||
    previous.neutral !== next.neutral
  );
}

function camel(column: string): string {
  return column.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

/**
 * The pool's ratings are stale from this match on: keep the earliest such position (ordered by
 * start time, then match id, byte-wise) until the ratings stage clears it. `marked_at` moves on
 * every mark, so a ratings batch that read an older version of the marker leaves this one be.
 */
export async function markRatingsDirty(tx: Db, poolId: string, startTime: Date, matchId: string): Promise<void> {
  await tx
    .insert(ratings.dirtyMarkers)
    .values({ poolId, fromStartTime: startTime, fromMatchId: matchId, markedAt: sql`clock_timestamp()` })
    .onConflictDoUpdate({
      target: ratings.dirtyMarkers.poolId,
      set: {
        fromStartTime: sql`case when ${EARLIER} then excluded.from_start_time else ${ratings.dirtyMarkers.fromStartTime} end`,
        fromMatchId: sql`case when ${EARLIER} then excluded.from_match_id else ${ratings.dirtyMarkers.fromMatchId} end`,
        markedAt: sql`clock_timestamp()`,
      },
    });
}

/** The incoming marker is earlier than the stored one (ids compared byte-wise, as the ratings stage does). */
const EARLIER = sql`(excluded.from_start_time < ${ratings.dirtyMarkers.fromStartTime} OR (excluded.from_start_time = ${ratings.dirtyMarkers.fromStartTime} AND excluded.from_match_id COLLATE "C" < ${ratings.dirtyMarkers.fromMatchId}))`;
