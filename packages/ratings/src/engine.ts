/**
 * A general Elo engine (DESIGN §7). Pure and deterministic: the same matches, parameters and
 * starting state give bit-identical results, so an incremental replay can equal a full
 * recompute exactly.
 *
 * For each match, in the order given (callers sort by start time, then match id):
 *   diff      = (homeRating + (neutral ? 0 : homeAdvantage) - awayRating) * diffMultiplier
 *   expected  = 1 / (1 + 10^(-diff / scale))                      (home's expected score)
 *   score     = 1 home win, 0.5 draw, 0 away win
 *   delta_x   = K_x * movMultiplier * weight * (actual_x - expected_x)
 * Each side uses its own K (a schedule by its games played), so updates need not be zero-sum.
 *
 * There is one implementation of that loop, `rateColumns`, over typed arrays: it is what makes
 * the engine fast (millions of matches a second), and `rate` (objects in, objects out) is a thin
 * layer over it, so the two can never disagree.
 */

export type KSetting = number | { a: number; b: number; c: number };

export type MarginOfVictory =
  | { kind: 'none' }
  /** ln(max(margin, 1) + 1) * a / d, d = a + b * winnerDiff for a decisive result, 1 for a draw. */
  | { kind: 'log-margin'; a: number; b: number }
  /** 1 for a margin of at most 1, 1.5 for 2, (11 + margin) / 8 for 3 or more. */
  | { kind: 'goal-difference' };

export interface SeasonRegression {
  fraction: number;
  /** Defaults to `initial`. */
  mean?: number;
  /** `"participant|season"` -> the rating to start that season with, instead of regressing. */
  overrides?: Readonly<Record<string, number>>;
}

export interface EloParams {
  /** Rating of a participant seen for the first time. */
  initial: number;
  /** Starting ratings for named participants (instead of `initial`). */
  initialRatings?: Readonly<Record<string, number>>;
  /** A constant, or `a / (n + b)^c` with n the participant's games played so far. */
  k: KSetting;
  /** Added to the home side's rating difference, except at neutral venues. */
  homeAdvantage: number;
  /** A difference of `scale` points means 10:1 odds. */
  scale: number;
  mov: MarginOfVictory;
  /** K multipliers by match weight key (importance, stage). Unknown keys weigh 1. */
  matchWeights?: Readonly<Record<string, number>>;
  /** Multipliers on the rating difference by match weight key (e.g. 1.2 for NFL playoffs). */
  diffMultipliers?: Readonly<Record<string, number>>;
  /**
   * At a participant's first match of a new season: R = R * (1 - fraction) + mean * fraction,
   * unless an override sets the rating outright (also for a participant's very first season).
   */
  seasonRegression?: SeasonRegression;
  /**
   * Matches decided without being played out (walkovers, retirements, awarded): `count` rates
   * them by their explicit result, `skip` leaves both sides' ratings as they were.
   */
  explicitResults?: 'count' | 'skip';
}

export const DEFAULT_PARAMS: Readonly<EloParams> = Object.freeze({
  initial: 1500,
  k: 20,
  homeAdvantage: 0,
  scale: 400,
  mov: { kind: 'none' } as const,
});

export interface EloMatch {
  id: string;
  home: string;
  away: string;
  homeScore: number;
  awayScore: number;
  neutral: boolean;
  /** Season label, for season regression. */
  season?: string;
  /** Key into `matchWeights` and `diffMultipliers`. */
  weight?: string;
  /** An explicit result (walkover, retirement, awarded): 1 home win, 0.5 draw, 0 away win. */
  result?: 0 | 0.5 | 1;
}

export interface ParticipantState {
  rating: number;
  games: number;
  season: string | undefined;
  lastMatchId: string | undefined;
}

/** Where the ratings stand: enough to continue rating from here. */
export type EloState = Map<string, ParticipantState>;

export interface RatedMatch {
  id: string;
  home: string;
  away: string;
  homePre: number;
  awayPre: number;
  homePost: number;
  awayPost: number;
  /** Home's expected score, home advantage included. */
  expectedHome: number;
  /** Home's actual score: 1, 0.5 or 0. */
  actualHome: number;
  /** False for an explicit result under `explicitResults: 'skip'`: ratings did not move. */
  counted: boolean;
}

/** A copy of a state that rating more matches will not change. */
export function cloneState(state: EloState): EloState {
  return new Map([...state].map(([participant, entry]) => [participant, { ...entry }]));
}

/** Multiplier on K from the margin of victory. `winnerDiff`: the winner's rating edge, home advantage included. */
export function movMultiplier(mov: MarginOfVictory, margin: number, winnerDiff: number): number {
  switch (mov.kind) {
    case 'none':
      return 1;
    case 'log-margin': {
      const denominator = margin === 0 ? 1 : mov.a + mov.b * winnerDiff;
      return (Math.log(Math.max(margin, 1) + 1) * mov.a) / denominator;
    }
    case 'goal-difference':
      if (margin <= 1) return 1;
      if (margin === 2) return 1.5;
      return (11 + margin) / 8;
  }
}

/** Matches as columns; participants and seasons are slots (small integers) the caller assigns. */
export interface MatchColumns {
  length: number;
  home: Int32Array;
  away: Int32Array;
  /** Home's actual score: 1, 0.5, 0. */
  actual: Float64Array;
  /** Absolute score difference; 0 for a draw. */
  margin: Float64Array;
  neutral: Uint8Array;
  /** K multiplier (match weight). */
  kWeight: Float64Array;
  /** Multiplier on the rating difference. */
  diffWeight: Float64Array;
  /** 0: an explicit result that does not count; ratings stay as they were. */
  counted: Uint8Array;
  /** Season slot, -1 when unknown. */
  season: Int32Array;
}

/** Participant state as columns, indexed by participant slot; updated in place. */
export interface StateColumns {
  rating: Float64Array;
  games: Float64Array;
  /** Season slot of the participant's last match, -1 when none. */
  season: Int32Array;
  /** Index of the participant's last rated match in this call, -1 when none. */
  lastMatch: Int32Array;
}

export interface OutputColumns {
  homePre: Float64Array;
  awayPre: Float64Array;
  homePost: Float64Array;
  awayPost: Float64Array;
  expectedHome: Float64Array;
}

/**
 * The season-start rating for a participant slot in a season slot, or undefined to regress as
 * usual. Asked only when a participant starts a season, so it may be slow.
 */
export type SeasonOverride = (participant: number, season: number) => number | undefined;

/** The rating loop. `state` is updated in place and `out` filled; allocation-free. */
export function rateColumns(
  matches: MatchColumns,
  params: Pick<EloParams, 'k' | 'homeAdvantage' | 'scale' | 'mov' | 'seasonRegression' | 'initial'>,
  state: StateColumns,
  out: OutputColumns,
  seasonOverride?: SeasonOverride,
): void {
  const { home, away, actual, margin, neutral, kWeight, diffWeight, counted, season } = matches;
  const { rating, games, lastMatch } = state;
  const seasonOf = state.season;
  const constantK = typeof params.k === 'number' ? params.k : Number.NaN;
  const scheduled = typeof params.k !== 'number';
  // K by games played and ln(margin + 1) take a pow or a log each; both depend on a small whole
  // number only, so each value is computed once and looked up after (same bits either way).
  const kByGames = scheduled ? kTable(params.k as { a: number; b: number; c: number }) : null;
  const homeAdvantage = params.homeAdvantage;
  const inverseScale = 1 / params.scale;
  const mov = params.mov;
  const movKind = mov.kind === 'none' ? 0 : mov.kind === 'log-margin' ? 1 : 2;
  const movA = mov.kind === 'log-margin' ? mov.a : 0;
  const movB = mov.kind === 'log-margin' ? mov.b : 0;
  const regression = params.seasonRegression;
  const fraction = regression?.fraction ?? 0;
  const mean = regression?.mean ?? params.initial;
  const startSeason = (participant: number, matchSeason: number): void => {
    const previous = seasonOf[participant] as number;
    if (previous === matchSeason) return;
    seasonOf[participant] = matchSeason;
    const override = seasonOverride?.(participant, matchSeason);
    if (override !== undefined) {
      rating[participant] = override;
    } else if (previous >= 0 && regression) {
      rating[participant] = (rating[participant] as number) * (1 - fraction) + mean * fraction;
    }
  };
  const { homePre: outHomePre, awayPre: outAwayPre, homePost: outHomePost, awayPost: outAwayPost } = out;
  const outExpected = out.expectedHome;

  for (let index = 0; index < matches.length; index += 1) {
    const h = home[index] as number;
    const a = away[index] as number;
    const matchSeason = season[index] as number;
    if (counted[index] === 1 && matchSeason >= 0) {
      if (seasonOf[h] !== matchSeason) startSeason(h, matchSeason);
      if (seasonOf[a] !== matchSeason) startSeason(a, matchSeason);
    }
    const homePre = rating[h] as number;
    const awayPre = rating[a] as number;
    const diff = (homePre + (neutral[index] === 1 ? 0 : homeAdvantage) - awayPre) * (diffWeight[index] as number);
    const expectedHome = 1 / (1 + 10 ** (-diff * inverseScale));
    outHomePre[index] = homePre;
    outAwayPre[index] = awayPre;
    outExpected[index] = expectedHome;
    if (counted[index] !== 1) {
      outHomePost[index] = homePre;
      outAwayPost[index] = awayPre;
      continue;
    }
    const score = actual[index] as number;
    let multiplier = kWeight[index] as number;
    if (movKind !== 0) {
      const m = score === 0.5 ? 0 : (margin[index] as number);
      if (movKind === 1) {
        const winnerDiff = score === 1 ? diff : -diff;
        multiplier *= (logMarginPlusOne(m) * movA) / (m === 0 ? 1 : movA + movB * winnerDiff);
      } else if (m === 2) {
        multiplier *= 1.5;
      } else if (m > 2) {
        multiplier *= (11 + m) / 8;
      }
    }
    const homeGames = games[h] as number;
    const awayGames = games[a] as number;
    const homeK = kByGames ? kByGames(homeGames) : constantK;
    const awayK = kByGames ? kByGames(awayGames) : constantK;
    const homePost = homePre + homeK * multiplier * (score - expectedHome);
    const awayPost = awayPre + awayK * multiplier * (expectedHome - score);
    rating[h] = homePost;
    rating[a] = awayPost;
    games[h] = homeGames + 1;
    games[a] = awayGames + 1;
    lastMatch[h] = index;
    lastMatch[a] = index;
    outHomePost[index] = homePost;
    outAwayPost[index] = awayPost;
  }
}

/** K = a / (n + b)^c by games played n, each value computed once. */
function kTable(k: { a: number; b: number; c: number }): (games: number) => number {
  let table = new Float64Array(256).fill(Number.NaN);
  return (games) => {
    if (!Number.isInteger(games) || games < 0) return k.a / (games + k.b) ** k.c;
    if (games >= table.length) {
      const grown = new Float64Array(Math.max(table.length * 2, games + 1)).fill(Number.NaN);
      grown.set(table);
      table = grown;
    }
    let value = table[games] as number;
    if (Number.isNaN(value)) {
      value = k.a / (games + k.b) ** k.c;
      table[games] = value;
    }
    return value;
  };
}

const LOG_TABLE = Float64Array.from({ length: 64 }, (_unused, margin) => Math.log(Math.max(margin, 1) + 1));

/** ln(max(margin, 1) + 1), looked up for the usual small margins. */
function logMarginPlusOne(margin: number): number {
  return margin < 64 && Number.isInteger(margin) ? (LOG_TABLE[margin] as number) : Math.log(Math.max(margin, 1) + 1);
}

/** Columns for `length` matches, to fill before `rateColumns`. */
export function matchColumns(length: number): MatchColumns {
  return {
    length,
    home: new Int32Array(length),
    away: new Int32Array(length),
    actual: new Float64Array(length),
    margin: new Float64Array(length),
    neutral: new Uint8Array(length),
    kWeight: new Float64Array(length).fill(1),
    diffWeight: new Float64Array(length).fill(1),
    counted: new Uint8Array(length).fill(1),
    season: new Int32Array(length).fill(-1),
  };
}

export function outputColumns(length: number): OutputColumns {
  return {
    homePre: new Float64Array(length),
    awayPre: new Float64Array(length),
    homePost: new Float64Array(length),
    awayPost: new Float64Array(length),
    expectedHome: new Float64Array(length),
  };
}

/**
 * Rate `matches` in the order given, continuing from `state` (which is not modified). Returns
 * each match's pre/post ratings and expected score, and the state after the last match.
 */
export function rate(
  matches: readonly EloMatch[],
  params: EloParams,
  state: EloState = new Map(),
): { rated: RatedMatch[]; state: EloState } {
  const participants = new Slots();
  const seasons = new Slots();
  for (const name of state.keys()) participants.slot(name);
  const columns = matchColumns(matches.length);
  const skipExplicit = params.explicitResults === 'skip';
  for (let index = 0; index < matches.length; index += 1) {
    const match = matches[index] as EloMatch;
    const homeScore = match.homeScore;
    const awayScore = match.awayScore;
    columns.home[index] = participants.slot(match.home);
    columns.away[index] = participants.slot(match.away);
    columns.actual[index] = match.result ?? (homeScore > awayScore ? 1 : homeScore < awayScore ? 0 : 0.5);
    columns.margin[index] = Math.abs(homeScore - awayScore);
    columns.neutral[index] = match.neutral ? 1 : 0;
    if (match.weight !== undefined) {
      columns.kWeight[index] = params.matchWeights?.[match.weight] ?? 1;
      columns.diffWeight[index] = params.diffMultipliers?.[match.weight] ?? 1;
    }
    if (match.result !== undefined && skipExplicit) columns.counted[index] = 0;
    if (match.season !== undefined) columns.season[index] = seasons.slot(match.season);
  }

  const count = participants.names.length;
  const stateColumns: StateColumns = {
    rating: new Float64Array(count),
    games: new Float64Array(count),
    season: new Int32Array(count).fill(-1),
    lastMatch: new Int32Array(count).fill(-1),
  };
  participants.names.forEach((name, slot) => {
    const entry = state.get(name);
    stateColumns.rating[slot] = entry ? entry.rating : (params.initialRatings?.[name] ?? params.initial);
    stateColumns.games[slot] = entry ? entry.games : 0;
    stateColumns.season[slot] = entry?.season === undefined ? -1 : seasons.slot(entry.season);
  });
  const overrides = params.seasonRegression?.overrides;
  const seasonOverride: SeasonOverride | undefined = overrides
    ? (participant, season) => overrides[`${participants.names[participant]}|${seasons.names[season]}`]
    : undefined;

  const out = outputColumns(matches.length);
  rateColumns(columns, params, stateColumns, out, seasonOverride);

  const rated: RatedMatch[] = new Array(matches.length);
  for (let index = 0; index < matches.length; index += 1) {
    const match = matches[index] as EloMatch;
    rated[index] = {
      id: match.id,
      home: match.home,
      away: match.away,
      homePre: out.homePre[index] as number,
      awayPre: out.awayPre[index] as number,
      homePost: out.homePost[index] as number,
      awayPost: out.awayPost[index] as number,
      expectedHome: out.expectedHome[index] as number,
      actualHome: columns.actual[index] as number,
      counted: columns.counted[index] === 1,
    };
  }
  const next: EloState = new Map();
  participants.names.forEach((name, slot) => {
    const previous = state.get(name);
    const last = stateColumns.lastMatch[slot] as number;
    const seasonSlot = stateColumns.season[slot] as number;
    if (!previous && last < 0) return; // seen only in uncounted matches
    next.set(name, {
      rating: stateColumns.rating[slot] as number,
      games: stateColumns.games[slot] as number,
      season: seasonSlot < 0 ? undefined : seasons.names[seasonSlot],
      lastMatchId: last >= 0 ? (matches[last] as EloMatch).id : previous?.lastMatchId,
    });
  });
  return { rated, state: next };
}

/** Interns names as consecutive small integers. */
class Slots {
  readonly names: string[] = [];
  private readonly index = new Map<string, number>();

  slot(name: string): number {
    let slot = this.index.get(name);
    if (slot === undefined) {
      slot = this.names.length;
      this.index.set(name, slot);
      this.names.push(name);
    }
    return slot;
  }
}
