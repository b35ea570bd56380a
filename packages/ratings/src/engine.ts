/**
 * A general Elo engine (DESIGN §7). Pure and deterministic: the same matches, parameters and
 * starting state give bit-identical results, so an incremental replay can equal a full
 * recompute exactly.
 *
 * For each match, in the order given (callers sort by start time, then match id):
 *   diff      = homeRating + (neutral ? 0 : homeAdvantage) - awayRating
 *   expected  = 1 / (1 + 10^(-diff / scale))                      (home's expected score)
 *   score     = 1 home win, 0.5 draw, 0 away win
 *   delta_x   = K_x * movMultiplier * weight * (actual_x - expected_x)
 * Each side uses its own K (a schedule by its games played), so updates need not be zero-sum.
 */

export type KSetting = number | { a: number; b: number; c: number };

export type MarginOfVictory =
  | { kind: 'none' }
  /** ln(max(margin, 1) + 1) * a / d, d = a + b * winnerDiff for a decisive result, 1 for a draw. */
  | { kind: 'log-margin'; a: number; b: number }
  /** 1 for a margin of at most 1, 1.5 for 2, (11 + margin) / 8 for 3 or more. */
  | { kind: 'goal-difference' };

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
  /**
   * At a participant's first match of a new season: R = R * (1 - fraction) + mean * fraction,
   * unless `overrides["participant|season"]` sets the rating outright.
   */
  seasonRegression?: { fraction: number; mean?: number; overrides?: Readonly<Record<string, number>> };
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
  /** Key into `matchWeights`. */
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
}

/** A copy of a state that rating more matches will not change. */
export function cloneState(state: EloState): EloState {
  return new Map([...state].map(([participant, entry]) => [participant, { ...entry }]));
}

function kFor(k: KSetting, games: number): number {
  return typeof k === 'number' ? k : k.a / (games + k.b) ** k.c;
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

/**
 * Rate `matches` in the order given, continuing from `state` (which is not modified). Returns
 * each match's pre/post ratings and expected score, and the state after the last match.
 */
export function rate(
  matches: readonly EloMatch[],
  params: EloParams,
  state: EloState = new Map(),
): { rated: RatedMatch[]; state: EloState } {
  const current = cloneState(state);
  const rated: RatedMatch[] = new Array(matches.length);
  const regression = params.seasonRegression;
  const mean = regression?.mean ?? params.initial;

  const enter = (participant: string, season: string | undefined): ParticipantState => {
    let entry = current.get(participant);
    if (!entry) {
      entry = {
        rating: params.initialRatings?.[participant] ?? params.initial,
        games: 0,
        season,
        lastMatchId: undefined,
      };
      current.set(participant, entry);
    }
    if (season !== undefined && entry.season !== undefined && entry.season !== season && regression) {
      const override = regression.overrides?.[`${participant}|${season}`];
      entry.rating = override ?? entry.rating * (1 - regression.fraction) + mean * regression.fraction;
    } else if (season !== undefined && entry.season === undefined && entry.games === 0) {
      const override = regression?.overrides?.[`${participant}|${season}`];
      if (override !== undefined) entry.rating = override;
    }
    if (season !== undefined) entry.season = season;
    return entry;
  };

  for (let index = 0; index < matches.length; index += 1) {
    const match = matches[index] as EloMatch;
    const home = enter(match.home, match.season);
    const away = enter(match.away, match.season);
    const homePre = home.rating;
    const awayPre = away.rating;
    const diff = homePre + (match.neutral ? 0 : params.homeAdvantage) - awayPre;
    const expectedHome = 1 / (1 + 10 ** (-diff / params.scale));
    const score = match.result ?? (match.homeScore > match.awayScore ? 1 : match.homeScore < match.awayScore ? 0 : 0.5);
    const margin = Math.abs(match.homeScore - match.awayScore);
    const winnerDiff = score === 1 ? diff : score === 0 ? -diff : 0;
    const multiplier = movMultiplier(params.mov, score === 0.5 ? 0 : margin, winnerDiff);
    const weight = match.weight === undefined ? 1 : (params.matchWeights?.[match.weight] ?? 1);
    const homePost = homePre + kFor(params.k, home.games) * multiplier * weight * (score - expectedHome);
    const awayPost = awayPre + kFor(params.k, away.games) * multiplier * weight * (expectedHome - score);
    home.rating = homePost;
    away.rating = awayPost;
    home.games += 1;
    away.games += 1;
    home.lastMatchId = match.id;
    away.lastMatchId = match.id;
    rated[index] = {
      id: match.id,
      home: match.home,
      away: match.away,
      homePre,
      awayPre,
      homePost,
      awayPost,
      expectedHome,
    };
  }
  return { rated, state: current };
}
