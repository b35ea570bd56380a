import { describe, expect, it } from 'vitest';
import { DEFAULT_PARAMS, type EloMatch, type EloParams, movMultiplier, rate } from './engine.js';

const params = (overrides: Partial<EloParams> = {}): EloParams => ({ ...DEFAULT_PARAMS, ...overrides });
let counter = 0;
const match = (
  home: string,
  away: string,
  homeScore: number,
  awayScore: number,
  extra: Partial<EloMatch> = {},
): EloMatch => ({
  id: `m${String(++counter).padStart(4, '0')}`,
  home,
  away,
  homeScore,
  awayScore,
  neutral: false,
  ...extra,
});

describe('rate: the expected score and the update', () => {
  it('moves equal sides by K/2 on a decisive result', () => {
    const [rated] = rate([match('a', 'b', 1, 0)], params()).rated;
    expect(rated).toMatchObject({ homePre: 1500, awayPre: 1500, expectedHome: 0.5, homePost: 1510, awayPost: 1490 });
  });

  it('adds home advantage to the difference, but not at a neutral venue', () => {
    const [home] = rate([match('a', 'b', 1, 0)], params({ homeAdvantage: 100 })).rated;
    // E = 1 / (1 + 10^(-100/400)) = 0.6400649998...
    expect(home?.expectedHome).toBeCloseTo(0.6400649998, 9);
    expect(home?.homePost).toBeCloseTo(1500 + 20 * (1 - 0.6400649998), 7);
    const [neutral] = rate([match('a', 'b', 1, 0, { neutral: true })], params({ homeAdvantage: 100 })).rated;
    expect(neutral?.expectedHome).toBe(0.5);
  });

  it('scores a draw as half a win', () => {
    const { rated } = rate([match('a', 'b', 2, 2)], params({ initialRatings: { a: 1600 } }));
    // E = 1 / (1 + 10^(-100/400)); a loses 20 * (E - 0.5), b gains the same.
    expect(rated[0]?.homePost).toBeCloseTo(1600 - 20 * (0.6400649998 - 0.5), 7);
    expect(rated[0]?.awayPost).toBeCloseTo(1500 + 20 * (0.6400649998 - 0.5), 7);
  });

  it('takes an explicit result (walkover) over the scores', () => {
    const [rated] = rate([match('a', 'b', 0, 0, { result: 0 })], params()).rated;
    expect(rated).toMatchObject({ homePost: 1490, awayPost: 1510 });
  });

  it('uses a K schedule per side, K = a / (n + b)^c, so updates need not be zero-sum', () => {
    const k = { a: 100, b: 5, c: 0.5 };
    const warmUp = [match('a', 'x', 1, 1), match('a', 'y', 1, 1), match('a', 'z', 1, 1), match('a', 'w', 1, 1)];
    const { rated, state } = rate([...warmUp, match('a', 'b', 1, 0)], params({ k }));
    const last = rated.at(-1);
    const expected = last?.expectedHome ?? 0;
    // a has 4 games: K = 100 / 3 = 33.33...; b is new: K = 100 / sqrt(5) = 44.72...
    expect((last?.homePost ?? 0) - (last?.homePre ?? 0)).toBeCloseTo((100 / 3) * (1 - expected), 9);
    expect((last?.awayPost ?? 0) - (last?.awayPre ?? 0)).toBeCloseTo((100 / Math.sqrt(5)) * (0 - (1 - expected)), 9);
    expect(state.get('a')?.games).toBe(5);
  });

  it('weights matches by importance', () => {
    const [rated] = rate([match('a', 'b', 1, 0, { weight: 'final' })], params({ matchWeights: { final: 2 } })).rated;
    expect(rated?.homePost).toBe(1520);
    const [unknown] = rate(
      [match('a', 'b', 1, 0, { weight: 'friendly' })],
      params({ matchWeights: { final: 2 } }),
    ).rated;
    expect(unknown?.homePost).toBe(1510);
  });

  it('multiplies the rating difference of weighted matches (FiveThirtyEight playoffs)', () => {
    const [rated] = rate(
      [match('a', 'b', 1, 0, { weight: 'playoff' })],
      params({ initialRatings: { a: 1600 }, diffMultipliers: { playoff: 1.2 } }),
    ).rated;
    // diff = 100 * 1.2 = 120: E = 1 / (1 + 10^(-0.3)) = 0.66613942...
    expect(rated?.expectedHome).toBeCloseTo(0.6661394246, 9);
  });

  it('counts walkovers by their explicit result, or skips them without touching ratings', () => {
    const matches = [match('a', 'b', 0, 0, { result: 1 }), match('a', 'c', 1, 0)];
    const counted = rate(matches, params());
    expect(counted.rated[0]).toMatchObject({ homePost: 1510, counted: true, actualHome: 1 });
    const skipped = rate(matches, params({ explicitResults: 'skip' }));
    expect(skipped.rated[0]).toMatchObject({ homePre: 1500, homePost: 1500, awayPost: 1500, counted: false });
    expect(skipped.rated[1]?.homePre).toBe(1500);
    expect(skipped.state.get('a')?.games).toBe(1);
    // b took part only in a skipped match: it has no rating yet.
    expect(skipped.state.has('b')).toBe(false);
  });
});

describe('margin of victory', () => {
  it('log-margin: ln(max(margin,1)+1) * A / (A + B * winnerDiff), and A / 1 for a draw', () => {
    const mov = { kind: 'log-margin' as const, a: 2.2, b: 0.001 };
    expect(movMultiplier(mov, 3, 100)).toBeCloseTo((Math.log(4) * 2.2) / 2.3, 12);
    expect(movMultiplier(mov, 0, 0)).toBeCloseTo(Math.log(2) * 2.2, 12);
    // A favourite that wins gets less than an underdog that wins by the same margin.
    expect(movMultiplier(mov, 2, 200)).toBeLessThan(movMultiplier(mov, 2, -200));
    const [rated] = rate([match('a', 'b', 3, 0)], params({ mov })).rated;
    expect(rated?.homePost).toBeCloseTo(1500 + 20 * ((Math.log(4) * 2.2) / 2.2) * 0.5, 9);
  });

  it('goal-difference: 1, 1.5, then (11 + margin) / 8', () => {
    const mov = { kind: 'goal-difference' as const };
    expect([0, 1, 2, 3, 5].map((margin) => movMultiplier(mov, margin, 0))).toEqual([1, 1, 1.5, 1.75, 2]);
    const [rated] = rate([match('a', 'b', 4, 0)], params({ mov })).rated;
    expect(rated?.homePost).toBe(1500 + 20 * (15 / 8) * 0.5);
  });
});

describe('season regression', () => {
  it('pulls a rating toward the mean at a participant first match of a new season', () => {
    const regression = { fraction: 0.25, mean: 1500 };
    const { rated } = rate(
      [match('a', 'b', 1, 0, { season: '2024' }), match('a', 'b', 0, 0, { season: '2025' })],
      params({ seasonRegression: regression, k: 200 }),
    );
    // After the first match a is 1600 and b 1400; a new season takes them to 1575 and 1425.
    expect(rated[0]).toMatchObject({ homePost: 1600, awayPost: 1400 });
    expect(rated[1]).toMatchObject({ homePre: 1575, awayPre: 1425 });
  });

  it('lets an override set the rating for a participant and season instead', () => {
    const regression = { fraction: 0.25, overrides: { 'a|2025': 1700 } };
    const { rated } = rate(
      [
        match('a', 'b', 1, 0, { season: '2024' }),
        match('a', 'b', 0, 0, { season: '2025' }),
        match('a', 'b', 0, 0, { season: '2025' }),
      ],
      params({ seasonRegression: regression, k: 200 }),
    );
    expect(rated[1]?.homePre).toBe(1700);
    expect(rated[1]?.awayPre).toBe(1425);
    // Only at the first match of the season.
    expect(rated[2]?.homePre).toBe(rated[1]?.homePost);
  });

  it('applies an override to a participant first season too', () => {
    const regression = { fraction: 0.25, overrides: { 'b|2024': 1300 } };
    const [rated] = rate([match('a', 'b', 1, 1, { season: '2024' })], params({ seasonRegression: regression })).rated;
    expect(rated).toMatchObject({ homePre: 1500, awayPre: 1300 });
  });
});

describe('determinism and continuation', () => {
  const season = Array.from({ length: 200 }, (_unused, index) =>
    match(
      `t${index % 7}`,
      `t${(index * 3 + 1) % 7 === index % 7 ? (index + 1) % 7 : (index * 3 + 1) % 7}`,
      index % 4,
      (index * 5) % 3,
      { season: index < 100 ? 's1' : 's2' },
    ),
  );
  const full = params({
    k: { a: 400, b: 4, c: 0.6 },
    homeAdvantage: 60,
    mov: { kind: 'log-margin', a: 2.2, b: 0.001 },
    seasonRegression: { fraction: 0.3 },
  });

  it('gives bit-identical results for the same input', () => {
    expect(rate(season, full)).toEqual(rate(season, full));
  });

  it('continues from a saved state exactly as one pass would (===, not approximately)', () => {
    const whole = rate(season, full);
    const first = rate(season.slice(0, 77), full);
    const rest = rate(season.slice(77), full, first.state);
    expect([...first.rated, ...rest.rated]).toEqual(whole.rated);
    expect([...rest.state]).toEqual([...whole.state]);
    // The state handed in is left as it was.
    expect(first.state.get('t0')?.games).toBe(rate(season.slice(0, 77), full).state.get('t0')?.games);
  });
});
