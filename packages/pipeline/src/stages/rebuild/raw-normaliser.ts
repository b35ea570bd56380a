import type { CompetitionSettings, Config } from '@matchflow/config';
import type { Db } from '@matchflow/db';
import type { Logger } from '@matchflow/telemetry';
import type { PublishOutcome } from '../../publish/publish.js';

/*
 * `rebuild --from-raw` shares its run records, ratings, build and publish phases between source
 * kinds; only finding the stored payloads and writing them into core differ. Each source kind
 * with stored payloads to re-normalise has one RawNormaliser (sofascore-raw.ts: per-match event,
 * lineups and incidents; openfootball-raw.ts: one file per season).
 */

/** What a rebuild did for one competition-season (one run). */
export interface SeasonRebuild {
  competitionId: string;
  season: string;
  /** The rebuild's run for this competition-season (absent when skipped). */
  runId?: string;
  /**
   * `ok`: re-normalised, re-rated, built and published (or found unchanged); `failed`: a stage
   * failed or publishing was blocked (`failedStage`, `error`); `skipped`: another run of this
   * competition-season was in flight (`runningRunId`), so nothing was touched.
   */
  status: 'ok' | 'failed' | 'skipped';
  /** Raw payloads read and re-normalised (Sofascore: event, lineups, incidents; openfootball: the season file). */
  payloads: number;
  /** Matches written to core (rows that were already equal stay untouched). */
  matches: number;
  /** Quarantined payloads of these matches (openfootball: of this season file), left out. */
  quarantinedSkipped: number;
  /**
   * Stored payloads the mappers now reject, with the reason: per match (Sofascore, the match's
   * key) or per season file (openfootball, the file's key `{competition}.{season}`).
   */
  rejected: Array<{ match: string; error: string }>;
  /** Rating pools re-rated from their first match, and the matches rated. */
  pools: Array<{ pool: string; matches: number }>;
  quality?: { score: number; failed: string[] };
  publish?: PublishOutcome;
  failedStage?: string;
  error?: string;
  runningRunId?: string;
}

/** A competition-season being rebuilt: its settings and what its rebuild did so far. */
export interface RebuildScope {
  competition: CompetitionSettings;
  season: string;
  result: SeasonRebuild;
}

export interface LocateInput {
  db: Db;
  config: Pick<Config, 'sources'>;
  /** The competitions in scope whose source is of the normaliser's kind. */
  competitions: CompetitionSettings[];
  /** The scope of a competition-season, opened the first time it is asked for. */
  scopeFor: (competition: CompetitionSettings, season: string) => RebuildScope;
  logger: Logger;
}

/** What a normaliser found in raw, ready to be written into core. */
export interface LocatedRaw {
  /**
   * Re-normalise into core what was located for the scopes `include` accepts (the others are
   * left alone: another run holds them), through the same code as ingest. Adds to each scope's
   * `payloads`, `matches` and `quarantinedSkipped`; a stored payload that the mappers now reject
   * goes to its scope's `rejected`. Any other error (the database, most likely) is thrown.
   */
  normalise(db: Db, include: (scope: RebuildScope) => boolean): Promise<void>;
}

/** Re-normalisation from raw for one source kind. No upstream calls, only the database. */
export interface RawNormaliser {
  /**
   * Find the competition-seasons raw holds payloads of, for these competitions: open a scope
   * (`scopeFor`) for each, and keep what `normalise` needs. Writes nothing.
   */
  locate(input: LocateInput): Promise<LocatedRaw>;
}
