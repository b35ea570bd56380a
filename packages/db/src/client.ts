import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Config } from '@matchflow/config';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { tables as schema } from './schema/index.js';

export type Schema = typeof schema;

/**
 * A drizzle database over either driver. Repository code takes this type and so runs
 * unchanged on PostgreSQL and on embedded PGlite.
 */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export type DbBackend = 'postgres' | 'pglite';

interface DatabaseHandle {
  db: Db;
  /** Where it lives: the URL with its password masked, or the PGlite directory. */
  location: string;
  close(): Promise<void>;
}

/** An open database, its driver's own client, and how to release it. */
export type Database =
  | (DatabaseHandle & { backend: 'postgres'; client: postgres.Sql })
  | (DatabaseHandle & { backend: 'pglite'; client: PGlite });

/** The subset of config that picks and sizes the database. */
export type DatabaseConfig = Pick<Config, 'database' | 'dataDir'>;

/** Directory of the embedded database under `dataDir`. */
export function pgliteDirectory(dataDir: string): string {
  return path.join(dataDir, 'pglite');
}

/**
 * Open the configured database: PostgreSQL over postgres.js when `database.url` is set,
 * otherwise a file-backed PGlite under `<dataDir>/pglite` (created on first use).
 */
export async function createDb(config: DatabaseConfig): Promise<Database> {
  if (config.database.url) return openPostgres(config.database.url, config.database.poolSize);
  const directory = pgliteDirectory(config.dataDir);
  mkdirSync(directory, { recursive: true });
  return openPglite(directory);
}

export function openPostgres(url: string, poolSize = 10): Database & { backend: 'postgres' } {
  const client = postgres(url, {
    max: poolSize,
    // Migrations' "already exists, skipping" notices are noise, not news.
    onnotice: () => {},
    connection: { application_name: 'matchflow' },
  });
  return {
    db: drizzlePostgres({ client, schema }) as unknown as Db,
    backend: 'postgres',
    client,
    location: maskPassword(url),
    close: () => client.end({ timeout: 5 }),
  };
}

/** PGlite on a directory, or in memory when `directory` is undefined (tests). */
export async function openPglite(directory?: string): Promise<Database & { backend: 'pglite' }> {
  const client = directory ? await PGlite.create(directory) : await PGlite.create();
  return {
    db: drizzlePglite({ client, schema }) as unknown as Db,
    backend: 'pglite',
    client,
    location: directory ?? 'memory://',
    close: () => client.close(),
  };
}

function maskPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable database URL)';
  }
}
