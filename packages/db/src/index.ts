export {
  createDb,
  type Database,
  type DatabaseConfig,
  type Db,
  type DbBackend,
  isDriverWriteAfterClose,
  openPglite,
  openPostgres,
  pgliteDirectory,
  type Schema,
} from './client.js';
export {
  appliedMigrationCount,
  MIGRATIONS_FOLDER,
  type MigrationResult,
  type MigrationStatus,
  migrate,
  migrationStatus,
  queryRows,
} from './migrate.js';
export { core, curated, ops, ratings, raw } from './schema/index.js';
export type { AlertSeverity, RunStatus, StageStatus } from './schema/ops.js';
export { ALERT_SEVERITIES, RUN_STATUSES, STAGE_STATUSES } from './schema/ops.js';
