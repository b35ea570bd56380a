import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
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

export interface PrivateRedis {
  url: string;
  /** Kill it (SIGKILL) and start it again on the same port, empty. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A throwaway redis-server on a free port, nothing persisted. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
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
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    throw new Error(`private redis-server on port ${port} did not start`);
  };
  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    async restart() {
      await kill();
      await launch();
    },
    stop: kill,
  };
}
