import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EXIT_INVALID_CONFIG, loadConfig, loadConfigOrExit } from '@matchflow/config';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { baseConfig, type InvalidConfig, invalidConfigCorpus } from './support/config-corpus.js';

/*
 * Invalid configuration, generated: every case is the valid base config with one mistake. Each
 * must stop the process with exit code 2 and a report naming the bad key, never a stack trace.
 * The whole corpus goes through `loadConfigOrExit`, the function every matchflow main calls;
 * a sample goes through the real `matchflow config check` in child processes.
 */

const workDir = mkdtempSync(path.join(tmpdir(), 'matchflow-bad-config-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const corpus = invalidConfigCorpus();
/** A stack frame line, as node prints them. */
const STACK_FRAME = /^\s+at .+(\(|:\d+:\d+)/m;

function writeCase(index: number, invalid: InvalidConfig): string {
  const file = path.join(workDir, `case-${index}.yaml`);
  writeFileSync(file, invalid.text);
  return file;
}

class Exited extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** What `loadConfigOrExit` does with this file and environment: exit code and stderr. */
function loadInProcess(file: string, env: Record<string, string> = {}) {
  let stderr = '';
  try {
    loadConfigOrExit({
      env: { MATCHFLOW_CONFIG: file, ...env },
      cwd: workDir,
      writeError: (text) => {
        stderr += text;
      },
      exit: (code) => {
        throw new Exited(code);
      },
    });
  } catch (error) {
    if (error instanceof Exited) return { code: error.code, stderr };
    // Anything else escapes main() as a crash with a stack trace: the very thing not to do.
    return { code: undefined, stderr, crash: error };
  }
  return { code: 0, stderr };
}

function expectReport(stderr: string, invalid: InvalidConfig): void {
  expect(stderr).toMatch(/^matchflow: invalid configuration \(.+\): \d+ problems?\n/);
  for (const key of invalid.keys) expect(stderr, `names ${key}`).toContain(`\n  - ${key}: `);
  if (invalid.mentions) expect(stderr).toContain(invalid.mentions);
  expect(stderr).not.toMatch(STACK_FRAME);
}

describe('the invalid config corpus', () => {
  it('is generated from a valid base and covers every kind of mistake', () => {
    expect(() => loadConfig({}, JSON.stringify(baseConfig()))).not.toThrow();
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    for (const kind of [
      'wrong type',
      'unknown key',
      'missing required key',
      'out of range',
      'bad URL',
      'bad schedule',
      'bad time zone',
      'not allowed',
      'env ',
      'YAML syntax error',
    ]) {
      expect(
        corpus.some((invalid) => invalid.name.startsWith(kind)),
        kind,
      ).toBe(true);
    }
    expect(new Set(corpus.map((invalid) => invalid.name)).size).toBe(corpus.length);
  });

  it.each(corpus.map((invalid, index) => ({ ...invalid, index })))('$name: exit 2 naming the key', (invalid) => {
    const result = loadInProcess(writeCase(invalid.index, invalid), invalid.env);
    expect(result.crash).toBeUndefined();
    expect(result.code).toBe(EXIT_INVALID_CONFIG);
    expectReport(result.stderr, invalid);
  });
});

describe('matchflow config check on a sample of the corpus (child processes)', () => {
  // Spread over the corpus so each kind of mistake is likely in the sample; the env cases are
  // picked on purpose (the origin of a bad value only shows end to end with a real environment).
  const SAMPLE_SIZE = 6;
  const step = Math.floor(corpus.length / SAMPLE_SIZE);
  const sample = [
    ...Array.from({ length: SAMPLE_SIZE }, (_, n) => n * step),
    corpus.findIndex((invalid) => invalid.name.startsWith('env MATCHFLOW_DASHBOARD__PORT')),
    corpus.findIndex((invalid) => invalid.name === 'YAML syntax error'),
  ].map((index) => ({ index, invalid: corpus[index] as InvalidConfig }));

  it('exits 2 with every bad key named on stderr, nothing on stdout, no stack trace', async () => {
    const results = await Promise.all(
      sample.map(({ index, invalid }) =>
        runCli(['config', 'check'], {
          cwd: workDir,
          env: { MATCHFLOW_CONFIG: writeCase(index, invalid), ...invalid.env },
        }),
      ),
    );
    results.forEach((result, position) => {
      const { invalid } = sample[position] as { invalid: InvalidConfig };
      expect(result.code, invalid.name).toBe(2);
      expect(result.stdout, invalid.name).toBe('');
      expectReport(result.stderr, invalid);
    });
  });
});
