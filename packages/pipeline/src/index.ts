export { computeStandings, type StandingsMatch, type StandingsOptions, type StandingsRow } from './build/standings.js';
export { isFinalFailure, toBullmqError } from './fleet/error-mapping.js';
export { Fleet, type FleetOptions } from './fleet/fleet.js';
export { type RunRequest, type RunStart, triggerRun } from './fleet/trigger.js';
export {
  CHECKS,
  type CheckOutcome,
  type QualityReport,
  type QualityScope,
  runQualityChecks,
} from './quality/checks.js';
export { engineParams, type PoolModel, poolModel } from './rate/pool-model.js';
export { type BuildResult, buildSeason } from './stages/build-season.js';
export { type DiscoverDeps, type DiscoverResult, discoverSeason } from './stages/discover-season.js';
export { type Fetcher, type IngestDeps, type IngestResult, ingestMatch } from './stages/ingest-match.js';
export { type RateHooks, type RateResult, ratePool } from './stages/rate-pool.js';
export { coreIds } from './store/core-ids.js';
export { type MatchRecords, markRatingsDirty, type UpsertOutcome, upsertMatchRecords } from './store/core-records.js';
export { type PayloadToStore, type StoredPayload, sha256Hex, storePayload } from './store/raw-payloads.js';
export {
  closeRun,
  createRun,
  discardRun,
  type NewRun,
  type RunScope,
  runningRunFor,
  type StageCounters,
  scopeKey,
  stageFinished,
  stageStarted,
} from './store/runs.js';
