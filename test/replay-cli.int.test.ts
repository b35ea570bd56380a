import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type NodeProcess, spawnNode } from './support/spawn-node.js';

const BIN = fileURLToPath(new URL('../apps/replay-api/bin/matchflow-replay.mjs', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function launch(args: string[]): NodeProcess {
  return spawnNode([BIN, ...args], { track: children });
}

describe('matchflow-replay command', () => {
  it('serves the API on the port it prints, and exits 0 on SIGTERM', async () => {
    const replay = launch(['--port', '0', '--seed', '7', '--now', '2025-05-01T12:00:00Z']);
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const found = /API at (http:\/\/127\.0\.0\.1:\d+\/api\/v1)/.exec(replay.output());
        if (found?.[1]) {
          clearInterval(timer);
          resolve(found[1]);
        }
        if (replay.child.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`exited early: ${replay.output()}`));
        }
      }, 25);
    });
    expect(replay.output()).toContain('now 2025-05-01T12:00:00.000Z');
    const seasons = (await (await fetch(`${url}/unique-tournament/1001/seasons`)).json()) as {
      seasons: Array<{ id: number }>;
    };
    expect(seasons.seasons.map((season) => season.id)).toEqual([50002, 50001]);
    replay.child.kill('SIGTERM');
    expect(await replay.exited).toBe(0);
  });

  it('exits 2 on a bad option', async () => {
    const replay = launch(['--seed', 'seven']);
    expect(await replay.exited).toBe(2);
    expect(replay.output()).toContain('--seed must be a number');
  });
});
