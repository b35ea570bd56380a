import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '@matchflow/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';

const serverUrl = process.env.TEST_DATABASE_URL;

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(path.join(tmpdir(), 'matchflow-cli-'));
});
afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

describe('matchflow config check', () => {
  it('exits 2 and names every bad key, with no stack trace, on invalid config', async () => {
    const file = path.join(workDir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'env: production',
        'sources:',
        '  fd: { kind: football-data, baseUrl: "https://api.football-data.org/v4" }',
        'competitions:',
        '  - { id: pl, source: fdx, competition: PL, seasons: [2024], schedule: "99 * * * *", ratingPool: football }',
      ].join('\n'),
    );
    const result = await runCli(['config', 'check'], {
      cwd: workDir,
      env: { MATCHFLOW_CONFIG: file, MATCHFLOW_DASHBOARD__PORT: 'eighty' },
    });
    expect(result.code).toBe(2);
    for (const key of [
      'env',
      'sources.fd.credentials.token',
      'competitions[0].source',
      'competitions[0].schedule',
      'competitions[0].ratingPool',
      'dashboard.port',
    ]) {
      expect(result.stderr).toContain(`  - ${key}: `);
    }
    expect(result.stderr).toContain('[from env MATCHFLOW_DASHBOARD__PORT]');
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stdout).toBe('');
  });

  it('exits 2 when MATCHFLOW_CONFIG names a missing file', async () => {
    const result = await runCli(['config', 'check'], { cwd: workDir, env: { MATCHFLOW_CONFIG: 'nope.yaml' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/config file .*nope\.yaml does not exist \[from env MATCHFLOW_CONFIG\]/);
  });

  it('exits 0 and summarises a valid config without printing secrets', async () => {
    const file = path.join(workDir, 'good.yaml');
    writeFileSync(
      file,
      [
        'sources:',
        '  fd: { kind: football-data, baseUrl: "https://api.football-data.org/v4", credentials: { token: "${FD_TOKEN}" } }',
        'ratingPools: { football: {} }',
        'competitions:',
        '  - { id: pl, source: fd, competition: PL, seasons: [2024], ratingPool: football }',
      ].join('\n'),
    );
    const result = await runCli(['config', 'check'], {
      cwd: workDir,
      env: { MATCHFLOW_CONFIG: file, FD_TOKEN: 'very-secret-token', REDIS_URL: 'redis://:redispw@127.0.0.1:6379' },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('configuration OK');
    expect(result.stdout).toContain('fd (football-data)');
    expect(result.stdout).toContain('pl [1 season(s)]');
    expect(result.stdout).not.toContain('very-secret-token');
    expect(result.stdout).not.toContain('redispw');
  });

  it('refuses `run` without a shared database, saying why (exit 2)', async () => {
    const result = await runCli(['run', '--competition', 'demo-league', '--season', '50001'], { cwd: workDir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('need a shared database: set DATABASE_URL');
  });

  it('exits 2 on an unknown command', async () => {
    const result = await runCli(['frobnicate'], { cwd: workDir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'frobnicate'");
  });
});

describe('matchflow db migrate', () => {
  it('migrates the embedded PGlite under dataDir, then finds nothing to do', async () => {
    const dataDir = path.join(workDir, 'data');
    const env = { MATCHFLOW_DATA_DIR: dataDir };
    const first = await runCli(['db', 'migrate'], { cwd: workDir, env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`database ${path.join(dataDir, 'pglite')}: applied \\d+ migration\\(s\\)`));
    const second = await runCli(['db', 'migrate'], { cwd: workDir, env });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('is up to date');
  });

  it.skipIf(!serverUrl)('migrates PostgreSQL named by DATABASE_URL', async () => {
    const target = await createTestDatabase('postgres', { migrated: false, serverUrl, label: 'cli' });
    try {
      const url = new URL(serverUrl as string);
      url.pathname = `/${target.name}`;
      const result = await runCli(['db', 'migrate'], { cwd: workDir, env: { DATABASE_URL: url.toString() } });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/applied \d+ migration\(s\)/);
    } finally {
      await target.dispose();
    }
  });
});
