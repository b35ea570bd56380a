import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, isDriverWriteAfterClose, openPostgres } from './client.js';
import { ops } from './schema/index.js';
import { createTestDatabase, type TestDatabase } from './testing.js';

const serverUrl = process.env.TEST_DATABASE_URL;

describe('isDriverWriteAfterClose', () => {
  it("recognises postgres.js writing to a closed connection's socket, and nothing else", () => {
    const crash = new TypeError("Cannot read properties of null (reading 'write')");
    crash.stack = `${crash.name}: ${crash.message}
    at Immediate.nextWrite (file:///app/node_modules/postgres/src/connection.js:255:22)
    at process.processImmediate (node:internal/timers:483:21)`;
    expect(isDriverWriteAfterClose(crash)).toBe(true);
    const ours = new TypeError("Cannot read properties of null (reading 'write')");
    expect(isDriverWriteAfterClose(ours)).toBe(false);
    expect(isDriverWriteAfterClose(new Error('write CONNECTION_CLOSED'))).toBe(false);
  });
});

describe.skipIf(!serverUrl)('the PostgreSQL client', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('postgres', { serverUrl, label: 'replace_pool' });
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it('moves the same db to a new pool: queries, transactions and type mapping go on; the old pool closes', async () => {
    const url = new URL(serverUrl as string);
    url.pathname = `/${database.name}`;
    const opened = openPostgres(url.toString(), 2) as Extract<Database, { backend: 'postgres' }>;
    try {
      const { db } = opened;
      const before = opened.client;
      await db.insert(ops.checkpoints).values({ name: 'pool.before', value: { n: 1 } });
      await opened.replacePool();
      expect(opened.client).not.toBe(before);
      // The old pool is ended: it takes no more queries.
      await expect(before`select 1`).rejects.toMatchObject({ code: 'CONNECTION_ENDED' });
      await db.transaction(async (tx) => {
        await tx.insert(ops.checkpoints).values({ name: 'pool.after', value: { n: 2 } });
      });
      const [row] = await db.select().from(ops.checkpoints).where(eq(ops.checkpoints.name, 'pool.after'));
      expect(row?.value).toEqual({ n: 2 });
      // drizzle's parsers were set on the new client too: timestamps still map to Date.
      expect(row?.updatedAt).toBeInstanceOf(Date);
      const [counted] = (await db.execute(sql`SELECT count(*)::int AS n FROM ops.checkpoints`)) as unknown as {
        n: number;
      }[];
      expect(counted?.n).toBe(2);
    } finally {
      await opened.close();
    }
  });

  it('prepares statements once and plans every run afresh: no generic plan outlives a small table', async () => {
    const url = new URL(serverUrl as string);
    url.pathname = `/${database.name}`;
    const opened = openPostgres(url.toString(), 1);
    try {
      const counts = await opened.db.transaction(async (tx) => {
        // One connection in a transaction: pg_prepared_statements is per session.
        for (let run = 0; run < 8; run += 1)
          await tx.execute(
            sql`SELECT c.name /* plan-cache-probe */ FROM jsonb_to_recordset(${JSON.stringify([{ name: `n${run}` }])}::jsonb)
                AS x(name text) JOIN ops.checkpoints c USING (name)`,
          );
        return (await tx.execute(
          sql`SELECT generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements
              WHERE statement LIKE '%plan-cache-probe%' AND statement NOT LIKE '%pg_prepared_statements%'`,
        )) as unknown as { generic: number; custom: number }[];
      });
      // Prepared: one statement for the eight runs. Without force_custom_plan the server would
      // have switched to a cached generic plan after the fifth.
      expect(counts).toEqual([{ generic: 0, custom: 8 }]);
    } finally {
      await opened.close();
    }
  });
});
