import { seededShuffle } from '@matchflow/testing';
import { describe, expect, it } from 'vitest';
import { computePlainElo, type EloMatch, PLAIN_ELO_DEFAULTS } from './plain-elo.js';

const KICK_OFF_MS = Date.UTC(2025, 7, 16, 14);
const DAY_MS = 86_400_000;

/** `game('m01', 1, 'home 2-1 away')`: match m01 on day 1 of the season, at home ground. */
function game(id: string, day: number, text: string, neutral = false): EloMatch {
  const parsed = /^(\S+) (\d+)-(\d+) (\S+)$/.exec(text);
  if (!parsed) throw new Error(`bad match text: ${text}`);
  const [, homeId = '', homeScore = '', awayScore = '', awayId = ''] = parsed;
  return {
    id,
    startTime: new Date(KICK_OFF_MS + day * DAY_MS),
    homeId,
    awayId,
    homeScore: Number(homeScore),
    awayScore: Number(awayScore),
    neutral,
  };
}

const shuffled = seededShuffle;

const ratingOf = (result: ReturnType<typeof computePlainElo>, participantId: string) =>
  result.current.find((entry) => entry.participantId === participantId)?.rating;

// A small season with draws, away wins, a neutral match and two matches sharing a start time.
const SEASON: EloMatch[] = [
  game('m01', 1, 'ams 2-0 ber'),
  game('m02', 1, 'cop 1-1 dub'),
  game('m03', 8, 'ber 0-3 cop'),
  game('m04', 8, 'dub 2-2 ams'),
  game('m05', 15, 'ams 1-2 cop'),
  game('m06', 15, 'ber 4-1 dub'),
  game('m07', 22, 'cop 0-0 ams', true),
  game('m08', 22, 'dub 1-0 ber'),
  game('m09', 29, 'ber 2-2 ams'),
  game('m10', 29, 'dub 0-1 cop'),
];

describe('computePlainElo', () => {
  it('moves equal ratings by k/2 each way after one home win (expected 0.5)', () => {
    const match = game('m01', 1, 'ams 1-0 ber');
    const result = computePlainElo([match]);
    expect(result.matchRatings).toEqual([
      {
        matchId: 'm01',
        homeId: 'ams',
        awayId: 'ber',
        startTime: match.startTime,
        homePre: 1500,
        awayPre: 1500,
        homePost: 1510,
        awayPost: 1490,
        expectedHome: 0.5,
      },
    ]);
    expect(result.current).toEqual([
      { participantId: 'ams', rating: 1510, games: 1, lastMatchId: 'm01' },
      { participantId: 'ber', rating: 1490, games: 1, lastMatchId: 'm01' },
    ]);
  });

  it('scores an away win as 0 for the home side and a draw from equal ratings as no change', () => {
    const awayWin = computePlainElo([game('m01', 1, 'ams 0-2 ber')]).matchRatings[0];
    expect(awayWin).toMatchObject({ homePost: 1490, awayPost: 1510 });
    const draw = computePlainElo([game('m01', 1, 'ams 3-3 ber')]).matchRatings[0];
    expect(draw).toMatchObject({ homePost: 1500, awayPost: 1500 });
  });

  it('ignores the margin: a 5-0 moves ratings exactly as much as a 1-0', () => {
    const narrow = computePlainElo([game('m01', 1, 'ams 1-0 ber')]);
    const wide = computePlainElo([game('m01', 1, 'ams 5-0 ber')]);
    expect(wide.current).toEqual(narrow.current);
  });

  it('includes home advantage in the expectation', () => {
    // 1 / (1 + 10^(-100/400)) = 0.640065
    const win = computePlainElo([game('m01', 1, 'ams 1-0 ber')], { homeAdvantage: 100 }).matchRatings[0];
    expect(win?.expectedHome).toBeCloseTo(0.640_065, 6);
    expect(win?.homePost).toBeCloseTo(1500 + 20 * (1 - 0.640_065), 4);
    expect(win?.awayPost).toBeCloseTo(1500 - 20 * (1 - 0.640_065), 4);

    // A home draw is now a disappointment: the home side loses rating.
    const draw = computePlainElo([game('m01', 1, 'ams 0-0 ber')], { homeAdvantage: 100 }).matchRatings[0];
    expect(draw?.homePost).toBeCloseTo(1497.1987, 4);
    expect(draw?.awayPost).toBeCloseTo(1502.8013, 4);
  });

  it('ignores home advantage on neutral ground', () => {
    const neutral = computePlainElo([game('m01', 1, 'ams 1-0 ber', true)], { homeAdvantage: 100 });
    expect(neutral.matchRatings[0]).toMatchObject({ expectedHome: 0.5, homePost: 1510, awayPost: 1490 });
  });

  it('rates a draw between unequal sides in favour of the weaker one', () => {
    const result = computePlainElo([game('m01', 1, 'ams 1-0 ber'), game('m02', 2, 'ams 1-1 ber')]);
    const [first, second] = result.matchRatings;
    expect(second).toMatchObject({ matchId: 'm02', homePre: first?.homePost, awayPre: first?.awayPost });
    // 1 / (1 + 10^(-20/400)) = 0.5287506; 20 × (0.5 − 0.5287506) = −0.5750113
    expect(second?.expectedHome).toBeCloseTo(0.528_750_6, 7);
    expect(second?.homePost).toBeCloseTo(1509.424_988_7, 6);
    expect(second?.awayPost).toBeCloseTo(1490.575_011_3, 6);
  });

  it('uses the stronger side as home too: the expectation reads ratings, not roles', () => {
    // Away side ahead by 20 → home expected 1 − 0.5287506.
    const result = computePlainElo([game('m01', 1, 'ams 1-0 ber'), game('m02', 2, 'ber 0-0 ams')]);
    expect(result.matchRatings[1]?.expectedHome).toBeCloseTo(1 - 0.528_750_6, 7);
    expect(ratingOf(result, 'ber')).toBeCloseTo(1490.575_011_3, 6);
  });

  it('is zero-sum: every match moves both sides by the same amount, so the total never changes', () => {
    const result = computePlainElo(SEASON, { homeAdvantage: 65, k: 32 });
    for (const rating of result.matchRatings) {
      expect(rating.homePost - rating.homePre).toBeCloseTo(-(rating.awayPost - rating.awayPre), 9);
    }
    const total = result.current.reduce((sum, entry) => sum + entry.rating, 0);
    expect(total).toBeCloseTo(4 * 1500, 9);
    // Not trivially zero-sum by standing still.
    expect(result.current.some((entry) => Math.abs(entry.rating - 1500) > 1)).toBe(true);
  });

  it('gives the identical result for any input order', () => {
    const expected = computePlainElo(SEASON, { homeAdvantage: 50 });
    expect(expected.matchRatings.map((rating) => rating.matchId)).toEqual(SEASON.map((match) => match.id));
    expect(computePlainElo([...SEASON].reverse(), { homeAdvantage: 50 })).toEqual(expected);
    for (let seed = 1; seed <= 25; seed += 1) {
      expect(computePlainElo(shuffled(SEASON, seed), { homeAdvantage: 50 })).toEqual(expected);
    }
  });

  it('chains ratings: each match starts from the post ratings of the side’s previous match', () => {
    const result = computePlainElo(SEASON);
    const latest = new Map<string, number>();
    for (const rating of result.matchRatings) {
      expect(rating.homePre).toBe(latest.get(rating.homeId) ?? 1500);
      expect(rating.awayPre).toBe(latest.get(rating.awayId) ?? 1500);
      latest.set(rating.homeId, rating.homePost);
      latest.set(rating.awayId, rating.awayPost);
    }
    for (const entry of result.current) expect(entry.rating).toBe(latest.get(entry.participantId));
  });

  it('counts games and records each participant’s last match in rating order', () => {
    const result = computePlainElo([
      game('m03', 3, 'cop 1-0 ams'),
      game('m01', 1, 'ams 1-0 ber'),
      game('m02', 2, 'ber 1-0 cop'),
      game('m04', 4, 'ams 2-0 ber'),
      game('m05', 5, 'dub 0-1 ber'),
    ]);
    expect(
      result.current.map(({ participantId, games, lastMatchId }) => ({ participantId, games, lastMatchId })),
    ).toEqual([
      { participantId: 'ams', games: 3, lastMatchId: 'm04' },
      { participantId: 'ber', games: 4, lastMatchId: 'm05' },
      { participantId: 'cop', games: 2, lastMatchId: 'm03' },
      { participantId: 'dub', games: 1, lastMatchId: 'm05' },
    ]);
  });

  it('orders matches with the same start time by id (code units), whatever the input order', () => {
    // Same kick-off, same participant: the one rated first changes the other's pre ratings.
    const later = game('x-b', 1, 'ams 1-0 cop');
    const earlier = game('x-a', 1, 'ber 0-1 ams');
    const result = computePlainElo([later, earlier]);
    expect(result.matchRatings.map((rating) => rating.matchId)).toEqual(['x-a', 'x-b']);
    expect(result.matchRatings[0]).toMatchObject({ awayPre: 1500, awayPost: 1510 });
    expect(result.matchRatings[1]).toMatchObject({ homePre: 1510 });
    expect(result.current.find((entry) => entry.participantId === 'ams')?.lastMatchId).toBe('x-b');

    // Upper case sorts first in code units; "M9" also sorts after "M10".
    const codeUnits = computePlainElo([
      game('M9', 1, 'ams 1-0 ber'),
      game('m1', 1, 'cop 1-0 dub'),
      game('M10', 1, 'ams 1-0 ber'),
    ]);
    expect(codeUnits.matchRatings.map((rating) => rating.matchId)).toEqual(['M10', 'M9', 'm1']);
  });

  it('orders by start time before id', () => {
    const result = computePlainElo([game('a-late', 2, 'ams 1-0 ber'), game('z-early', 1, 'ams 1-0 ber')]);
    expect(result.matchRatings.map((rating) => rating.matchId)).toEqual(['z-early', 'a-late']);
  });

  it('sorts current ratings by participantId', () => {
    const result = computePlainElo([game('m01', 1, 'zed 1-0 Bravo'), game('m02', 2, 'alpha 1-0 mid')]);
    expect(result.current.map((entry) => entry.participantId)).toEqual(['Bravo', 'alpha', 'mid', 'zed']);
  });

  it('returns nothing for no matches', () => {
    expect(computePlainElo([])).toEqual({ matchRatings: [], current: [] });
  });

  it('does not mutate its input', () => {
    const input = [...SEASON].reverse();
    const snapshot = structuredClone(input);
    computePlainElo(input);
    expect(input).toEqual(snapshot);
  });

  describe('settings', () => {
    it('exports the documented defaults', () => {
      expect(PLAIN_ELO_DEFAULTS).toEqual({ initialRating: 1500, k: 20, scale: 400, homeAdvantage: 0 });
      expect(Object.isFrozen(PLAIN_ELO_DEFAULTS)).toBe(true);
    });

    it('applies initialRating, k and scale', () => {
      const result = computePlainElo([game('m01', 1, 'ams 1-0 ber'), game('m02', 2, 'ams 1-0 ber')], {
        initialRating: 1000,
        k: 40,
        scale: 200,
      });
      expect(result.matchRatings[0]).toMatchObject({ homePre: 1000, homePost: 1020, awayPost: 980 });
      // 40 points apart on a 200 scale: 1 / (1 + 10^(-0.2)) = 0.6131368
      expect(result.matchRatings[1]?.expectedHome).toBeCloseTo(0.613_136_8, 7);
    });

    it('keeps a default when an override is explicitly undefined', () => {
      const result = computePlainElo([game('m01', 1, 'ams 1-0 ber')], { k: undefined });
      expect(result.matchRatings[0]?.homePost).toBe(1510);
    });

    it('rejects non-finite settings and a scale that is not positive', () => {
      const match = [game('m01', 1, 'ams 1-0 ber')];
      expect(() => computePlainElo(match, { k: Number.NaN })).toThrow(RangeError);
      expect(() => computePlainElo(match, { homeAdvantage: Number.POSITIVE_INFINITY })).toThrow(RangeError);
      expect(() => computePlainElo(match, { scale: 0 })).toThrow(RangeError);
      expect(() => computePlainElo(match, { scale: -400 })).toThrow(RangeError);
    });
  });

  describe('invalid input', () => {
    it('rejects a repeated match id, whose order could only come from the input', () => {
      const match = game('m01', 1, 'ams 1-0 ber');
      expect(() => computePlainElo([match, { ...match, homeScore: 0 }])).toThrow(/m01/);
    });

    it('rejects an invalid start time and a non-finite score', () => {
      const match = game('m01', 1, 'ams 1-0 ber');
      expect(() => computePlainElo([{ ...match, startTime: new Date(Number.NaN) }])).toThrow(RangeError);
      expect(() => computePlainElo([{ ...match, awayScore: Number.NaN }])).toThrow(RangeError);
    });
  });
});
