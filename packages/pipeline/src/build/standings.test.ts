import { seededShuffle } from '@matchflow/testing';
import { describe, expect, it } from 'vitest';
import { computeStandings, type StandingsMatch, type StandingsRow } from './standings.js';

const SEASON_START_MS = Date.UTC(2025, 7, 1, 15);
const DAY_MS = 86_400_000;

let nextMatchNumber = 0;

/** `'alpha 2-0 bravo'` -> a finished match; `'alpha - bravo'` -> one with no score yet. */
function match(text: string, status = 'finished'): StandingsMatch {
  const scored = /^(\S+) (\d+)-(\d+) (\S+)$/.exec(text);
  const unscored = /^(\S+) - (\S+)$/.exec(text);
  nextMatchNumber += 1;
  const base = { id: `m${String(nextMatchNumber).padStart(3, '0')}`, status };
  const startTime = new Date(SEASON_START_MS + nextMatchNumber * DAY_MS);
  if (scored) {
    const [, homeId = '', homeScore = '', awayScore = '', awayId = ''] = scored;
    return { ...base, homeId, awayId, homeScore: Number(homeScore), awayScore: Number(awayScore), startTime };
  }
  if (unscored) {
    const [, homeId = '', awayId = ''] = unscored;
    return { ...base, homeId, awayId, homeScore: null, awayScore: null, startTime };
  }
  throw new Error(`bad match text: ${text}`);
}

/** Row literal in table order: id, played, won, drawn, lost, goals for, goals against, points. */
function row(
  position: number,
  participantId: string,
  [played, won, drawn, lost, goalsFor, goalsAgainst, points]: [number, number, number, number, number, number, number],
): StandingsRow {
  // Form has tests of its own.
  const form = expect.any(String) as unknown as string;
  return { participantId, position, played, won, drawn, lost, goalsFor, goalsAgainst, points, adjustment: 0, form };
}

const order = (table: readonly StandingsRow[]) => table.map((entry) => entry.participantId);

const shuffled = seededShuffle;

// A full double round-robin, each pair once at each ground. Table below worked out by hand.
const DOUBLE_ROUND_ROBIN = [
  'alpha 2-0 bravo',
  'charlie 1-1 delta',
  'bravo 3-1 charlie',
  'delta 0-2 alpha',
  'alpha 1-1 charlie',
  'bravo 2-2 delta',
  'bravo 1-0 alpha',
  'delta 1-3 charlie',
  'charlie 0-4 alpha',
  'delta 2-1 bravo',
  'charlie 2-0 bravo',
  'alpha 3-0 delta',
];

describe('computeStandings', () => {
  it('builds the table of a 4-team double round-robin', () => {
    const table = computeStandings(DOUBLE_ROUND_ROBIN.map((text) => match(text)));
    expect(table).toEqual([
      //                  P  W  D  L  GF GA Pts
      row(1, 'alpha', [6, 4, 1, 1, 12, 2, 13]),
      row(2, 'charlie', [6, 2, 2, 2, 8, 10, 8]),
      row(3, 'bravo', [6, 2, 1, 3, 7, 9, 7]),
      row(4, 'delta', [6, 1, 2, 3, 6, 12, 5]),
    ]);
  });

  it('returns an empty table for no matches', () => {
    expect(computeStandings([])).toEqual([]);
  });

  describe('tie-breaks', () => {
    it('breaks a points tie by goal difference', () => {
      // Both winners have 3 points; ids alone would put "aaa" first.
      const table = computeStandings([match('aaa 1-0 xxx'), match('bbb 3-0 yyy')]);
      expect(order(table)).toEqual(['bbb', 'aaa', 'xxx', 'yyy']);
      expect(table.map((entry) => entry.position)).toEqual([1, 2, 3, 4]);
    });

    it('breaks a points and goal-difference tie by goals for', () => {
      // "bbb" +2 from 3-1 beats "aaa" +2 from 2-0; "yyy" -2 from 1-3 beats "xxx" -2 from 0-2.
      const table = computeStandings([match('aaa 2-0 xxx'), match('bbb 3-1 yyy')]);
      expect(order(table)).toEqual(['bbb', 'aaa', 'yyy', 'xxx']);
    });

    it('breaks a tie on points, goal difference and goals for by head-to-head points', () => {
      // "aaa" and "bbb" both finish on 3 points, 1 for and 1 against; "bbb" won their meeting.
      const table = computeStandings([match('bbb 1-0 aaa'), match('aaa 1-0 ccc'), match('ddd 1-0 bbb')]);
      expect(table).toEqual([
        row(1, 'ddd', [1, 1, 0, 0, 1, 0, 3]),
        row(2, 'bbb', [2, 1, 0, 1, 1, 1, 3]),
        row(3, 'aaa', [2, 1, 0, 1, 1, 1, 3]),
        row(4, 'ccc', [1, 0, 0, 1, 0, 1, 0]),
      ]);
    });

    it('ranks a three-way tie by the mini-league among the tied teams only', () => {
      // aaa, bbb and ccc all end on 4 points, 1 for, 1 against. Among themselves: ccc beat aaa and
      // drew with bbb (4), bbb drew twice (2), aaa drew once (1) — the reverse of id order.
      const table = computeStandings([
        match('ccc 1-0 aaa'),
        match('ccc 0-0 bbb'),
        match('aaa 0-0 bbb'),
        match('ppp 1-0 ccc'),
        match('aaa 1-0 qqq'),
        match('bbb 1-1 rrr'),
        match('bbb 0-0 sss'),
      ]);
      expect(table).toEqual([
        row(1, 'ccc', [3, 1, 1, 1, 1, 1, 4]),
        row(2, 'bbb', [4, 0, 4, 0, 1, 1, 4]),
        row(3, 'aaa', [3, 1, 1, 1, 1, 1, 4]),
        row(4, 'ppp', [1, 1, 0, 0, 1, 0, 3]),
        row(5, 'rrr', [1, 0, 1, 0, 1, 1, 1]),
        row(6, 'sss', [1, 0, 1, 0, 0, 0, 1]),
        row(7, 'qqq', [1, 0, 0, 1, 0, 1, 0]),
      ]);
    });

    it('counts both meetings of a double round-robin in head-to-head', () => {
      // aaa and bbb won one meeting each (1-0, 3-0). Aggregate goals would favour bbb, but
      // head-to-head is points only (3 each), so the tie falls through to ids.
      const table = computeStandings([
        match('aaa 1-0 bbb'),
        match('bbb 3-0 aaa'),
        match('aaa 5-0 xxx'),
        match('bbb 3-2 yyy'),
      ]);
      expect(order(table)).toEqual(['aaa', 'bbb', 'yyy', 'xxx']);
      expect(table[0]).toMatchObject({ points: 6, goalsFor: 6, goalsAgainst: 3 });
      expect(table[1]).toMatchObject({ points: 6, goalsFor: 6, goalsAgainst: 3 });
    });

    it('skips head-to-head when some tied teams have not met, and falls back to ids', () => {
      // aaa, bbb and ccc end on 3 points, 1-1 goals; bbb beat aaa, but ccc met neither, so
      // head-to-head is skipped and ids decide. ddd/zzz and xxx/yyy are tied pairs that never met.
      const table = computeStandings([
        match('bbb 1-0 aaa'),
        match('aaa 1-0 xxx'),
        match('ddd 1-0 bbb'),
        match('ccc 1-0 yyy'),
        match('zzz 1-0 ccc'),
      ]);
      expect(order(table)).toEqual(['ddd', 'zzz', 'aaa', 'bbb', 'ccc', 'xxx', 'yyy']);
    });

    it('orders a tie that nothing else separates by participantId, in code-unit order', () => {
      // Upper case sorts before lower case in code units, whatever the locale says.
      const table = computeStandings([match('b - a'), match('B - c')]);
      expect(order(table)).toEqual(['B', 'a', 'b', 'c']);
      expect(table.map((entry) => entry.position)).toEqual([1, 2, 3, 4]);
    });
  });

  describe('which matches count', () => {
    it('counts only finished matches with both scores, but lists every participant', () => {
      const table = computeStandings([
        match('aaa 2-0 bbb'),
        match('ccc 5-0 aaa', 'inprogress'),
        match('bbb - ddd', 'notstarted'),
        match('eee - aaa', 'postponed'),
        match('fff - bbb', 'canceled'),
        match('ggg - hhh'),
        // A canceled or postponed match may still carry a score from the upstream; it must not count.
        match('ddd 4-0 ccc', 'canceled'),
        match('eee 3-0 fff', 'postponed'),
      ]);
      expect(table).toEqual([
        row(1, 'aaa', [1, 1, 0, 0, 2, 0, 3]),
        row(2, 'ccc', [0, 0, 0, 0, 0, 0, 0]),
        row(3, 'ddd', [0, 0, 0, 0, 0, 0, 0]),
        row(4, 'eee', [0, 0, 0, 0, 0, 0, 0]),
        row(5, 'fff', [0, 0, 0, 0, 0, 0, 0]),
        row(6, 'ggg', [0, 0, 0, 0, 0, 0, 0]),
        row(7, 'hhh', [0, 0, 0, 0, 0, 0, 0]),
        row(8, 'bbb', [1, 0, 0, 1, 0, 2, 0]),
      ]);
    });

    it('ignores a finished match with one score missing', () => {
      const halfScored: StandingsMatch = { ...match('aaa 1-0 bbb'), awayScore: null };
      expect(computeStandings([halfScored])).toEqual([
        row(1, 'aaa', [0, 0, 0, 0, 0, 0, 0]),
        row(2, 'bbb', [0, 0, 0, 0, 0, 0, 0]),
      ]);
    });

    it('skips head-to-head when the tied teams only met in a match that does not count', () => {
      // bbb "won" a postponed meeting; with it ignored the pair has not met, so ids decide.
      const table = computeStandings([match('bbb 1-0 aaa', 'postponed'), match('aaa 1-0 xxx'), match('bbb 1-0 yyy')]);
      expect(order(table)).toEqual(['aaa', 'bbb', 'xxx', 'yyy']);
    });
  });

  describe('determinism', () => {
    it('gives the identical table for any input order', () => {
      const matches = [
        ...DOUBLE_ROUND_ROBIN.map((text) => match(text)),
        match('bbb 1-0 aaa'),
        match('aaa 1-0 ccc'),
        match('ddd 1-0 bbb'),
        match('eee - fff', 'postponed'),
      ];
      const expected = computeStandings(matches);
      expect(computeStandings([...matches].reverse())).toEqual(expected);
      for (let seed = 1; seed <= 25; seed += 1) {
        expect(computeStandings(shuffled(matches, seed))).toEqual(expected);
      }
    });

    it('does not mutate its input', () => {
      const matches = DOUBLE_ROUND_ROBIN.map((text) => match(text));
      const snapshot = structuredClone(matches);
      computeStandings(matches);
      expect(matches).toEqual(snapshot);
    });

    it('rejects a repeated match id, which would count a result twice', () => {
      const once = match('aaa 1-0 bbb');
      expect(() => computeStandings([once, { ...once }])).toThrow(RangeError);
    });
  });

  describe('custom points', () => {
    // aaa: a win and a heavy loss; bbb: two goalless draws.
    const matches = () => [match('aaa 1-0 xxx'), match('yyy 3-0 aaa'), match('bbb 0-0 xxx'), match('yyy 0-0 bbb')];

    it('uses 3 for a win and 1 for a draw by default', () => {
      const table = computeStandings(matches());
      expect(table.map((entry) => [entry.participantId, entry.points])).toEqual([
        ['yyy', 4],
        ['aaa', 3],
        ['bbb', 2],
        ['xxx', 1],
      ]);
    });

    it('applies pointsForWin and pointsForDraw, which can reorder the table', () => {
      // With 2 for a win aaa and bbb tie on 2 points and bbb's goal difference (0 vs -2) wins.
      const table = computeStandings(matches(), { pointsForWin: 2, pointsForDraw: 1 });
      expect(table).toEqual([
        row(1, 'yyy', [2, 1, 1, 0, 3, 0, 3]),
        row(2, 'bbb', [2, 0, 2, 0, 0, 0, 2]),
        row(3, 'aaa', [2, 1, 0, 1, 1, 3, 2]),
        row(4, 'xxx', [2, 0, 1, 1, 0, 1, 1]),
      ]);
    });

    it('applies pointsForDraw on its own, keeping the default win', () => {
      const table = computeStandings(matches(), { pointsForDraw: 0 });
      expect(table).toEqual([
        row(1, 'yyy', [2, 1, 1, 0, 3, 0, 3]),
        row(2, 'aaa', [2, 1, 0, 1, 1, 3, 3]),
        row(3, 'bbb', [2, 0, 2, 0, 0, 0, 0]),
        row(4, 'xxx', [2, 0, 1, 1, 0, 1, 0]),
      ]);
    });

    it('uses custom points in head-to-head too', () => {
      // aaa, bbb and ccc tie overall under both 3/1 and 1/1. Among themselves bbb has a win and a
      // draw, aaa two draws: 4 v 2 at 3/1, but 2 v 2 at 1/1, where ids then put aaa first.
      const matches = () => [
        match('bbb 1-0 ccc'),
        match('aaa 0-0 bbb'),
        match('ccc 0-0 aaa'),
        match('bbb 1-1 ppp'),
        match('aaa 2-1 qqq'),
        match('ccc 2-0 rrr'),
        match('ccc 0-0 sss'),
      ];
      expect(order(computeStandings(matches())).slice(0, 3)).toEqual(['bbb', 'aaa', 'ccc']);
      const table = computeStandings(matches(), { pointsForWin: 1, pointsForDraw: 1 });
      expect(table.slice(0, 3)).toEqual([
        row(1, 'aaa', [3, 1, 2, 0, 2, 1, 3]),
        row(2, 'bbb', [3, 1, 2, 0, 2, 1, 3]),
        row(3, 'ccc', [4, 1, 2, 1, 2, 1, 3]),
      ]);
    });

    it('rejects non-finite points', () => {
      expect(() => computeStandings([], { pointsForWin: Number.NaN })).toThrow(RangeError);
    });
  });

  describe('competition rules', () => {
    const matches = () =>
      [
        'alpha 1-0 bravo', // alpha beat bravo
        'bravo 4-0 charlie',
        'bravo 3-0 delta',
        'alpha 1-0 charlie',
        'delta 1-0 alpha',
        'charlie 0-0 delta',
      ].map((text) => match(text));

    it('follows the tiebreaker order it is given (head-to-head before goal difference)', () => {
      // alpha and bravo both have 6 points; bravo has the better goal difference, alpha won their meeting.
      expect(order(computeStandings(matches())).slice(0, 2)).toEqual(['bravo', 'alpha']);
      const headToHeadFirst = computeStandings(matches(), {
        tiebreakers: ['points', 'headToHead', 'goalDifference', 'goalsFor'],
      });
      expect(order(headToHeadFirst).slice(0, 2)).toEqual(['alpha', 'bravo']);
    });

    it('ranks fewer goals against first, and by wins when asked', () => {
      const table = computeStandings([match('alpha 0-0 bravo'), match('charlie 2-2 delta')], {
        tiebreakers: ['points', 'goalsAgainst'],
      });
      expect(order(table)).toEqual(['alpha', 'bravo', 'charlie', 'delta']);
      const wins = computeStandings(
        [match('alpha 1-0 bravo'), match('charlie 0-0 delta'), match('charlie 0-0 bravo')],
        {
          pointsForWin: 2,
          tiebreakers: ['points', 'wins'],
        },
      );
      expect(order(wins)).toEqual(['alpha', 'charlie', 'bravo', 'delta']);
    });

    it('applies points adjustments (deductions) to the points and the order, not to head-to-head', () => {
      const table = computeStandings(matches(), { adjustments: { bravo: -3, delta: 2 } });
      expect(table.find((row) => row.participantId === 'bravo')).toMatchObject({ points: 3, adjustment: -3 });
      expect(table.find((row) => row.participantId === 'delta')).toMatchObject({ points: 6, adjustment: 2 });
      expect(order(table)).toEqual(['alpha', 'delta', 'bravo', 'charlie']);
    });

    it('awards points for a loss when the competition does', () => {
      const [winner, loser] = computeStandings([match('alpha 2-1 bravo')], { pointsForWin: 2, pointsForLoss: 1 });
      expect([winner?.points, loser?.points]).toEqual([2, 1]);
    });

    it('keeps the last five results as form, oldest first, whatever the input order', () => {
      const season = [
        'alpha 1-0 bravo',
        'alpha 0-0 charlie',
        'delta 2-0 alpha',
        'alpha 3-1 bravo',
        'charlie 1-2 alpha',
        'alpha 0-1 delta',
      ].map((text) => match(text));
      const table = computeStandings(shuffled(season, 3));
      expect(table.find((row) => row.participantId === 'alpha')?.form).toBe('DLWWL');
      expect(table.find((row) => row.participantId === 'bravo')?.form).toBe('LL');
    });
  });
});
