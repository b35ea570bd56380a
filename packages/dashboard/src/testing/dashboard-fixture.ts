import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Config, loadConfig } from '@matchflow/config';
import type { DbBackend } from '@matchflow/db';
import { createTestDatabase, type TestDatabase } from '@matchflow/db/testing';
import { createLogger } from '@matchflow/telemetry';
import { type TestRedis, testRedis } from '@matchflow/testing';
import { createDashboardServer, type DashboardServer } from '../server.js';

/*
 * For this package's integration tests, not exported: a dashboard server over a database of the
 * test's own (seeded first), real Redis under a prefix of its own and a scratch publish dir.
 */

/** One source and one competition of the `football` pool, Redis keys under `prefix`. */
export function dashboardTestConfig(prefix: string, publishDir: string): Config {
  return loadConfig(
    {},
    JSON.stringify({
      publishDir,
      redis: { prefix },
      sources: { sofascore: { kind: 'sofascore', baseUrl: 'http://127.0.0.1:9' } },
      ratingPools: { football: {} },
      competitions: [
        { id: 'demo-league', source: 'sofascore', competition: 1001, seasons: [50001], ratingPool: 'football' },
      ],
    }),
  );
}

export interface DashboardFixture {
  database: TestDatabase;
  server: DashboardServer;
  redis: TestRedis;
  publishDir: string;
  close(): Promise<void>;
}

/**
 * Start it: `label` names the database and the Redis prefix; `seed` writes the rows the test
 * reads before the server starts; `now` is the server's clock.
 */
export async function startDashboardFixture(options: {
  backend: DbBackend;
  label: string;
  seed?: (database: TestDatabase) => Promise<void>;
  now?: () => number;
}): Promise<DashboardFixture> {
  const redis = testRedis(undefined, `${options.label}-${options.backend}`);
  const database = await createTestDatabase(options.backend, {
    serverUrl: process.env.TEST_DATABASE_URL,
    label: options.label.replaceAll('-', '_'),
  });
  const publishDir = await mkdtemp(path.join(tmpdir(), `matchflow-${options.label}-`));
  const close = async () => {
    await server?.close();
    await database.dispose();
    await redis.cleanup();
    await rm(publishDir, { recursive: true, force: true });
  };
  let server: DashboardServer | undefined;
  try {
    await options.seed?.(database);
    server = await createDashboardServer({
      config: dashboardTestConfig(redis.prefix, publishDir),
      logger: createLogger({ service: 'test', level: 'silent' }),
      db: database.db,
      port: 0,
      ...(options.now ? { now: options.now } : {}),
    });
  } catch (error) {
    await close();
    throw error;
  }
  return { database, server, redis, publishDir, close };
}
