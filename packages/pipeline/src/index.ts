export { computeStandings, type StandingsMatch, type StandingsOptions, type StandingsRow } from './build/standings.js';
export { isFinalFailure, toBullmqError } from './fleet/error-mapping.js';
export { Fleet, type FleetOptions } from './fleet/fleet.js';
export { type RunRequest, type RunStart, triggerRun } from './fleet/trigger.js';
export {
  applySnapshotRetention,
  listSnapshots,
  type PublishDeps,
  type PublishOutcome,
  publishSnapshot,
  rollbackSnapshot,
  SnapshotError,
  type SnapshotListing,
  syncLatestPointer,
} from './publish/publish.js';
export {
  type LoadedSnapshot,
  loadSnapshot,
  readLatestVersion,
  SnapshotReadError,
  type SnapshotRow,
  type SnapshotRows,
  snapshotRows,
} from './publish/read-snapshot.js';
export {
  CHECKSUMS_FILE,
  LATEST_FILE,
  MANIFEST_FILE,
  pointLatest,
  renderSnapshot,
  verifySnapshotDirectory,
  versionId,
  writeSnapshotDirectory,
} from './publish/snapshot-files.js';
export {
  CompetitionRow,
  MatchRow,
  PlayerAppearanceRow,
  PUBLISHED_TABLES,
  type PublishedTable,
  type PublishedTableName,
  RatingCalibrationRow,
  RatingRow,
  SeasonRow,
  SNAPSHOT_FORMAT,
  SnapshotManifest,
  StandingRow,
  TennisRecordRow,
} from './publish/tables.js';
export {
  CHECKS,
  type CheckOutcome,
  measureQuality,
  type QualityReport,
  type QualityScope,
  qualityScore,
  recordQualityResults,
  runQualityChecks,
} from './quality/checks.js';
export { engineParams, type PoolModel, poolModel } from './rate/pool-model.js';
export { type BuildResult, buildSeason } from './stages/build-season.js';
export { type DiscoverDeps, type DiscoverResult, discoverSeason } from './stages/discover-season.js';
export { type Fetcher, type IngestDeps, type IngestResult, ingestMatch } from './stages/ingest-match.js';
export {
  ingestSeasonFile,
  type SeasonBatchOutcome,
  type SeasonFileDeps,
  type SeasonFileJob,
  type SeasonFileResult,
  seasonFileKey,
  upsertSeasonBatch,
} from './stages/ingest-season-file.js';
export { type MatchPayloadBodies, normaliseMatch } from './stages/normalise-match.js';
export { type RateHooks, type RateResult, ratePool } from './stages/rate-pool.js';
export {
  RAW_REBUILD_KINDS,
  REBUILD_TRIGGER,
  type RebuildDeps,
  type RebuildOptions,
  type RebuildResult,
  rebuildFromRaw,
  type SeasonRebuild,
} from './stages/rebuild-from-raw.js';
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
