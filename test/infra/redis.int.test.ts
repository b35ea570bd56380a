import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { redisServerAvailable, testRedis } from '@matchflow/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';

/*
 * infra/redis/redis.conf as a real redis-server reads it, and the BullMQ key layout the KEDA
 * example scales on (infra/k8s/autoscaling/keda-worker.yaml): waiting jobs in the list
 * `<prefix>:<queue>:wait`, prioritized (backfill) jobs in a sorted set the list scaler cannot see.
 */

const CONF = fileURLToPath(new URL('../../infra/redis/redis.conf', import.meta.url));
const hasRedisServer = redisServerAvailable();
if (!hasRedisServer) console.info('[infra redis] redis-server is not on PATH: the redis.conf boot test is skipped');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('infra/redis/redis.conf', () => {
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  afterAll(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!hasRedisServer)('boots redis-server with noeviction and an fsynced-every-second AOF', async () => {
    const port = await freePort();
    dir = mkdtempSync(path.join(tmpdir(), 'matchflow-redis-conf-'));
    let output = '';
    child = spawn('redis-server', [CONF, '--port', String(port), '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    const redis = new Redis(port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on('error', () => {});
    try {
      await vi.waitFor(
        async () => {
          if (child?.exitCode !== null) throw new Error(`redis-server exited:\n${output}`);
          if (redis.status !== 'ready') await redis.connect().catch(() => {});
          expect(await redis.ping()).toBe('PONG');
        },
        { timeout: 10_000, interval: 100 },
      );
      const get = async (key: string) => (await redis.config('GET', key))[1];
      expect(await get('maxmemory-policy')).toBe('noeviction');
      expect(await get('appendonly')).toBe('yes');
      expect(await get('appendfsync')).toBe('everysec');
      expect(await get('timeout')).toBe('0');
      expect(await get('save')).toBe('3600 1 300 100 60 10000');
      await redis.set('k', 'v');
      await vi.waitFor(async () => expect((await redis.info('persistence')).includes('aof_enabled:1')).toBe(true));
    } finally {
      redis.disconnect();
    }
  });
});

describe('the BullMQ keys the KEDA example reads', () => {
  const shared = testRedis(undefined, 'infra-keys');
  afterAll(() => shared.cleanup());

  it('keeps waiting jobs in the list <prefix>:<queue>:wait and prioritized ones in a sorted set', async () => {
    const connection = shared.connect();
    const queue = new Queue('ingest', { connection, prefix: shared.prefix });
    try {
      await queue.add('match.ingest', { n: 1 });
      await queue.add('match.ingest', { n: 2 });
      await queue.add('match.ingest', { n: 3 }, { priority: 10 });
      expect(await connection.type(`${shared.prefix}:ingest:wait`)).toBe('list');
      expect(await connection.llen(`${shared.prefix}:ingest:wait`)).toBe(2);
      expect(await connection.zcard(`${shared.prefix}:ingest:prioritized`)).toBe(1);
      // The dashboard's matchflow_queue_depth counts both (states waiting and prioritized).
      expect(await queue.getJobCounts('waiting', 'prioritized')).toEqual({ waiting: 2, prioritized: 1 });
    } finally {
      await queue.close();
    }
  });
});
