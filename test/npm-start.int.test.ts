import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testRedis } from '@matchflow/testing';
import { afterAll, describe, expect, it } from 'vitest';

/* The main command as a user runs it: `npm start -- --once` on embedded defaults, twice. */

const CLI_MAIN = fileURLToPath(new URL('../apps/cli/src/main.ts', import.meta.url));
const TSX_LOADER = import.meta.resolve('tsx');
const workDir = mkdtempSync(path.join(tmpdir(), 'matchflow-start-'));
// The demo's queues live under a prefix of this test's own, deleted afterwards.
const redis = testRedis(undefined, 'npm-start');
afterAll(async () => {
  rmSync(workDir, { recursive: true, force: true });
  await redis.cleanup();
});

function start(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=matchflow-source', '--import', TSX_LOADER, CLI_MAIN, 'start', '--once'],
      {
        cwd: workDir,
        // A Redis key prefix of its own keeps the demo's queues apart from anything else on the server.
        env: { PATH: process.env.PATH ?? '', MATCHFLOW_REDIS__PREFIX: `{matchflow-start-test-${process.pid}}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm start -- --once', () => {
  it('runs the demo on embedded defaults, prints the summary, and finds nothing to do the second time', async () => {
    const first = await start();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('running the demo against the replay upstream');
    expect(first.stdout).toContain(`database ${path.join(workDir, '.matchflow', 'pglite')}`);
    expect(first.stdout).toMatch(/demo-league season 50001: ok · 380 matches · \d+ upstream requests/);
    expect(first.stdout).toMatch(/demo-league season 50002: ok · 380 matches/);
    expect(first.stdout).toMatch(/^ {6} 1\. .+ 38 played +\d+ pts$/m);

    const second = await start();
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/demo-league season 50001: ok · 0 matches/);
    expect(second.stdout).toMatch(/demo-league season 50002: ok · 0 matches/);
  }, 240_000);
});
