export {
  createDb,
  type Database,
  type DatabaseConfig,
  type Db,
  type DbBackend,
  openPglite,
  openPostgres,
  pgliteDirectory,
  type Schema,
} from './client.js';
export { appliedMigrationCount, MIGRATIONS_FOLDER, type MigrationResult, migrate, queryRows } from './migrate.js';
export { core, curated, ops, ratings, raw } from './schema/index.js';
export type { RunStatus, StageStatus } from './schema/ops.js';
export { RUN_STATUSES, STAGE_STATUSES } from './schema/ops.js';
