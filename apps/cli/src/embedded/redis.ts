import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

export interface EmbeddedRedis {
  url: string;
  /** True when we started a private redis-server (and will stop it). */
  private: boolean;
  stop(): Promise<void>;
}

/** No Redis answered and there is no redis-server to start: say how to get one. */
export class RedisUnavailable extends Error {
  constructor(url: string) {
    super(
      `no Redis answers at ${url}, and redis-server is not on PATH to start a private one.\n` +
        '  Install Redis >= 6.2: Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis\n' +
        '  or point REDIS_URL at a running Redis.',
    );
    this.name = 'RedisUnavailable';
  }
}

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_500,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * DESIGN §10: use the configured Redis when it answers; otherwise start a private redis-server
 * from PATH on a free port, with a temporary directory and nothing persisted, for this process.
 */
export async function ensureRedis(url: string): Promise<EmbeddedRedis> {
  if (await answers(url)) return { url, private: false, stop: async () => {} };
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'matchflow-redis-'));
  let child: ChildProcess;
  try {
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
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
  } catch {
    throw new RedisUnavailable(url);
  }
  const failed = new Promise<never>((_resolve, reject) => child.once('error', () => reject(new RedisUnavailable(url))));
  const privateUrl = `redis://127.0.0.1:${port}`;
  const ready = (async () => {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      if (await answers(privateUrl)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the private redis-server on port ${port} did not start`);
  })();
  await Promise.race([ready, failed]);
  return {
    url: privateUrl,
    private: true,
    async stop() {
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
