import type { CompetitionSettings } from '@matchflow/config';
import type { Db } from '@matchflow/db';
import {
  type CanonicalAppearance,
  type CanonicalBatch,
  type CanonicalIncident,
  type CanonicalMatch,
  type CanonicalParticipant,
  type CanonicalSeason,
  type MatchContext,
  mapSofascoreEvent,
  mapSofascoreIncidents,
  mapSofascoreLineups,
} from '@matchflow/sources';
import { failpoint } from '@matchflow/telemetry';
import {
  type MatchRecords,
  markRatingsDirty,
  type RecordsLineage,
  type UpsertOutcome,
  upsertMatchRow,
  upsertReferenceRecords,
} from '../store/core-records.js';

/*
 * The normalising half of `ingest(match)`: upstream payload bodies in, core rows out. Ingest
 * calls it with what it has just fetched; `rebuildFromRaw` calls it with what raw holds. Both go
 * through exactly these functions, so re-normalising unchanged payloads writes what ingest wrote.
 */

/** A match's event payload, mapped: the match, its season and sides, and what else applies to it. */
export interface MappedEvent {
  batch: CanonicalBatch;
  match: CanonicalMatch;
  season: CanonicalSeason;
  /** Ids the lineups and incidents mappers need to attach players to sides. */
  context: MatchContext;
  /**
   * Lineups, incidents and statistics belong to this match: it has started and it is football.
   * Otherwise they are neither fetched nor written (core keeps what it had).
   */
  hasDetails: boolean;
}

/** Map an event payload (throws ContractViolation when it breaks its contract). */
export function mapEventPayload(body: unknown, source: string, key: string): MappedEvent {
  const batch = mapSofascoreEvent(body, source);
  const match = batch.matches[0];
  const season = batch.seasons[0];
  if (!match || !season) throw new Error(`event ${key} mapped to no match`);
  const started = match.status === 'inprogress' || match.status === 'finished';
  return {
    batch,
    match,
    season,
    context: {
      source,
      matchSourceId: match.sourceId,
      homeSourceId: match.homeSourceId,
      awaySourceId: match.awaySourceId,
    },
    hasDetails: started && match.sport === 'football',
  };
}

export type MappedLineup = { participants: CanonicalParticipant[]; appearances: CanonicalAppearance[] };

/** Map a lineups payload of the match (throws ContractViolation when it breaks its contract). */
export function mapLineupsPayload(body: unknown, event: MappedEvent): MappedLineup {
  return mapSofascoreLineups(body, event.context);
}

/** Map an incidents payload of the match (throws ContractViolation when it breaks its contract). */
export function mapIncidentsPayload(body: unknown, event: MappedEvent): CanonicalIncident[] {
  return mapSofascoreIncidents(body, event.context);
}

/** One match's mapped records, ready for core. */
export interface MappedMatch {
  event: MappedEvent;
  /** When lineups were published (and apply): replaces the match's appearances in core. */
  lineup?: MappedLineup;
  /** When incidents were published (and apply): replaces the match's incidents in core. */
  incidents?: CanonicalIncident[];
}

/**
 * Write one match's mapped records into core in one transaction and, when a final result
 * appeared, changed or went away, mark the competition's rating pool dirty from that match.
 * `lineage` names the payloads the records were mapped from (their rows' `raw_sha256`).
 */
export async function writeMatch(
  db: Db,
  input: {
    source: string;
    competition: Pick<CompetitionSettings, 'id' | 'ratingPool'>;
    mapped: MappedMatch;
    lineage?: RecordsLineage;
  },
): Promise<UpsertOutcome> {
  const { event, lineup, incidents } = input.mapped;
  const { competition } = input;
  const records: MatchRecords = {
    source: input.source,
    competition: {
      id: competition.id,
      name: event.batch.competitions[0]?.name ?? competition.id,
      sport: event.match.sport,
    },
    season: event.season,
    sides: event.batch.participants,
    match: event.match,
    ...(event.hasDetails && lineup
      ? { lineup: { players: lineup.participants, appearances: lineup.appearances } }
      : {}),
    ...(event.hasDetails && incidents ? { incidents } : {}),
    ...(input.lineage ? { lineage: input.lineage } : {}),
  };
  // Shared rows outside the match's transaction: holding their locks to commit serialised every
  // concurrent ingest of a competition (see upsertReferenceRecords).
  await upsertReferenceRecords(db, records);
  return db.transaction(async (txn) => {
    const tx = txn as unknown as Db;
    const written = await upsertMatchRow(tx, records);
    if (written.resultChanged)
      await markRatingsDirty(tx, competition.ratingPool, written.ratingsStaleFrom, written.matchId);
    failpoint('ingest.before-commit');
    return written;
  });
}

/** The stored bodies of one match's payloads (lineups and incidents when there are any). */
export interface MatchPayloadBodies {
  /** Upstream event id (the payloads' key). */
  key: string;
  event: unknown;
  lineups?: unknown;
  incidents?: unknown;
  /** SHA-256 of the payloads above (`raw.payloads.sha256`), recorded as the rows' lineage. */
  sha256?: { event: string; lineups?: string; incidents?: string };
}

/**
 * Re-normalise one match from stored payload bodies: map them with the source's mappers and
 * write core exactly as ingest does (`writeMatch`). Lineups and incidents are used only where
 * ingest would have fetched them (a started football match). Throws ContractViolation when a
 * body no longer meets its contract.
 */
export async function normaliseMatch(
  db: Db,
  input: { source: string; competition: Pick<CompetitionSettings, 'id' | 'ratingPool'>; payloads: MatchPayloadBodies },
): Promise<UpsertOutcome> {
  const { payloads } = input;
  const event = mapEventPayload(payloads.event, input.source, payloads.key);
  const mapped: MappedMatch = { event };
  if (event.hasDetails && payloads.lineups !== undefined) mapped.lineup = mapLineupsPayload(payloads.lineups, event);
  if (event.hasDetails && payloads.incidents !== undefined)
    mapped.incidents = mapIncidentsPayload(payloads.incidents, event);
  const lineage = payloads.sha256 ? lineageOfPayloads(payloads.sha256) : undefined;
  return writeMatch(db, {
    source: input.source,
    competition: input.competition,
    mapped,
    ...(lineage ? { lineage } : {}),
  });
}

/** The lineage of a match's records from the SHA-256 of its payloads, per Sofascore endpoint. */
export function lineageOfPayloads(sha256: { event: string; lineups?: string; incidents?: string }): RecordsLineage {
  return {
    match: sha256.event,
    ...(sha256.lineups === undefined ? {} : { lineup: sha256.lineups }),
    ...(sha256.incidents === undefined ? {} : { incidents: sha256.incidents }),
  };
}
