import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { calibrate, parseParams, rate } from '@matchflow/ratings';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';

/*
 * `matchflow ratings rate` as an analyst runs it: a real process, real files. Its numbers must
 * be the engine's, to the bit; bad input must name the line or key and exit 2.
 */

const workDir = mkdtempSync(path.join(tmpdir(), 'matchflow-ratings-rate-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const file = (name: string, text: string) => {
  const target = path.join(workDir, name);
  writeFileSync(target, text);
  return target;
};

const RESULTS = `date,season,home,away,home_score,away_score,neutral,weight,venue
2024-08-10,2024,Reds,Blues,2,0,0,league,"North Park, Old Town"
2024-08-10,2024,Greens,Whites,1,1,0,league,East Ground
2024-08-17,2024,Blues,Greens,0,3,0,cup,South Road
2025-01-04,2025,Whites,Reds,2,2,1,,Neutral "Arena"
`;
const PARAMS = { preset: 'american-football', homeAdvantage: 48, seasonRegression: { fraction: 0.25 } };

const cli = (args: string[]) => runCli(['ratings', 'rate', ...args], { cwd: workDir });

describe('matchflow ratings rate', () => {
  it('writes the input columns plus full-precision ratings equal to the engine, and prints calibration', async () => {
    const input = file('results.csv', RESULTS);
    const params = file('params.json', JSON.stringify(PARAMS));
    const out = path.join(workDir, 'rated.csv');
    const result = await cli(['--input', input, '--params', params, '--out', out]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe(
      'date,season,home,away,home_score,away_score,neutral,weight,venue,home_pre,away_pre,home_post,away_post,home_expected',
    );
    expect(lines[1]?.startsWith('2024-08-10,2024,Reds,Blues,2,0,0,league,"North Park, Old Town",')).toBe(true);
    expect(lines[4]?.startsWith('2025-01-04,2025,Whites,Reds,2,2,1,,"Neutral ""Arena""",')).toBe(true);

    const engine = rate(
      [
        ['Reds', 'Blues', 2, 0, false, '2024', 'league'],
        ['Greens', 'Whites', 1, 1, false, '2024', 'league'],
        ['Blues', 'Greens', 0, 3, false, '2024', 'cup'],
        ['Whites', 'Reds', 2, 2, true, '2025', undefined],
      ].map(([home, away, homeScore, awayScore, neutral, season, weight], index) => ({
        id: String(index),
        home: home as string,
        away: away as string,
        homeScore: homeScore as number,
        awayScore: awayScore as number,
        neutral: neutral as boolean,
        season: season as string,
        ...(weight ? { weight: weight as string } : {}),
      })),
      parseParams(PARAMS),
    );
    lines.slice(1).forEach((line, index) => {
      const numbers = line.split(',').slice(-5).map(Number);
      const expected = engine.rated[index];
      // Parsed back, every figure is the engine's double exactly.
      expect(numbers).toEqual([
        expected?.homePre,
        expected?.awayPre,
        expected?.homePost,
        expected?.awayPost,
        expected?.expectedHome,
      ]);
    });
    const { brier, logLoss } = calibrate(engine.rated);
    expect(result.stdout).toContain('rated 4 matches of 4 participants');
    expect(result.stdout).toContain(`calibration: Brier ${brier.toFixed(5)}, log loss ${logLoss.toFixed(5)}`);
  });

  it('writes the CSV to stdout and a JSON summary to stderr without --out', async () => {
    const input = file('results.csv', RESULTS);
    const params = file('params.json', JSON.stringify({}));
    const result = await cli(['--input', input, '--params', params, '--json']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toHaveLength(6);
    expect(JSON.parse(result.stderr)).toMatchObject({ matches: 4, participants: 4, brier: expect.any(Number) });
  });

  const badInputs: Array<[string, string, string, RegExp]> = [
    ['a missing column', RESULTS.replace(',neutral,', ',venue_type,'), '{}', /line 1: missing column 'neutral'/],
    [
      'an unparsable score',
      RESULTS.replace('Greens,Whites,1,1', 'Greens,Whites,one,1'),
      '{}',
      /line 3: home_score 'one'/,
    ],
    ['a bad date', RESULTS.replace('2024-08-17', '2024-02-30'), '{}', /line 4: date '2024-02-30' is not a date/],
    ['rows out of order', RESULTS.replace('2024-08-17', '2024-08-01'), '{}', /line 4: date 2024-08-01 is before/],
    ['a bad neutral flag', RESULTS.replace(',2,2,1,', ',2,2,TRUE,'), '{}', /line 5: neutral 'TRUE' must be 0 or 1/],
    ['a short row', `${RESULTS}2025-02-01,2025,Reds\n`, '{}', /line 6: 3 fields, the header has 9/],
    ['an unknown parameter', RESULTS, '{"kfactor": 20}', /params\.json: kfactor: unknown parameter/],
    [
      'a bad parameter value',
      RESULTS,
      '{"mov": {"kind": "log-margin", "a": 2.2}}',
      /params\.json: mov\.b: must be a finite number/,
    ],
    ['params that are not JSON', RESULTS, '{k: 20}', /params\.json: not valid JSON/],
  ];
  it.each(badInputs)('rejects %s with a message naming it, exit 2', async (_name, results, params, message) => {
    const result = await cli(['--input', file('bad.csv', results), '--params', file('params.json', params)]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(result.stdout).toBe('');
  });

  it('asks for its inputs (exit 2) and reports a missing file', async () => {
    expect(await cli([])).toMatchObject({ code: 2, stderr: expect.stringContaining('needs --input') });
    const missing = await cli(['--input', path.join(workDir, 'nope.csv'), '--params', file('p.json', '{}')]);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot read') });
  });
});

const RESULTS_FIXTURE = fileURLToPath(new URL('../../shared/fixtures/international/results.csv', import.meta.url));
const haveFixture = existsSync(RESULTS_FIXTURE);
if (!haveFixture) console.info(`[ratings rate] ${RESULTS_FIXTURE} not found: the international run is skipped`);

describe.runIf(haveFixture)('matchflow ratings rate over 150 years of international football', () => {
  it('rates every result with the football preset and forecasts far better than a coin', async () => {
    const converted = execFileSync(process.execPath, ['scripts/international-results.mjs', RESULTS_FIXTURE], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      maxBuffer: 64 * 1024 * 1024,
    });
    const input = file('international.csv', String(converted));
    const out = path.join(workDir, 'international-rated.csv');
    const result = await cli([
      '--input',
      input,
      '--params',
      file('football.json', '{"preset":"football"}'),
      '--out',
      out,
      '--json',
    ]);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.matches).toBeGreaterThan(49_000);
    expect(summary.brier).toBeLessThan(0.16);
    expect(summary.logLoss).toBeLessThan(0.6);
    expect(readFileSync(out, 'utf8').trimEnd().split('\n')).toHaveLength(summary.matches + 1);
  });
});
