import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

/**
 * Test support: a key prefix of one's own on the shared Redis (removed afterwards, nothing
 * else touched), and a private redis-server for tests that must restart or kill Redis.
 */

export const TEST_REDIS_URL = 'redis://127.0.0.1:6379';

export interface TestRedis {
  prefix: string;
  /** A new connection (each stands for one process of the fleet). */
  connect(): Redis;
  /** Close every connection made and delete every key under the prefix. */
  cleanup(): Promise<void>;
}

export function testRedis(url = TEST_REDIS_URL, label = 'test'): TestRedis {
  const prefix = `matchflow-test:${label}:${randomUUID().slice(0, 8)}`;
  const clients: Redis[] = [];
  return {
    prefix,
    connect() {
      const client = new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: false });
      // Connections dropping and coming back is what several tests do on purpose.
      client.on('error', () => {});
      clients.push(client);
      return client;
    },
    async cleanup() {
      const admin = new Redis(url);
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        if (keys.length > 0) await admin.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      await admin.quit();
      await Promise.all(clients.splice(0).map((client) => client.quit().catch(() => client.disconnect())));
    },
  };
}

export function redisServerAvailable(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface PrivateRedisOptions {
  /**
   * `none` (default): nothing is kept, a restart comes back empty. `aof`: every write is appended
   * and fsynced before it is acknowledged (`appendonly yes`, `appendfsync always`) in a temporary
   * directory of the server's own, so a restart, even after `kill -9`, finds every acknowledged
   * write again.
   */
  persistence?: 'none' | 'aof';
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** The server's working directory: its append-only files under `aof` persistence. */
  dir: string;
  /**
   * Kill it (SIGKILL, as `kill -9`) and start it again on the same port with the same directory,
   * after `downMs` (default 0): empty without persistence, with its data under `aof`.
   */
  restart(options?: { downMs?: number }): Promise<void>;
  /** SIGKILL it and wait until it has exited; `start()` brings it back. */
  kill(): Promise<void>;
  /** Start it again after `kill()`, on the same port and directory; resolves once it answers PING. */
  start(): Promise<void>;
  /** Kill it and remove its directory. */
  stop(): Promise<void>;
}

/**
 * A throwaway redis-server on a free port, with `maxmemory-policy noeviction` (the worker refuses
 * to start on anything else), persisting nothing unless `persistence: 'aof'`.
 */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'matchflow-redis-'));
  const persistence =
    options.persistence === 'aof' ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        ...persistence,
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    const probe = new Redis(port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    // Refused connections are expected until the server is up.
    probe.on('error', () => {});
    for (let attempt = 0; attempt < 100; attempt += 1) {
      try {
        await probe.connect();
        // Under AOF the server answers LOADING until it has read its file back.
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    throw new Error(`private redis-server on port ${port} did not start`);
  };
  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async restart(restartOptions = {}) {
      await kill();
      if (restartOptions.downMs) await new Promise((resolve) => setTimeout(resolve, restartOptions.downMs));
      await launch();
    },
    kill,
    start: launch,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
