import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type PrivateRedis, redisServerAvailable, startPrivateRedis } from '@matchflow/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FROM_SOURCE, type NodeProcess, spawnNode } from '../support/spawn-node.js';

/*
 * The optional health listener of the worker and scheduler (`health.port`, docs/deployment.md),
 * as the Kubernetes probes and compose health checks use it: real processes, real HTTP. Each
 * process runs on its own embedded PGlite and a private redis-server, which the test kills to
 * see /readyz turn 503 while /healthz stays 200 (liveness must not restart a worker that is
 * waiting out an outage), then starts again to see it recover.
 */

const WORKER_MAIN = fileURLToPath(new URL('../../apps/worker/src/main.ts', import.meta.url));
const SCHEDULER_MAIN = fileURLToPath(new URL('../../apps/scheduler/src/main.ts', import.meta.url));

const hasRedisServer = redisServerAvailable();
if (!hasRedisServer) console.info('[health listener] redis-server is not on PATH: tests skipped');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.skipIf(!hasRedisServer)('the health listener of worker and scheduler processes', () => {
  let redis: PrivateRedis;
  const dirs: string[] = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await redis?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function launch(main: string, env: Record<string, string>): NodeProcess {
    const dir = mkdtempSync(path.join(tmpdir(), 'matchflow-health-'));
    dirs.push(dir);
    return spawnNode([...FROM_SOURCE, main], {
      cwd: dir,
      env: {
        REDIS_URL: redis.url,
        MATCHFLOW_DATA_DIR: path.join(dir, 'data'),
        MATCHFLOW_LOG_LEVEL: 'info',
        ...env,
      },
      track: children,
    });
  }

  async function get(url: string, init: RequestInit = {}): Promise<{ status: number; text: string }> {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
    return { status: response.status, text: await response.text() };
  }

  async function waitForListener(base: string, process: NodeProcess): Promise<void> {
    await vi.waitFor(
      async () => {
        if (process.child.exitCode !== null) throw new Error(`exited early:\n${process.output()}`);
        expect((await get(`${base}/healthz`)).status).toBe(200);
      },
      { timeout: 45_000, interval: 250 },
    );
  }

  it('serves /healthz and /readyz from a worker, bound to loopback, revealing nothing; /readyz follows Redis', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // A short grace period: after the Redis restart below, BullMQ's close may wait it out in full.
    const worker = launch(WORKER_MAIN, {
      MATCHFLOW_HEALTH__PORT: String(port),
      MATCHFLOW_WORKERS__SHUTDOWN_TIMEOUT_MS: '3000',
    });
    await waitForListener(base, worker);

    expect(worker.output()).toContain(`"url":"http://127.0.0.1:${port}"`);
    expect(await get(`${base}/healthz`)).toEqual({ status: 200, text: '{"status":"ok"}' });
    expect(await get(`${base}/readyz`)).toEqual({
      status: 200,
      text: '{"status":"ready","checks":{"redis":true,"database":true}}',
    });
    expect((await get(`${base}/readyz`, { method: 'HEAD' })).status).toBe(200);
    expect((await get(`${base}/metrics`)).status).toBe(404);
    expect((await get(`${base}/healthz`, { method: 'POST' })).status).toBe(405);

    await redis.kill();
    try {
      const down = await get(`${base}/readyz`);
      expect(down.status).toBe(503);
      expect(JSON.parse(down.text)).toEqual({ status: 'unready', checks: { redis: false, database: true } });
      // No address, port or error text leaks to an anonymous client.
      expect(down.text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|redis:\/\/|\d{4,5}/);
      // Liveness does not follow Redis: the worker waits the outage out instead of being restarted.
      expect((await get(`${base}/healthz`)).status).toBe(200);
      await vi.waitFor(() => expect(worker.output()).toContain('"msg":"not ready"'), { timeout: 5_000 });
    } finally {
      await redis.start();
    }
    await vi.waitFor(async () => expect((await get(`${base}/readyz`)).status).toBe(200), {
      timeout: 20_000,
      interval: 250,
    });

    worker.child.kill('SIGTERM');
    // Bounded even when the restarted Redis leaves BullMQ's close hanging (Fleet.stop).
    const code = await Promise.race([
      worker.exited,
      new Promise((resolve) => setTimeout(() => resolve('hung'), 40_000)),
    ]);
    expect(code, worker.output().slice(-4_000)).toBe(0);
    // The listener went with the process.
    await expect(get(`${base}/healthz`)).rejects.toThrow();
  }, 120_000);

  it('serves them from a scheduler too, and is off unless health.port is set', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const scheduler = launch(SCHEDULER_MAIN, { MATCHFLOW_HEALTH__PORT: String(port) });
    await waitForListener(base, scheduler);
    expect(await get(`${base}/readyz`)).toEqual({
      status: 200,
      text: '{"status":"ready","checks":{"redis":true,"database":true}}',
    });
    scheduler.child.kill('SIGTERM');
    expect(await scheduler.exited).toBe(0);
    expect(scheduler.output()).toContain('health listener started');

    const quiet = launch(SCHEDULER_MAIN, {});
    await vi.waitFor(() => expect(quiet.output()).toContain('scheduler started'), { timeout: 45_000, interval: 250 });
    expect(quiet.output()).not.toContain('health listener started');
    quiet.child.kill('SIGTERM');
    expect(await quiet.exited).toBe(0);
  }, 120_000);

  it('stops a worker with exit 1 naming the port when the health port is taken, before it takes a job', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const worker = launch(WORKER_MAIN, { MATCHFLOW_HEALTH__PORT: String(port) });
      expect(await worker.exited).toBe(1);
      expect(worker.output()).toContain(
        `cannot listen on 127.0.0.1:${port} for health probes (health.port): EADDRINUSE`,
      );
      expect(worker.output()).not.toContain('worker started');
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
