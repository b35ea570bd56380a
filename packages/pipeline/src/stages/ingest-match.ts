import type { Config } from '@matchflow/config';
import type { Db } from '@matchflow/db';
import type { IngestJob } from '@matchflow/queues';
import {
  type CanonicalBatch,
  ContractViolation,
  type FetchedPayload,
  type FetchOptions,
  mapSofascoreEvent,
  mapSofascoreIncidents,
  mapSofascoreLineups,
  mapSofascoreStatistics,
  SOFASCORE_ENDPOINTS,
  SOFASCORE_PATHS,
  UpstreamNotFound,
} from '@matchflow/sources';
import type { Logger } from '@matchflow/telemetry';
import { markRatingsDirty, upsertMatchRecords } from '../store/core-records.js';
import { storePayload } from '../store/raw-payloads.js';

/** What ingest needs from the source client (SourceClient fits; tests may pass their own). */
export interface Fetcher {
  readonly name: string;
  fetch(endpoint: string, path: string, options?: FetchOptions): Promise<FetchedPayload>;
}

export interface IngestDeps {
  db: Db;
  fetcher: Fetcher;
  config: Pick<Config, 'competitions' | 'sources'>;
  logger: Logger;
}

export interface IngestResult {
  matchId: string;
  status: string;
  /** Upstream requests made (404s for unpublished details included). */
  requests: number;
  /** Payloads whose content had not been stored before. */
  newPayloads: number;
  /** Match row created or its result changed; ratings marked dirty when the result changed. */
  created: boolean;
  resultChanged: boolean;
}

/**
 * `ingest(match)`: fetch the event and (once it has started) its lineups, incidents and
 * statistics through the fleet-wide limited client; keep every payload in raw (identical
 * content once); write the canonical records into core in one transaction; when a final result
 * appears or changes, mark the competition's rating pool dirty from this match.
 *
 * A payload that breaks its contract is stored quarantined, with the violation, and the
 * ContractViolation is thrown (not retryable: the job fails, the run goes on).
 */
export async function ingestMatch(deps: IngestDeps, job: IngestJob): Promise<IngestResult> {
  const competition = deps.config.competitions.find((candidate) => candidate.id === job.competitionId);
  if (!competition) throw new Error(`ingest: competition '${job.competitionId}' is not configured`);
  const kind = deps.config.sources[job.source]?.kind;
  if (kind !== 'sofascore')
    throw new Error(`ingest: per-match ingest is not available for ${kind ?? 'an unknown'} source '${job.source}'`);

  const fetchOptions: FetchOptions = { priority: job.trigger === 'backfill' ? 'backfill' : 'scheduled' };
  let requests = 0;
  let newPayloads = 0;

  /** Fetch, check the contract, keep the payload (quarantined if it broke the contract). */
  const fetchChecked = async <Mapped>(
    endpoint: string,
    path: string,
    map: (body: unknown) => Mapped,
    optional: boolean,
  ) => {
    let payload: FetchedPayload;
    try {
      requests += 1;
      payload = await deps.fetcher.fetch(endpoint, path, fetchOptions);
    } catch (error) {
      if (optional && error instanceof UpstreamNotFound) return undefined;
      throw error;
    }
    let mapped: Mapped | undefined;
    let violation: ContractViolation | undefined;
    try {
      mapped = map(payload.body);
    } catch (error) {
      if (!(error instanceof ContractViolation)) throw error;
      violation = error;
    }
    const stored = await storePayload(deps.db, {
      source: job.source,
      endpoint,
      key: job.match,
      fetchedAt: payload.fetchedAt,
      httpStatus: payload.status,
      text: payload.text,
      body: payload.body,
      runId: job.runId,
      ...(violation ? { contractError: violation.problems.join('; ') } : {}),
    });
    if (stored.isNew) newPayloads += 1;
    if (violation) {
      deps.logger.warn(
        { endpoint, match: job.match, path: violation.path, payloadId: stored.id },
        'payload quarantined: contract violation',
      );
      throw violation;
    }
    return mapped as Mapped;
  };

  const event = (await fetchChecked(
    SOFASCORE_ENDPOINTS.event,
    SOFASCORE_PATHS.event(job.match),
    (body) => mapSofascoreEvent(body, job.source),
    false,
  )) as CanonicalBatch;
  const match = event.matches[0];
  const season = event.seasons[0];
  if (!match || !season) throw new Error(`ingest: event ${job.match} mapped to no match`);

  const context = {
    source: job.source,
    matchSourceId: match.sourceId,
    homeSourceId: match.homeSourceId,
    awaySourceId: match.awaySourceId,
  };
  const started = match.status === 'inprogress' || match.status === 'finished';
  const football = match.sport === 'football';
  const lineup =
    started && football
      ? await fetchChecked(
          SOFASCORE_ENDPOINTS.lineups,
          SOFASCORE_PATHS.lineups(job.match),
          (body) => mapSofascoreLineups(body, context),
          true,
        )
      : undefined;
  const incidents =
    started && football
      ? await fetchChecked(
          SOFASCORE_ENDPOINTS.incidents,
          SOFASCORE_PATHS.incidents(job.match),
          (body) => mapSofascoreIncidents(body, context),
          true,
        )
      : undefined;
  if (started && football) {
    // Statistics are kept in raw for the curated tables to come; core has no place for them yet.
    await fetchChecked(
      SOFASCORE_ENDPOINTS.statistics,
      SOFASCORE_PATHS.statistics(job.match),
      (body) => mapSofascoreStatistics(body, context),
      true,
    );
  }

  const outcome = await deps.db.transaction(async (tx) => {
    const written = await upsertMatchRecords(tx as unknown as Db, {
      source: job.source,
      competition: { id: competition.id, name: event.competitions[0]?.name ?? competition.id, sport: match.sport },
      season,
      sides: event.participants,
      match,
      ...(lineup ? { lineup: { players: lineup.participants, appearances: lineup.appearances } } : {}),
      ...(incidents ? { incidents } : {}),
    });
    if (written.resultChanged)
      await markRatingsDirty(tx as unknown as Db, competition.ratingPool, written.ratingsStaleFrom, written.matchId);
    return written;
  });

  deps.logger.debug(
    { match: job.match, requests, newPayloads, resultChanged: outcome.resultChanged },
    'match ingested',
  );
  return {
    matchId: outcome.matchId,
    status: match.status,
    requests,
    newPayloads,
    created: outcome.created,
    resultChanged: outcome.resultChanged,
  };
}
