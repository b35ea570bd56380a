import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { type Database, type DbBackend, openPglite, openPostgres } from './client.js';
import { migrate } from './migrate.js';

/**
 * Test support: every test file gets a database of its own, so files run in parallel on the
 * shared PostgreSQL server without seeing each other's rows.
 */

export type TestDatabase = Database & {
  /** Name of the PostgreSQL database created for this test (undefined on PGlite). */
  name: string | undefined;
  /** Close the connection and drop the database this helper created. */
  dispose(): Promise<void>;
};

/**
 * The backends to run storage tests on: PGlite always, PostgreSQL when the environment names
 * a server (`TEST_DATABASE_URL`, which CI sets).
 */
export function testBackends(env: Readonly<Record<string, string | undefined>>): DbBackend[] {
  return env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

export interface TestDatabaseOptions {
  /** Apply migrations before returning (default true). */
  migrated?: boolean;
  /** Server URL for the PostgreSQL backend; a database is created beside the one it names. */
  serverUrl?: string;
  /** Goes into the database name, to find a leftover one (e.g. the test file's name). */
  label?: string;
}

/** A fresh, empty (by default migrated) database on the given backend. */
export async function createTestDatabase(backend: DbBackend, options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const database: TestDatabase =
    backend === 'pglite' ? withDispose(await openPglite()) : await createPostgresDatabase(options);
  if (options.migrated ?? true) {
    try {
      await migrate(database);
    } catch (error) {
      await database.dispose();
      throw error;
    }
  }
  return database;
}

async function createPostgresDatabase(options: TestDatabaseOptions): Promise<TestDatabase> {
  if (!options.serverUrl) throw new Error('the postgres test backend needs serverUrl (TEST_DATABASE_URL)');
  const label = (options.label ?? 'test')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 30);
  const name = `matchflow_${label}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(options.serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(options.serverUrl);
  url.pathname = `/${name}`;
  const database = openPostgres(url.toString(), 4);
  return {
    ...database,
    name,
    async dispose() {
      await database.close();
      const cleanup = postgres(options.serverUrl as string, { max: 1, onnotice: () => {} });
      try {
        await cleanup.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await cleanup.end();
      }
    },
  };
}

function withDispose(database: Database): TestDatabase {
  return { ...database, name: undefined, dispose: () => database.close() };
}
