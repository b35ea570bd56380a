export { type AlertLoop, type AlertLoopOptions, startAlertLoop } from './alerts/alert-loop.js';
export {
  type AlertDeps,
  type AlertEvaluation,
  alertSender,
  evaluateAlerts,
} from './alerts/evaluate-alerts.js';
export {
  ALERT_KINDS,
  type AlertConfig,
  type AlertKind,
  type CompetitionFreshness,
  competitionFreshness,
  type Problem,
} from './alerts/problems.js';
export {
  type MatchOddsWritten,
  rebuildCuratedOdds,
  refreshCuratedOdds,
  refreshFinishedOdds,
  refreshPoolOdds,
  refreshSeasonOdds,
} from './build/match-odds.js';
export {
  type PlayersWritten,
  rebuildCuratedPlayers,
  refreshCuratedPlayers,
  refreshSeasonPlayers,
} from './build/players.js';
export { computeStandings, type StandingsMatch, type StandingsOptions, type StandingsRow } from './build/standings.js';
export {
  type BackfillPlan,
  type BackfillPreview,
  type BackfillRequest,
  BackfillScopeError,
  type BackfillStart,
  planBackfill,
  previewBackfill,
  startBackfill,
} from './fleet/backfill.js';
export { DATABASE_RETRY_MS, isDatabaseUnavailable } from './fleet/database-errors.js';
export { guardAgainstDriverCrashes } from './fleet/driver-guard.js';
export { isFinalFailure, toBullmqError } from './fleet/error-mapping.js';
export { FLEET_OWN_QUEUES, FLEET_QUEUES, Fleet, type FleetOptions, fleetQueues } from './fleet/fleet.js';
export { type RunRequest, type RunStart, triggerRun } from './fleet/trigger.js';
export { type MaintenanceDeps, runMaintenanceTask } from './maintenance/maintenance.js';
export {
  type ReapDeps,
  type ReapOptions,
  type ReapResult,
  reapStaleRuns,
  VANISHED_ERROR,
} from './maintenance/reaper.js';
export {
  type CleanedJobs,
  cleanQueues,
  pruneOpsSamples,
  pruneRawPayloads,
  pruneRunArtifacts,
  pruneRunHistory,
} from './maintenance/retention.js';
export {
  BREAKER_SAMPLE_VALUE,
  collectOpsSamples,
  type OpsSample,
  SAMPLE_METRICS,
  type SampleOpsDeps,
  type SampleOpsResult,
  sampleIntervalMs,
  sampleOps,
  sampleTime,
  writeOpsSamples,
} from './maintenance/sample-ops.js';
export {
  checkDatabase,
  checkHealth,
  checkRedis,
  checkSources,
  type HealthCheck,
  type HealthReport,
} from './ops/health.js';
export {
  HEALTH_PROBE_TIMEOUT_MS,
  HealthListenError,
  type HealthServer,
  type HealthServerOptions,
  startConfiguredHealthServer,
  startHealthServer,
} from './ops/health-server.js';
export {
  LINEAGE_KEY_SEPARATOR,
  LINEAGE_TABLES,
  type Lineage,
  type LineageCoreRow,
  type LineagePayload,
  type LineageRequest,
  LineageRequestError,
  type LineageTable,
  lineageKeyColumns,
  lineageOf,
  parseLineageRequest,
} from './ops/lineage.js';
export {
  isQueueName,
  QUEUE_COUNT_STATES,
  QUEUE_NAMES,
  QueueAdmin,
  type QueueCountState,
  type QueueStats,
  queueCounts,
} from './ops/queue-admin.js';
export {
  type Leaderboard,
  type LeaderboardEntry,
  listRatingPools,
  type PoolOverview,
  type RatingHistory,
  type RatingHistoryEntry,
  ratingHistory,
  ratingLeaderboard,
} from './ops/rating-history.js';
export {
  findRun,
  type IngestSummary,
  type ListRunsOptions,
  latestQualityRun,
  listRuns,
  type QualityResult,
  qualityResults,
  type RunDetail,
  type RunListing,
  type RunSnapshot,
  runDetail,
  type StageRecord,
  summariseIngests,
} from './ops/run-history.js';
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
  verifySnapshotDirectory,
  versionId,
  writeSnapshotDirectory,
} from './publish/snapshot-files.js';
export { readTableLineage } from './publish/table-lineage.js';
export {
  CompetitionRow,
  MatchOddsRow,
  MatchRow,
  PlayerAppearanceRow,
  PlayerRow,
  PUBLISHED_TABLES,
  type PublishedTable,
  type PublishedTableName,
  RatingCalibrationRow,
  RatingRow,
  SeasonRow,
  SNAPSHOT_FORMAT,
  SnapshotManifest,
  StandingRow,
  TableLineage,
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
export {
  measurePlayerProfileCoverage,
  PLAYER_PROFILE_COVERAGE,
  PLAYER_PROFILE_COVERAGE_THRESHOLD,
  type StageCheckOutcome,
} from './quality/player-profile-coverage.js';
export { engineParams, type PoolModel, poolModel } from './rate/pool-model.js';
export { type Scheduler, type SchedulerOptions, startScheduler } from './schedule/scheduler.js';
export {
  competitionScheduleId,
  desiredSchedules,
  MAINTENANCE_SCHEDULE,
  MAINTENANCE_TASKS,
  OPS_SAMPLES_SCHEDULE,
  readTickRecord,
  type Schedule,
  type TickRecord,
  writeTickRecord,
} from './schedule/schedules.js';
export { type SyncDeps, type SyncResult, syncSchedules } from './schedule/sync.js';
export { handleTick, type TickDeps, type TickJob, type TickResult, tickDueAt } from './schedule/tick.js';
export { type BuildResult, buildSeason } from './stages/build-season.js';
export { defaultStageRegistry } from './stages/default-registry.js';
export { type DiscoverDeps, type DiscoverResult, discoverSeason } from './stages/discover-season.js';
export {
  enrichPlayers,
  isCompleteProfile,
  PLAYER_RECHECK_AFTER_MS,
  PLAYERS_CHECKPOINT,
  type PlayerCandidate,
  profileSources,
} from './stages/enrich-players.js';
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
export {
  ODDS_EARLY_INTERVAL_MS,
  ODDS_HORIZON_MS,
  ODDS_LATE_INTERVAL_MS,
  ODDS_LATE_PHASE_MS,
  ODDS_MARKET,
  ODDS_POLL_SLACK_MS,
  type OddsCandidate,
  oddsSources,
  oddsStage,
  pollOdds,
} from './stages/poll-odds.js';
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
export {
  type PipelineStage,
  type StageDefinition,
  StageRegistry,
  type StageRuntime,
  type StandaloneStage,
} from './stages/registry.js';
export { recovered } from './stages/run-flow-stages.js';
export {
  processStageJob,
  runArtifactsDir,
  runningStageRun,
  type StageMetrics,
  type StageRunRequest,
  type StageRunScope,
  type StageRunStart,
  standaloneStage,
  startStageRun,
} from './stages/stage-runner.js';
export type { StageBudget, StageEvent, StageWork, StageWorkContext, StageWorkResult } from './stages/stage-work.js';
export { coreIds } from './store/core-ids.js';
export {
  type MatchRecords,
  markRatingsDirty,
  type RecordsLineage,
  type UpsertOutcome,
  upsertMatchRecords,
} from './store/core-records.js';
export {
  type PayloadToStore,
  type StoredPayload,
  sha256Hex,
  storePayload,
  storePayloads,
} from './store/raw-payloads.js';
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
export { rows as sqlRows } from './store/sql-rows.js';
