import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { createDb, openPostgres } from './client.js';
import { appliedMigrationCount, migrate, queryRows } from './migrate.js';
import { createTestDatabase, type TestDatabase, testBackends } from './testing.js';

const serverUrl = process.env.TEST_DATABASE_URL;
if (!serverUrl) console.info('[db] TEST_DATABASE_URL is not set: PostgreSQL variants skipped, PGlite only');

const ZONES = ['core', 'curated', 'ops', 'ratings', 'raw'];

describe.each(testBackends(process.env))('migrations on %s', (backend) => {
  const opened: TestDatabase[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.dispose()));
  });

  async function emptyDatabase(): Promise<TestDatabase> {
    const database = await createTestDatabase(backend, { migrated: false, serverUrl, label: 'migrate' });
    opened.push(database);
    return database;
  }

  it('apply from empty and create every zone and the ops tables', async () => {
    const database = await emptyDatabase();
    expect(await appliedMigrationCount(database)).toBe(0);

    const result = await migrate(database);
    expect(result.newlyApplied).toBeGreaterThan(0);
    expect(result.applied).toBe(result.newlyApplied);

    const schemas = await queryRows<{ name: string }>(
      database,
      sql`SELECT nspname AS name FROM pg_namespace WHERE nspname IN (${sql.join(
        ZONES.map((zone) => sql`${zone}`),
        sql`, `,
      )}) ORDER BY nspname`,
    );
    expect(schemas.map((row) => row.name)).toEqual(ZONES);
    const opsTables = await queryRows<{ name: string }>(
      database,
      sql`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'ops' ORDER BY table_name`,
    );
    expect(opsTables.map((row) => row.name)).toEqual([
      'alerts',
      'checkpoints',
      'pipeline_runs',
      'quality_results',
      'samples',
      'snapshots',
      'stage_runs',
    ]);
  });

  it('apply twice as a no-op', async () => {
    const database = await emptyDatabase();
    const first = await migrate(database);
    const second = await migrate(database);
    expect(second).toEqual({ applied: first.applied, newlyApplied: 0 });
  });
});

describe.skipIf(!serverUrl)('migrations on postgres, from several processes at once', () => {
  it('serialise behind the advisory lock and apply exactly once', async () => {
    const target = await createTestDatabase('postgres', { migrated: false, serverUrl, label: 'migrate_race' });
    const url = new URL(serverUrl as string);
    url.pathname = `/${target.name}`;
    const racers = Array.from({ length: 4 }, () => openPostgres(url.toString(), 2));
    try {
      const results = await Promise.all(racers.map((database) => migrate(database)));
      expect(results.map((result) => result.newlyApplied).sort()).toEqual([0, 0, 0, results[0]?.applied].sort());
      expect(await appliedMigrationCount(target)).toBe(results[0]?.applied);
    } finally {
      await Promise.all(racers.map((database) => database.close()));
      await target.dispose();
    }
  });
});

describe('createDb on embedded defaults', () => {
  it('keeps a file-backed PGlite under dataDir across reopen', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'matchflow-db-'));
    try {
      const first = await createDb({ dataDir, database: { poolSize: 1 } });
      expect(first.backend).toBe('pglite');
      expect(first.location).toBe(path.join(dataDir, 'pglite'));
      await migrate(first);
      await first.db.execute(sql`INSERT INTO ops.checkpoints (name, value) VALUES ('persisted', '1'::jsonb)`);
      await first.close();

      const second = await createDb({ dataDir, database: { poolSize: 1 } });
      expect((await migrate(second)).newlyApplied).toBe(0);
      const rows = await queryRows<{ name: string }>(second, sql`SELECT name FROM ops.checkpoints`);
      expect(rows).toEqual([{ name: 'persisted' }]);
      await second.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
