import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type postgres from 'postgres';
import type { Database } from './client.js';

/** The committed SQL migrations; the same folder from src/ and from dist/. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url));

/** Arbitrary constant key for the session lock that serialises concurrent migrators. */
const MIGRATION_LOCK_KEY = 727_001;

export interface MigrationResult {
  /** Migrations recorded as applied after this call. */
  applied: number;
  /** How many of those this call applied (0 when the database was already current). */
  newlyApplied: number;
}

/**
 * Bring the database to the latest schema. Safe to call from many processes at once: on
 * PostgreSQL a session advisory lock, held on one reserved connection, lets one process
 * migrate while the others wait and then find nothing left to do. Applying twice is a no-op.
 */
export async function migrate(database: Database): Promise<MigrationResult> {
  let newlyApplied: number;
  if (database.backend === 'pglite') {
    // One process owns a PGlite directory, so counting around the migrator is exact.
    const before = await appliedMigrationCount(database);
    await migratePglite(drizzlePglite({ client: database.client }), { migrationsFolder: MIGRATIONS_FOLDER });
    newlyApplied = (await appliedMigrationCount(database)) - before;
  } else {
    newlyApplied = await migratePostgresLocked(database.client);
  }
  return { applied: await appliedMigrationCount(database), newlyApplied };
}

/**
 * Returns how many migrations this call applied.
 *
 * drizzle's own migrator cannot run on a reserved postgres.js connection, and the lock must be
 * held on the connection that migrates. This applies the same files and keeps the same journal
 * table (`drizzle.__drizzle_migrations`), so drizzle-kit and this stay interchangeable.
 */
async function migratePostgresLocked(client: postgres.Sql): Promise<number> {
  const migrations = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  const connection = await client.reserve();
  try {
    await connection`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    try {
      await connection`CREATE SCHEMA IF NOT EXISTS drizzle`;
      await connection`CREATE TABLE IF NOT EXISTS drizzle.__drizzle_migrations (
        id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`;
      const [last] = await connection<Array<{ created_at: string }>>`
        SELECT created_at FROM drizzle.__drizzle_migrations ORDER BY created_at DESC LIMIT 1`;
      const pending = migrations.filter((migration) => !last || Number(last.created_at) < migration.folderMillis);
      if (pending.length === 0) return 0;
      // A reserved connection has no begin(); plain BEGIN/COMMIT on it is postgres.js' sanctioned way.
      await connection`BEGIN`;
      try {
        for (const migration of pending) {
          for (const statement of migration.sql) {
            if (statement.trim() !== '') await connection.unsafe(statement);
          }
          await connection`INSERT INTO drizzle.__drizzle_migrations (hash, created_at)
            VALUES (${migration.hash}, ${migration.folderMillis})`;
        }
        await connection`COMMIT`;
        return pending.length;
      } catch (error) {
        await connection`ROLLBACK`;
        throw error;
      }
    } finally {
      await connection`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    }
  } finally {
    connection.release();
  }
}

/** Migrations drizzle has recorded in its journal table (0 on an empty database). */
export async function appliedMigrationCount(database: Database): Promise<number> {
  const exists = await queryRows<{ present: boolean }>(
    database,
    sql`SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS present`,
  );
  if (!exists[0]?.present) return 0;
  const rows = await queryRows<{ count: number | string }>(
    database,
    sql`SELECT count(*)::int AS count FROM drizzle.__drizzle_migrations`,
  );
  return Number(rows[0]?.count ?? 0);
}

/** How far the database's schema is: migrations applied against those this build ships. */
export interface MigrationStatus {
  applied: number;
  /** Migrations in MIGRATIONS_FOLDER. */
  available: number;
  /** Applied equals available: nothing to migrate. */
  current: boolean;
}

/** Read-only: compare the journal with the committed migrations (for health checks). */
export async function migrationStatus(database: Database): Promise<MigrationStatus> {
  const available = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).length;
  const applied = await appliedMigrationCount(database);
  return { applied, available, current: applied >= available };
}

/** Run raw SQL and get plain rows, whichever driver is underneath. */
export async function queryRows<Row>(database: Database, query: ReturnType<typeof sql>): Promise<Row[]> {
  const result: unknown = await database.db.execute(query);
  // postgres.js returns an array of rows; PGlite returns `{ rows }`.
  if (Array.isArray(result)) return result as Row[];
  return (result as { rows: Row[] }).rows;
}
