/**
 * A plain Elo over match results, the stand-in until the full rating engine exists. Pure: no
 * I/O, no clock; output depends only on the set of matches and the settings, never on input order.
 */

/** A finished match to rate; the scores are the result that counts (the caller decides which). */
export interface EloMatch {
  id: string;
  startTime: Date;
  homeId: string;
  awayId: string;
  homeScore: number;
  awayScore: number;
  /** On neutral ground the home advantage does not apply. */
  neutral: boolean;
}

/** Elo parameters, in rating points unless stated. */
export interface EloSettings {
  /** Rating of a participant before its first match. */
  initialRating: number;
  /** Rating points moved per unit of surprise (actual minus expected score). */
  k: number;
  /** Rating difference at which the stronger side is expected to score 10 times the weaker. */
  scale: number;
  /** Rating points added to the home side's rating when computing the expectation. */
  homeAdvantage: number;
}

/** Defaults: 1500 initial, k 20, scale 400, no home advantage. */
export const PLAIN_ELO_DEFAULTS: Readonly<EloSettings> = Object.freeze({
  initialRating: 1500,
  k: 20,
  scale: 400,
  homeAdvantage: 0,
});

/** Ratings around one match, shaped like a `ratings.match_ratings` row without its pool. */
export interface MatchRating {
  matchId: string;
  homeId: string;
  awayId: string;
  startTime: Date;
  homePre: number;
  awayPre: number;
  homePost: number;
  awayPost: number;
  /** Expected score of the home side, 0..1, home advantage included. */
  expectedHome: number;
}

/** A participant's rating after all matches, shaped like a `ratings.current_ratings` row without its pool. */
export interface CurrentRating {
  participantId: string;
  rating: number;
  /** Matches rated. */
  games: number;
  /** The participant's last match in rating order. */
  lastMatchId: string;
}

/**
 * Rates matches with plain Elo, in order of (`startTime`, `id`) whatever the input order.
 *
 * Expected home score = 1 / (1 + 10^((away - (home + homeAdvantage)) / scale)), with no home
 * advantage on neutral ground; actual is 1 for a home win, 0.5 for a draw, 0 for a loss; each side
 * moves by k × (actual − expected), so every match is zero-sum. Ratings are not rounded.
 *
 * @param matches - Matches to rate; ids must be unique. Ids are ordered by UTF-16 code units.
 * @param settings - Overrides for {@link PLAIN_ELO_DEFAULTS}.
 * @returns Per-match ratings in rating order, and current ratings sorted by `participantId`.
 * @throws RangeError on a repeated match id, an invalid start time, a non-finite score, or
 *   settings that are not finite (or a `scale` that is not positive).
 */
export function computePlainElo(
  matches: readonly EloMatch[],
  settings: Partial<EloSettings> = {},
): { matchRatings: MatchRating[]; current: CurrentRating[] } {
  const resolved = resolveSettings(settings);
  assertRateable(matches);

  const ordered = [...matches].sort(
    (a, b) => a.startTime.getTime() - b.startTime.getTime() || compareCodeUnits(a.id, b.id),
  );

  const current = new Map<string, CurrentRating>();
  const stateOf = (participantId: string, matchId: string): CurrentRating => {
    let state = current.get(participantId);
    if (state === undefined) {
      state = { participantId, rating: resolved.initialRating, games: 0, lastMatchId: matchId };
      current.set(participantId, state);
    }
    return state;
  };

  const matchRatings: MatchRating[] = [];
  for (const match of ordered) {
    const home = stateOf(match.homeId, match.id);
    const away = stateOf(match.awayId, match.id);
    const homePre = home.rating;
    const awayPre = away.rating;
    const advantage = match.neutral ? 0 : resolved.homeAdvantage;
    const expectedHome = 1 / (1 + 10 ** ((awayPre - (homePre + advantage)) / resolved.scale));
    const change = resolved.k * (actualHomeScore(match) - expectedHome);

    home.rating = homePre + change;
    away.rating = awayPre - change;
    for (const side of [home, away]) {
      side.games += 1;
      side.lastMatchId = match.id;
    }

    matchRatings.push({
      matchId: match.id,
      homeId: match.homeId,
      awayId: match.awayId,
      startTime: match.startTime,
      homePre,
      awayPre,
      homePost: home.rating,
      awayPost: away.rating,
      expectedHome,
    });
  }

  return {
    matchRatings,
    current: [...current.values()].sort((a, b) => compareCodeUnits(a.participantId, b.participantId)),
  };
}

function actualHomeScore(match: EloMatch): number {
  if (match.homeScore > match.awayScore) return 1;
  if (match.homeScore === match.awayScore) return 0.5;
  return 0;
}

function resolveSettings(settings: Partial<EloSettings>): EloSettings {
  // `??` rather than spread: an explicit `undefined` in the overrides must not erase a default.
  const resolved: EloSettings = {
    initialRating: settings.initialRating ?? PLAIN_ELO_DEFAULTS.initialRating,
    k: settings.k ?? PLAIN_ELO_DEFAULTS.k,
    scale: settings.scale ?? PLAIN_ELO_DEFAULTS.scale,
    homeAdvantage: settings.homeAdvantage ?? PLAIN_ELO_DEFAULTS.homeAdvantage,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isFinite(value)) throw new RangeError(`Elo setting ${name} must be finite, got ${value}`);
  }
  if (resolved.scale <= 0) throw new RangeError(`Elo setting scale must be positive, got ${resolved.scale}`);
  return resolved;
}

function assertRateable(matches: readonly EloMatch[]): void {
  const seen = new Set<string>();
  for (const match of matches) {
    // A repeated id would leave the order between its copies to the input order.
    if (seen.has(match.id)) throw new RangeError(`match ${match.id} appears more than once`);
    seen.add(match.id);
    if (Number.isNaN(match.startTime.getTime())) throw new RangeError(`match ${match.id} has an invalid startTime`);
    if (!Number.isFinite(match.homeScore) || !Number.isFinite(match.awayScore)) {
      throw new RangeError(`match ${match.id} has a non-finite score`);
    }
  }
}

function compareCodeUnits(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}
