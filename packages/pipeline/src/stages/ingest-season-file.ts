import type { CompetitionSettings, Config } from '@matchflow/config';
import type { Db } from '@matchflow/db';
import type { DiscoverJob } from '@matchflow/queues';
import {
  type CanonicalBatch,
  type CanonicalParticipant,
  ContractViolation,
  type FetchedPayload,
  mapOpenfootballSeason,
  OPENFOOTBALL_ENDPOINTS,
  OPENFOOTBALL_PATHS,
} from '@matchflow/sources';
import type { Logger } from '@matchflow/telemetry';
import { markRatingsDirty, upsertMatchRecords } from '../store/core-records.js';
import { storePayload } from '../store/raw-payloads.js';
import type { Fetcher } from './ingest-match.js';

/*
 * File-based sources (openfootball) publish a whole competition-season as one file: there is no
 * listing to discover and no per-match resource to ingest. One request fetches the season, and
 * this stage does for all of its matches what `ingest(match)` does for one.
 */

export interface SeasonFileDeps {
  db: Db;
  fetcher: Fetcher;
  config: Pick<Config, 'competitions' | 'sources'>;
  logger: Logger;
}

/** The run scope the file belongs to (a discover job carries exactly this). */
export type SeasonFileJob = Pick<
  DiscoverJob,
  'runId' | 'source' | 'competitionId' | 'competition' | 'season' | 'mode' | 'trigger'
>;

export interface SeasonFileResult {
  /** Upstream requests made: one per season file. */
  requests: number;
  /** The file's content had not been stored before. */
  newPayload: boolean;
  /** Matches in the file. */
  matches: number;
  /** Matches written to core: all of them when the content was new (or in `full` mode), else 0. */
  written: number;
  /** Matches core did not hold before. */
  created: number;
  /** Matches whose final result appeared, changed or went away; ratings are dirty from the earliest. */
  resultsChanged: number;
}

/** What writing a season's batch into core changed. */
export interface SeasonBatchOutcome {
  matches: number;
  created: number;
  resultsChanged: number;
}

/** The raw key of a season file: `{competition}.{season}` in the upstream's ids (`en.1.2023-24`). */
export function seasonFileKey(job: Pick<SeasonFileJob, 'competition' | 'season'>): string {
  return `${job.competition}.${job.season}`;
}

/**
 * Ingest one season file (openfootball): fetch it through the fleet-wide limited client, keep
 * it in raw (once per content hash) and, when its content is new or the run is `full`, write
 * every match into core and mark the competition's rating pool dirty from the earliest changed
 * result. The payload row and the core rows commit in one transaction, so a crash between them
 * cannot leave a stored file whose matches never reached core. Idempotent: the same file again
 * writes nothing (and, in `full` mode, changes no row).
 *
 * A file that breaks its contract is stored quarantined, with the violation, and the
 * ContractViolation is thrown (not retryable: the run fails, nothing is written to core).
 */
export async function ingestSeasonFile(deps: SeasonFileDeps, job: SeasonFileJob): Promise<SeasonFileResult> {
  const competition = deps.config.competitions.find((candidate) => candidate.id === job.competitionId);
  if (!competition) throw new Error(`ingest: competition '${job.competitionId}' is not configured`);
  const settings = deps.config.sources[job.source];
  if (settings?.kind !== 'openfootball')
    throw new Error(
      `ingest: season files are not available for ${settings?.kind ?? 'an unknown'} source '${job.source}'`,
    );

  const key = seasonFileKey(job);
  const endpoint = OPENFOOTBALL_ENDPOINTS.season;
  const payload: FetchedPayload = await deps.fetcher.fetch(
    endpoint,
    OPENFOOTBALL_PATHS.season(job.season, job.competition),
    { priority: job.trigger === 'backfill' ? 'backfill' : 'scheduled' },
  );
  const stored = {
    source: job.source,
    endpoint,
    key,
    fetchedAt: payload.fetchedAt,
    httpStatus: payload.status,
    text: payload.text,
    body: payload.body,
    runId: job.runId,
  };

  let batch: CanonicalBatch;
  try {
    batch = mapOpenfootballSeason(payload.body, {
      source: job.source,
      competition: job.competition,
      season: job.season,
      timezone: settings.timezone,
    });
  } catch (error) {
    if (!(error instanceof ContractViolation)) throw error;
    const quarantined = await storePayload(deps.db, { ...stored, contractError: error.problems.join('; ') });
    deps.logger.warn(
      { endpoint, key, path: error.path, payloadId: quarantined.id },
      'payload quarantined: contract violation',
    );
    throw error;
  }

  const outcome = await deps.db.transaction(async (txn) => {
    const tx = txn as unknown as Db;
    const { isNew, sha256 } = await storePayload(tx, stored);
    if (!isNew && job.mode !== 'full') return { isNew, written: undefined };
    return {
      isNew,
      written: await upsertSeasonBatch(tx, { source: job.source, competition, batch, rawSha256: sha256 }),
    };
  });

  const result: SeasonFileResult = {
    requests: 1,
    newPayload: outcome.isNew,
    matches: batch.matches.length,
    written: outcome.written?.matches ?? 0,
    created: outcome.written?.created ?? 0,
    resultsChanged: outcome.written?.resultsChanged ?? 0,
  };
  deps.logger.info({ competition: job.competitionId, season: job.season, key, ...result }, 'season file ingested');
  return result;
}

/**
 * Write a season's canonical batch into core, in the caller's transaction: every match through
 * `upsertMatchRecords` (with its two sides), then one dirty marker for the competition's rating
 * pool at the earliest match whose result appeared, changed or went away. Idempotent like
 * `upsertMatchRecords`: the same batch again changes no row and marks nothing. `rawSha256`: the
 * season file's payload, recorded as the lineage of every row written.
 */
export async function upsertSeasonBatch(
  tx: Db,
  input: {
    source: string;
    competition: Pick<CompetitionSettings, 'id' | 'ratingPool'>;
    batch: CanonicalBatch;
    rawSha256?: string;
  },
): Promise<SeasonBatchOutcome> {
  const { source, competition, batch } = input;
  const lineage = input.rawSha256 === undefined ? {} : { lineage: { match: input.rawSha256 } };
  const season = batch.seasons[0];
  if (!season) throw new Error(`season file of ${competition.id} mapped to no season`);
  const participants = new Map<string, CanonicalParticipant>(
    batch.participants.map((participant) => [participant.sourceId, participant]),
  );
  const side = (sourceId: string): CanonicalParticipant => {
    const participant = participants.get(sourceId);
    if (!participant) throw new Error(`season file of ${competition.id}: no participant '${sourceId}'`);
    return participant;
  };
  let created = 0;
  let resultsChanged = 0;
  let earliest: { startTime: Date; matchId: string } | undefined;
  for (const match of batch.matches) {
    const written = await upsertMatchRecords(tx, {
      source,
      competition: { id: competition.id, name: batch.competitions[0]?.name ?? competition.id, sport: match.sport },
      season,
      sides: [side(match.homeSourceId), side(match.awaySourceId)],
      match,
      ...lineage,
    });
    if (written.created) created += 1;
    if (!written.resultChanged) continue;
    resultsChanged += 1;
    // Ordered as the ratings stage orders matches: start time, then id byte-wise.
    const candidate = { startTime: written.ratingsStaleFrom, matchId: written.matchId };
    if (!earliest || isBefore(candidate, earliest)) earliest = candidate;
  }
  if (earliest) await markRatingsDirty(tx, competition.ratingPool, earliest.startTime, earliest.matchId);
  return { matches: batch.matches.length, created, resultsChanged };
}

function isBefore(a: { startTime: Date; matchId: string }, b: { startTime: Date; matchId: string }): boolean {
  const byTime = a.startTime.getTime() - b.startTime.getTime();
  if (byTime !== 0) return byTime < 0;
  return Buffer.compare(Buffer.from(a.matchId), Buffer.from(b.matchId)) < 0;
}
