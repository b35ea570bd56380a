import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from '../support/run-cli.js';

/*
 * Bad command lines to the real `matchflow` command (child processes): each is a usage error on
 * stderr with exit code 2, names what is wrong, and prints no stack trace. None of them needs
 * Redis or a database: every one must be refused before anything is connected.
 */

const STACK_FRAME = /^\s+at .+(\(|:\d+:\d+)/m;

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(path.join(tmpdir(), 'matchflow-bad-cli-'));
  // A configuration with one competition, so "unknown competition" means unknown to it.
  writeFileSync(
    path.join(workDir, 'matchflow.yaml'),
    [
      'sources:',
      '  sofascore: { kind: sofascore, baseUrl: "http://127.0.0.1:9/api/v1" }',
      'ratingPools: { football: {} }',
      'competitions:',
      '  - { id: demo-league, source: sofascore, competition: 1001, seasons: [50001, 50002], ratingPool: football }',
    ].join('\n'),
  );
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

interface BadCommandLine {
  args: string[];
  /** What stderr must say. */
  says: string | RegExp;
  env?: Record<string, string>;
}

const CASES: Record<string, BadCommandLine> = {
  'an unknown command': { args: ['frobnicate'], says: "unknown command 'frobnicate'" },
  'an unknown subcommand': { args: ['runs', 'frob'], says: "unknown command 'runs frob'" },
  'an unknown flag': { args: ['health', '--frob'], says: "unknown option '--frob'" },
  'a flag of another command': { args: ['health', '--competition', 'x'], says: "health does not take '--competition'" },
  'a flag without its value': { args: ['runs', 'list', '--limit'], says: /--limit.*argument missing/ },
  'a limit that is not a number': {
    args: ['runs', 'list', '-n', 'ten'],
    says: "--limit must be a whole number of at least 1, not 'ten'",
  },
  'a missing required argument': { args: ['runs', 'show'], says: 'runs show needs <id>' },
  'an extra argument': { args: ['config', 'check', 'now'], says: "unexpected argument 'now' for config check" },
  'a month 13, day 45': {
    args: ['backfill', '--competition', 'demo-league', '--from', '2024-13-45', '--to', '2024-12-31'],
    says: "--from must be a day (YYYY-MM-DD) or an ISO 8601 time with offset, not '2024-13-45'",
  },
  'the 30th of February': {
    args: ['backfill', '--competition', 'demo-league', '--to', '2024-02-30'],
    says: "--to must be a day (YYYY-MM-DD) or an ISO 8601 time with offset, not '2024-02-30'",
  },
  'a backfill without a scope': { args: ['backfill', '--competition', 'demo-league'], says: 'backfill needs a scope' },
  'an unknown competition to backfill': {
    args: ['backfill', '--competition', 'no-such-league', '--season', '50001', '--dry-run'],
    says: 'no-such-league',
  },
  // With a database configured, so the check is the competition's and not the missing DATABASE_URL
  // (port 1: nothing listens, and nothing may be connected before the command line is checked).
  'an unknown competition to run': {
    args: ['run', '--competition', 'no-such-league', '--season', '50001'],
    env: { DATABASE_URL: 'postgres://matchflow@127.0.0.1:1/matchflow' },
    says: "unknown competition 'no-such-league' (configured: demo-league)",
  },
  'an untracked season to run': {
    args: ['run', '--competition', 'demo-league', '--season', '1999'],
    env: { DATABASE_URL: 'postgres://matchflow@127.0.0.1:1/matchflow' },
    says: "season '1999' is not tracked for demo-league (tracked: 50001, 50002)",
  },
  'an unknown source to check': {
    args: ['check-contract', '--source', 'espn', '--event', '1'],
    says: "unknown source 'espn' (configured: sofascore)",
  },
  'a participant without a pool': {
    args: ['ratings', 'show', '--participant', 'p1'],
    says: '--participant needs --pool',
  },
};

describe('matchflow with a bad command line', () => {
  const names = Object.keys(CASES);
  const results = new Map<string, CliResult>();

  beforeAll(async () => {
    // All at once: the cases are independent, and each is a process start and little else.
    const answers = await Promise.all(
      names.map((name) => {
        const { args, env } = CASES[name] as BadCommandLine;
        return runCli(args, { cwd: workDir, ...(env ? { env } : {}) });
      }),
    );
    for (const [index, name] of names.entries()) results.set(name, answers[index] as CliResult);
  }, 120_000);

  it.each(names)('%s: usage error on stderr, exit 2, no stack trace', (name) => {
    const { says } = CASES[name] as BadCommandLine;
    const result = results.get(name) as CliResult;
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^matchflow: /);
    if (typeof says === 'string') expect(result.stderr).toContain(says);
    else expect(result.stderr).toMatch(says);
    // Either the usage itself or where to find it.
    expect(result.stderr).toMatch(/usage: matchflow|--help shows its usage/);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });
});
