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
  | (DatabaseHandle & {
      backend: 'postgres';
      client: postgres.Sql;
      /**
       * Replace the connection pool under the same `db`: queries from now on go to a new pool,
       * the old one finishes what it has in flight (5 s at most) and closes. For a pool that a
       * dropped connection may have wedged (see `isDriverWriteAfterClose`).
       */
      replacePool(): Promise<void>;
    })
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
  const connect = () =>
    postgres(url, {
      max: poolSize,
      // Migrations' "already exists, skipping" notices are noise, not news.
      onnotice: () => {},
      connection: {
        application_name: 'matchflow',
        // Plan every run of a prepared statement with the tables as they are now. A cached
        // generic plan is made while the tables are small (a seq scan is cheapest then) and is
        // only replaced after an ANALYZE: during a large backfill, or wherever autovacuum is off
        // or behind, every ingest would scan the whole raw zone (measured: 75 -> 14 matches/s at
        // 35,000 matches). Our statements' row estimates come from their jsonb parameter, so a
        // generic plan saves nothing worth that risk; parse and describe are still done once.
        plan_cache_mode: 'force_custom_plan',
      },
      // A connection that cannot be made in this long fails its query (default 30 s), so a job
      // waiting on an unreachable server is handed back and retried sooner.
      connect_timeout: 10,
    });
  let client = connect();
  const db = drizzlePostgres({ client, schema });
  const session = (db as unknown as { session: { client: postgres.Sql } }).session;
  session.client = preparedStatements(client);
  return {
    db: db as unknown as Db,
    backend: 'postgres',
    get client() {
      return client;
    },
    location: maskPassword(url),
    close: () => client.end({ timeout: 5 }),
    async replacePool() {
      const old = client;
      // drizzle's postgres-js driver sets its type parsers on the client it is given: build the
      // new pool through it, then point the existing session (which every query and
      // transaction of `db` goes through) at that pool.
      client = drizzlePostgres({ client: connect(), schema }).$client;
      session.client = preparedStatements(client);
      db.$client = client;
      await old.end({ timeout: 5 });
    },
  };
}

/**
 * Statements with more parameters than this are not prepared: a multi-row insert has a text of
 * its own for every row count, and prepared, each would stay on the connection (and in the
 * server backend) until the connection is retired. The hot statements carry their rows as one
 * jsonb parameter and stay well under it.
 */
const MAX_PREPARED_PARAMETERS = 64;

/**
 * The client with its queries run as prepared statements, in transactions and savepoints too.
 * drizzle asks postgres.js for an unnamed statement unless a query was given a name, and
 * postgres.js then describes each query with parameters before running it: two round trips
 * for every statement. Prepared, a statement's text is described once per connection and every
 * later run is one round trip. The hot statements are written to keep one text whatever their
 * data (rows as one jsonb parameter); a statement with many parameters (a multi-row insert, whose
 * text changes with its row count) is left unprepared, so what a connection keeps stays small;
 * it all goes with the connection when postgres.js retires it (`max_lifetime`). Behind
 * PgBouncer in transaction mode this needs its `max_prepared_statements` (1.21 or later).
 * Each run is still planned afresh (`plan_cache_mode`, set in `openPostgres`).
 */
function preparedStatements<Client extends postgres.Sql | postgres.TransactionSql>(client: Client): Client {
  return new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (property === 'unsafe')
        return (query: string, parameters?: postgres.ParameterOrJSON<never>[], options?: postgres.UnsafeQueryOptions) =>
          target.unsafe(query, parameters, {
            ...options,
            prepare: options?.prepare || (parameters?.length ?? 0) <= MAX_PREPARED_PARAMETERS,
          });
      if ((property === 'begin' || property === 'savepoint') && typeof value === 'function')
        return (...args: unknown[]) => {
          const body = args.pop() as (inner: postgres.TransactionSql) => unknown;
          return (value as (...all: unknown[]) => unknown).apply(target, [
            ...args,
            (inner: postgres.TransactionSql) => body(preparedStatements(inner)),
          ]);
        };
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * postgres.js 3.4.9 flushes small writes from a `setImmediate`; when the connection closed in
 * between (a dropped connection, a terminated backend: the ROLLBACK a failed transaction sends
 * lands on it), that callback dereferences the closed socket and throws a TypeError no caller
 * can catch (porsager/postgres#1154, #1208; unfixed in the latest release). The query itself was
 * already rejected, but the connection keeps a stale write timer and never flushes again:
 * swallow this one error and `replacePool()`.
 */
export function isDriverWriteAfterClose(error: unknown): boolean {
  if (!(error instanceof TypeError) || !error.message.includes("Cannot read properties of null (reading 'write')")) {
    return false;
  }
  const stack = error.stack ?? '';
  return stack.includes('nextWrite') && /postgres[\\/](cjs[\\/])?src[\\/]connection\.js/.test(stack);
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
