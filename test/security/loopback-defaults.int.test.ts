import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@matchflow/config';
import { createDashboardServer } from '@matchflow/dashboard';
import { startReplay } from '@matchflow/replay';
import { createLogger } from '@matchflow/telemetry';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { FROM_SOURCE, spawnNode } from '../support/spawn-node.js';

/*
 * The replay upstream and the dashboard bind to 127.0.0.1 unless told otherwise: started with
 * their defaults (as libraries and as commands), they listen on loopback, and a connection to
 * the port through this machine's other addresses is refused. Told to bind beyond loopback
 * without credentials, the dashboard refuses to start with exit 2.
 */

const REPLAY_BIN = fileURLToPath(new URL('../../apps/replay-api/bin/matchflow-replay.mjs', import.meta.url));
const DASHBOARD_MAIN = fileURLToPath(new URL('../../apps/dashboard/src/main.ts', import.meta.url));
const logger = createLogger({ service: 'test', level: 'silent' });
const workDir = mkdtempSync(path.join(tmpdir(), 'matchflow-security-loopback-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(workDir, { recursive: true, force: true });
});

/** This machine's addresses other than loopback (empty in a sandbox without a network). */
const OTHER_ADDRESSES = Object.values(networkInterfaces())
  .flat()
  .filter((entry) => entry !== undefined && !entry.internal && !entry.address.startsWith('fe80'))
  .map((entry) => entry?.address as string);

/** `ECONNREFUSED` (or unreachable): nothing listens on `port` at `host`. */
function connectError(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

async function expectLoopbackOnly(port: number): Promise<void> {
  expect(await connectError('127.0.0.1', port)).toBe('connected');
  for (const address of OTHER_ADDRESSES) expect(await connectError(address, port), address).not.toBe('connected');
}

function launch(args: string[], env: Record<string, string> = {}) {
  return spawnNode(args, { cwd: workDir, env, track: children });
}

describe('loopback by default', () => {
  it('the replay upstream: startReplay() and matchflow-replay listen on 127.0.0.1 only', async () => {
    const replay = await startReplay({ port: 0 });
    try {
      expect(replay.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await expectLoopbackOnly(Number(new URL(replay.url).port));
    } finally {
      await replay.close();
    }

    const command = launch([REPLAY_BIN, '--port', '0']);
    await vi.waitFor(() => expect(command.output()).toMatch(/API at http:\/\/[^:]+:\d+/), { timeout: 20_000 });
    const [, host, port] = /API at http:\/\/([^:]+):(\d+)/.exec(command.output()) ?? [];
    expect(host).toBe('127.0.0.1');
    await expectLoopbackOnly(Number(port));
    command.child.kill('SIGTERM');
    expect(await command.exited, command.output()).toBe(0);
  });

  it('the dashboard: dashboard.host defaults to 127.0.0.1 and the server listens there only', async () => {
    const config = loadConfig({}, JSON.stringify({ publishDir: path.join(workDir, 'published') }));
    expect(config.dashboard.host).toBe('127.0.0.1');
    expect(config.dashboard.auth).toEqual({});
    const server = await createDashboardServer({ config, logger, port: 0 });
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      expect(server.authRequired).toBe(false);
      await expectLoopbackOnly(server.port);
    } finally {
      await server.close();
    }
  });

  it('the dashboard command: on loopback by default; beyond it without credentials, exit 2 naming the key', async () => {
    const tsx = [...FROM_SOURCE, DASHBOARD_MAIN];
    // All at once: each is a process start of its own.
    const dashboard = launch(tsx, { MATCHFLOW_DASHBOARD__PORT: '0' });
    const exposed = ['0.0.0.0', ...OTHER_ADDRESSES.slice(0, 1)].map((host) => ({
      host,
      ...launch(tsx, { MATCHFLOW_DASHBOARD__PORT: '0', MATCHFLOW_DASHBOARD__HOST: host }),
    }));
    await vi.waitFor(() => expect(dashboard.output()).toContain('"msg":"dashboard listening"'), { timeout: 30_000 });
    const url = /"url":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(dashboard.output());
    expect(url, dashboard.output()).not.toBeNull();
    expect(dashboard.output()).toContain('"auth":false');
    await expectLoopbackOnly(Number(url?.[1]));
    dashboard.child.kill('SIGTERM');
    expect(await dashboard.exited).toBe(0);

    for (const refused of exposed) {
      expect(await refused.exited, refused.host).toBe(2);
      expect(refused.output()).toMatch(
        /invalid configuration[\s\S]*dashboard\.auth: the dashboard binds to .*beyond loopback/,
      );
    }
  });
});
