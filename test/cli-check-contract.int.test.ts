import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ReplayServer, startReplay } from '@matchflow/replay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';

let replay: ReplayServer;
let workDir: string;
let env: Record<string, string>;
const EVENT = '12000001';

beforeAll(async () => {
  replay = await startReplay({ port: 0, seed: 7 });
  workDir = mkdtempSync(path.join(tmpdir(), 'matchflow-check-contract-'));
  const file = path.join(workDir, 'matchflow.yaml');
  writeFileSync(file, `sources:\n  sofascore: { kind: sofascore, baseUrl: "${replay.apiUrl}" }\n`);
  env = { MATCHFLOW_CONFIG: file };
});
afterAll(async () => {
  await replay?.close();
  rmSync(workDir, { recursive: true, force: true });
});

async function setFaults(faults: unknown): Promise<void> {
  await fetch(`${replay.url}/_control/faults`, { method: 'PUT', body: JSON.stringify(faults) });
}

describe('matchflow check-contract', () => {
  it('exits 0 when the event and its lineups, incidents and statistics meet their contracts', async () => {
    await setFaults({});
    const result = await runCli(['check-contract', '--source', 'sofascore', '--event', EVENT], { cwd: workDir, env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const endpoint of ['event', 'event.lineups', 'event.incidents', 'event.statistics']) {
      expect(result.stdout).toMatch(new RegExp(`^OK\\s+${endpoint.replace('.', '\\.')}\\s`, 'm'));
    }
    expect(result.stdout).toContain('every response meets its contract');
  });

  it('exits 1 and names the JSON path when the upstream drifts', async () => {
    await setFaults({ drift: { eventIds: [Number(EVENT)], mode: 'missing-field' } });
    const result = await runCli(['check-contract', '--source', 'sofascore', '--event', EVENT], { cwd: workDir, env });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^VIOLATION\s+event\s/m);
    expect(result.stdout).toContain('    event.status: expected object, received undefined');
  });

  it('exits 2 on a source that is not configured', async () => {
    const result = await runCli(['check-contract', '--source', 'nowhere', '--event', EVENT], { cwd: workDir, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown source 'nowhere' (configured: sofascore)");
  });
});
