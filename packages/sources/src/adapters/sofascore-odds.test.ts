import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ContractViolation } from '../errors.js';
import { fractionalToDecimal, mapSofascoreOdds } from './sofascore-odds.js';

const FIXTURES = fileURLToPath(new URL('../../../../../shared/fixtures/sofascore/', import.meta.url));
const haveFixtures = existsSync(FIXTURES);
if (!haveFixtures) console.info(`[sofascore odds adapter] ${FIXTURES} not found: tests on the real recording skipped`);

const source = 'sofascore';

/** A small body of our own in the recorded shape, for breaking one field at a time. */
function body() {
  return {
    markets: [
      {
        structureType: 1,
        marketId: 1,
        marketName: 'Full time',
        isLive: false,
        suspended: false,
        marketGroup: '1X2',
        choices: [
          { name: '1', initialFractionalValue: '6/4', fractionalValue: '7/5', change: -1 },
          { name: 'X', initialFractionalValue: '9/4', fractionalValue: '9/4', change: 0 },
          { name: '2', initialFractionalValue: '7/4', fractionalValue: '15/8', change: 1 },
        ],
      },
    ],
    eventId: 12_000_001,
  };
}

/** The violation `map` throws; fails the test when it throws nothing or something else. */
function violationOf(map: () => unknown): ContractViolation {
  try {
    map();
  } catch (error) {
    if (error instanceof ContractViolation) return error;
    throw error;
  }
  throw new Error('expected a ContractViolation');
}

describe.skipIf(!haveFixtures)('sofascore odds adapter on the real recording', () => {
  const recorded = () =>
    (JSON.parse(readFileSync(`${FIXTURES}event_odds_1_all__tunjayoff.json`, 'utf8')) as { body: unknown }).body;

  it('maps the in-play and pre-match 1X2 markets with opening and current prices as decimals', () => {
    const odds = mapSofascoreOdds(recorded(), { source, matchSourceId: '17144927' });
    expect(odds).toMatchObject({ source, matchSourceId: '17144927' });
    expect(odds.markets).toHaveLength(2);
    const [live, preMatch] = odds.markets;
    expect(live).toMatchObject({ marketId: 1, marketName: 'Full time', marketGroup: '1X2', isLive: true });
    expect(live?.choices).toEqual([
      {
        name: '1',
        openingFractional: '13/10',
        currentFractional: '11/5',
        openingDecimal: 2.3,
        currentDecimal: 3.2,
        change: 1,
      },
      {
        name: 'X',
        openingFractional: '5/2',
        currentFractional: '8/13',
        openingDecimal: 3.5,
        currentDecimal: 21 / 13,
        change: -1,
      },
      {
        name: '2',
        openingFractional: '31/20',
        currentFractional: '11/2',
        openingDecimal: 2.55,
        currentDecimal: 6.5,
        change: 1,
      },
    ]);
    // Before kick-off nothing had moved: the closed pre-match market still shows its opening line.
    expect(preMatch?.isLive).toBe(false);
    expect(preMatch?.choices.map((choice) => [choice.currentDecimal, choice.change])).toEqual([
      [2.3, 0],
      [3.5, 0],
      [2.55, 0],
    ]);
  });

  it('refuses the recording for another match, naming eventId', () => {
    const violation = violationOf(() => mapSofascoreOdds(recorded(), { source, matchSourceId: '17144928' }));
    expect(violation.path).toBe('eventId');
    expect(violation.endpoint).toBe('event.odds');
  });
});

describe('mapSofascoreOdds', () => {
  it('maps a body in the recorded shape', () => {
    const odds = mapSofascoreOdds(body(), { source, matchSourceId: '12000001' });
    expect(odds.markets[0]?.choices.map((choice) => [choice.name, choice.currentDecimal, choice.change])).toEqual([
      ['1', 2.4, -1],
      ['X', 3.25, 0],
      ['2', 2.875, 1],
    ]);
  });

  it('names the path of each broken field', () => {
    const wrongType = body();
    (wrongType.markets[0]?.choices[1] as Record<string, unknown>).fractionalValue = 3.25;
    expect(violationOf(() => mapSofascoreOdds(wrongType, { source, matchSourceId: '12000001' })).path).toBe(
      'markets[0].choices[1].fractionalValue',
    );

    const notAFraction = body();
    (notAFraction.markets[0]?.choices[2] as Record<string, unknown>).initialFractionalValue = 'EVS';
    const violation = violationOf(() => mapSofascoreOdds(notAFraction, { source, matchSourceId: '12000001' }));
    expect(violation.path).toBe('markets[0].choices[2].initialFractionalValue');

    const missing = body();
    delete (missing.markets[0] as Record<string, unknown>).isLive;
    (missing.markets[0]?.choices[0] as Record<string, unknown>).change = 2;
    expect(violationOf(() => mapSofascoreOdds(missing, { source, matchSourceId: '12000001' })).problems).toEqual([
      expect.stringMatching(/^markets\[0\]\.isLive: /),
      expect.stringMatching(/^markets\[0\]\.choices\[0\]\.change: /),
    ]);
  });
});

describe('fractionalToDecimal', () => {
  it('adds the stake back: evens is 2, 13/10 is 2.3, 11/5 is 3.2', () => {
    expect(fractionalToDecimal('1/1')).toBe(2);
    expect(fractionalToDecimal('13/10')).toBe(2.3);
    expect(fractionalToDecimal('11/5')).toBe(3.2);
    expect(fractionalToDecimal('31/20')).toBe(2.55);
    // Correctly rounded: 1 + 4/6 would be one ulp short of 5/3.
    expect(fractionalToDecimal('4/6')).toBe(5 / 3);
  });

  it('throws on anything that is not a fraction of whole numbers of at least 1', () => {
    for (const bad of ['EVS', '', '13/0', '0/1', '1.5/1', '13 / 10', '-1/2', '13/10 ', '2', '1/2/3']) {
      expect(() => fractionalToDecimal(bad), bad).toThrow(RangeError);
    }
  });
});
