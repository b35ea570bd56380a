import type { Config } from '@matchflow/config';
import type { Db } from '@matchflow/db';
import type { IngestJob } from '@matchflow/queues';
import {
  ContractViolation,
  type FetchedPayload,
  type FetchOptions,
  mapSofascoreStatistics,
  SOFASCORE_ENDPOINTS,
  SOFASCORE_PATHS,
  UpstreamNotFound,
} from '@matchflow/sources';
import type { Logger } from '@matchflow/telemetry';
import { type PayloadToStore, storePayloads } from '../store/raw-payloads.js';
import {
  lineageOfPayloads,
  type MappedEvent,
  type MappedMatch,
  mapEventPayload,
  mapIncidentsPayload,
  mapLineupsPayload,
  writeMatch,
} from './normalise-match.js';

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
  // Kept together in one statement once the fetching is over (or stops): a round trip to the
  // database costs more than the work in it.
  const pending: PayloadToStore[] = [];
  // Lineage: each endpoint's payload sha, new or already stored (an unchanged payload still names
  // the rows it maps to).
  const sha256: Record<string, string> = {};
  const keepPending = async () => {
    const kept = pending.splice(0);
    const stored = await storePayloads(deps.db, kept);
    newPayloads += stored.filter((payload) => payload.isNew).length;
    stored.forEach((payload, index) => {
      sha256[(kept[index] as PayloadToStore).endpoint] = payload.sha256;
    });
    return stored;
  };

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
      // What was fetched before the failure is kept all the same.
      await keepPending();
      throw error;
    }
    let mapped: Mapped | undefined;
    let violation: ContractViolation | undefined;
    try {
      mapped = map(payload.body);
    } catch (error) {
      if (!(error instanceof ContractViolation)) {
        await keepPending();
        throw error;
      }
      violation = error;
    }
    pending.push({
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
    if (violation) {
      const stored = await keepPending();
      deps.logger.warn(
        { endpoint, match: job.match, path: violation.path, payloadId: stored.at(-1)?.id },
        'payload quarantined: contract violation',
      );
      throw violation;
    }
    return mapped as Mapped;
  };

  const event = (await fetchChecked(
    SOFASCORE_ENDPOINTS.event,
    SOFASCORE_PATHS.event(job.match),
    (body) => mapEventPayload(body, job.source, job.match),
    false,
  )) as MappedEvent;
  const mapped: MappedMatch = { event };
  if (event.hasDetails) {
    const lineup = await fetchChecked(
      SOFASCORE_ENDPOINTS.lineups,
      SOFASCORE_PATHS.lineups(job.match),
      (body) => mapLineupsPayload(body, event),
      true,
    );
    if (lineup) mapped.lineup = lineup;
    const incidents = await fetchChecked(
      SOFASCORE_ENDPOINTS.incidents,
      SOFASCORE_PATHS.incidents(job.match),
      (body) => mapIncidentsPayload(body, event),
      true,
    );
    if (incidents) mapped.incidents = incidents;
    // Statistics are kept in raw for the curated tables to come; core has no place for them yet.
    await fetchChecked(
      SOFASCORE_ENDPOINTS.statistics,
      SOFASCORE_PATHS.statistics(job.match),
      (body) => mapSofascoreStatistics(body, event.context),
      true,
    );
  }
  await keepPending();

  const outcome = await writeMatch(deps.db, {
    source: job.source,
    competition,
    mapped,
    lineage: lineageOfPayloads({
      event: sha256[SOFASCORE_ENDPOINTS.event] as string,
      ...(mapped.lineup ? { lineups: sha256[SOFASCORE_ENDPOINTS.lineups] as string } : {}),
      ...(mapped.incidents ? { incidents: sha256[SOFASCORE_ENDPOINTS.incidents] as string } : {}),
    }),
  });

  deps.logger.debug(
    { match: job.match, requests, newPayloads, resultChanged: outcome.resultChanged },
    'match ingested',
  );
  return {
    matchId: outcome.matchId,
    status: event.match.status,
    requests,
    newPayloads,
    created: outcome.created,
    resultChanged: outcome.resultChanged,
  };
}
