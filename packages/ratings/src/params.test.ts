import { describe, expect, it } from 'vitest';
import { calibrate } from './calibration.js';
import { DEFAULT_PARAMS, rate } from './engine.js';
import { ParamsError, PRESET_NAMES, PRESETS, parseParams } from './params.js';

describe('parseParams', () => {
  it('fills what is left out from the defaults', () => {
    expect(parseParams({})).toEqual(DEFAULT_PARAMS);
    expect(parseParams({ k: { a: 250, b: 5, c: 0.4 }, mov: { kind: 'log-margin', a: 2.2, b: 0.001 } })).toMatchObject({
      k: { a: 250, b: 5, c: 0.4 },
      mov: { kind: 'log-margin', a: 2.2, b: 0.001 },
    });
  });

  it('starts from a preset and lets keys override it', () => {
    const params = parseParams({ preset: 'american-football', homeAdvantage: 48 });
    expect(params).toMatchObject({ homeAdvantage: 48, seasonRegression: { fraction: 1 / 3, mean: 1505 } });
    expect(PRESETS['american-football'].homeAdvantage).toBe(65);
  });

  it('accepts every preset as it is', () => {
    for (const preset of PRESET_NAMES) expect(parseParams({ preset })).toEqual(PRESETS[preset]);
  });

  it.each([
    [{ kk: 20 }, 'kk'],
    [{ k: -1 }, 'k'],
    [{ k: { a: 250, b: 5 } }, 'k.c'],
    [{ k: { a: 250, b: 0, c: 1 } }, 'k.b'],
    [{ scale: 0 }, 'scale'],
    [{ mov: { kind: 'log' } }, 'mov.kind'],
    [{ mov: { kind: 'log-margin', a: 2.2 } }, 'mov.b'],
    [{ mov: { kind: 'none', a: 1 } }, 'mov.a'],
    [{ matchWeights: { final: 'x' } }, 'matchWeights.final'],
    [{ seasonRegression: { fraction: 2 } }, 'seasonRegression.fraction'],
    [{ seasonRegression: { fraction: 0.5, overrides: { nobar: 1 } } }, 'seasonRegression.overrides.nobar'],
    [{ initialRatings: [] }, 'initialRatings'],
    [{ explicitResults: 'maybe' }, 'explicitResults'],
    [{ preset: 'curling' }, 'preset'],
  ])('rejects %j naming %s', (input, path) => {
    expect(() => parseParams(input)).toThrow(ParamsError);
    try {
      parseParams(input);
    } catch (error) {
      expect((error as ParamsError).path).toBe(path);
    }
  });
});

describe('calibrate', () => {
  it('scores expected against actual with Brier and log loss', () => {
    const result = calibrate([
      { expectedHome: 0.8, actualHome: 1 },
      { expectedHome: 0.5, actualHome: 0.5 },
      { expectedHome: 0.3, actualHome: 1, counted: false },
    ]);
    expect(result.matches).toBe(2);
    expect(result.brier).toBeCloseTo((0.04 + 0) / 2, 12);
    expect(result.logLoss).toBeCloseTo((-Math.log(0.8) + Math.log(2)) / 2, 12);
  });

  it('is NaN for no matches and stays finite for a certain forecast that is wrong', () => {
    expect(calibrate([]).brier).toBeNaN();
    expect(Number.isFinite(calibrate([{ expectedHome: 1, actualHome: 0 }]).logLoss)).toBe(true);
  });

  it('rewards a better model: Elo beats always-0.5 on a season where the strong side mostly wins', () => {
    const matches = Array.from({ length: 400 }, (_unused, index) => ({
      id: `m${index}`,
      home: index % 2 ? 'strong' : `weak${index % 5}`,
      away: index % 2 ? `weak${index % 5}` : 'strong',
      homeScore: index % 7 === 0 ? 0 : index % 2,
      awayScore: index % 7 === 0 ? 0 : 1 - (index % 2),
      neutral: true,
    }));
    const { rated } = rate(matches, { ...DEFAULT_PARAMS });
    expect(calibrate(rated).brier).toBeLessThan(0.25);
  });
});
