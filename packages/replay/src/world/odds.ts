import type { World } from './build-world.js';
import { expectedGoals } from './football.js';
import type { Match, Team } from './model.js';
import { type LadderPrice, nearestRung, PRICE_LADDER } from './price-ladder.js';
import { Random } from './random.js';

/*
 * The pre-match 1X2 market of a football match: the full-time result priced by a bookmaker
 * who knows roughly, but not exactly, what the world's hidden strengths say, and learns more
 * as kick-off nears.
 *
 * - Fair probabilities come from the same Poisson goal rates the simulation draws goals from.
 * - The bookmaker's belief starts off the fair line by a seeded error and walks (a Brownian
 *   bridge in log-probability) to a much smaller error at kick-off, so the closing line is
 *   closer to the truth than the opening one.
 * - Prices are the belief plus a margin, snapped to the fractional ladder.
 * - Prices can change only at discrete moments: every 6 hours from the opening, every hour in
 *   the last 24 hours, each at a seeded second inside its slot. At kick-off the series freezes
 *   (the closing line).
 *
 * Every number comes from a stream of the match's own (`Random.from(seed, 'odds.<id>')`), never
 * from the world's build streams, and nothing is stored: a series is a pure function of the
 * world's seed and the match, computed when asked for. So adding the market changed no other
 * answer, and a world of 100,000 matches costs nothing until an odds request comes.
 */

const HOUR_SEC = 3_600;
const DAY_SEC = 86_400;

/** The market opens this long before kick-off. */
export const MARKET_OPENS_BEFORE_SEC = 7 * DAY_SEC;
/** From this long before kick-off the market may move every hour instead of every 6 hours. */
export const LATE_PHASE_SEC = DAY_SEC;
const EARLY_SLOT_SEC = 6 * HOUR_SEC;
const LATE_SLOT_SEC = HOUR_SEC;

/**
 * The book's overround (sum of implied probabilities minus 1) at every price update, after
 * snapping to the ladder. The bookmaker aims at `target` and picks, among the rungs next to
 * each ideal price, the combination closest to the ideal that stays inside the band.
 */
export const OVERROUND = { min: 0.05, target: 0.06, max: 0.07 } as const;

/** How far (in log-probability, per outcome) the opening belief strays from the fair line. */
const OPENING_ERROR = 0.1;
/** What is left of that error at kick-off. */
const CLOSING_ERROR = 0.02;
/**
 * The random part of each step. The same at every slot, so the last day (24 hourly slots)
 * moves about as much as the six days before it (24 slots of 6 hours): team news comes late.
 */
const STEP_DEVIATION = 0.02;
/** Rungs either side of the nearest one that the bookmaker considers for each outcome. */
const RUNG_REACH = 2;

/** One value per outcome of the full-time result. */
export interface Outcomes<T> {
  home: T;
  draw: T;
  away: T;
}

const OUTCOMES = ['home', 'draw', 'away'] as const;

/** A price update: the whole market's prices from `at` until the next one. */
export interface OddsMove {
  /** Unix seconds. */
  at: number;
  /** As quoted: `13/10`, `1/1`. */
  fractional: Outcomes<string>;
  /** Decimal prices (stake included): 13/10 is 2.3. */
  decimal: Outcomes<number>;
}

/** A match's pre-match market over its whole life. */
export interface OddsSeries {
  /** When the market opens (Unix seconds): the opening line, `moves[0].at`. */
  opensAt: number;
  /** The kick-off the market prices (a postponed match's new one); nothing moves from here on. */
  kickoff: number;
  /**
   * When a cancelled match's market is taken down (its cancellation becomes known); from then
   * on the endpoint answers 404. Undefined for a match that is played.
   */
  withdrawnAt: number | undefined;
  /**
   * Every change of price, in time order, all before kick-off (and before `withdrawnAt`). The
   * first is the opening line, the last the closing line. A slot whose snapped prices equal the
   * previous ones is not a move.
   */
  moves: OddsMove[];
}

/**
 * A match's odds series, or undefined when it has no market: not a football match, or
 * unknown. Pure: the same world seed and match give the same series.
 */
export function oddsSeriesOf(world: World, matchId: number): OddsSeries | undefined {
  const match = world.matches.get(matchId);
  return match ? oddsSeriesOfMatch(world.seed, match) : undefined;
}

/** {@link oddsSeriesOf} for a match in hand. Reads the fixture only, never the play (lazy matches stay unplayed). */
export function oddsSeriesOfMatch(seed: number, match: Match): OddsSeries | undefined {
  if (match.season.competition.sport !== 'football') return undefined;
  // A postponed match is priced for its new date only: its market opens a week before that
  // (or once the date is announced, if later). The original date never gets a market.
  const kickoff = match.reschedule?.to ?? match.startTimestamp;
  const opensAt = Math.max(kickoff - MARKET_OPENS_BEFORE_SEC, match.reschedule?.at ?? Number.NEGATIVE_INFINITY);
  const withdrawnAt = match.fate === 'canceled' ? match.fateKnownAt : undefined;

  const random = Random.from(seed, `odds.${match.id}`);
  const slots = slotTimes(kickoff, random.fork('slots'));
  const beliefs = beliefPath(fairProbabilities(match.home, match.away), slots.length, random.fork('walk'));

  const moves: OddsMove[] = [];
  slots.forEach((slot, index) => {
    const next = slots[index + 1];
    // Slots superseded before the market opened are never quoted; the last of them opens it.
    if (next !== undefined && next <= opensAt) return;
    const at = Math.max(slot, opensAt);
    if (at >= kickoff || (withdrawnAt !== undefined && at >= withdrawnAt)) return;
    const prices = quote(beliefs[index] as Outcomes<number>);
    const previous = moves.at(-1);
    if (previous && OUTCOMES.every((outcome) => previous.fractional[outcome] === prices.fractional[outcome])) return;
    moves.push({ at, ...prices });
  });
  const opening = moves[0];
  return opening ? { opensAt: opening.at, kickoff, withdrawnAt, moves } : undefined;
}

/**
 * Where a series stands at `now`: the opening line, the prices in force and the ones before
 * them. Undefined while there is no market (before it opens, after it is withdrawn). After
 * kick-off, the closing line.
 */
export function oddsAt(
  series: OddsSeries,
  now: number,
): { opening: OddsMove; current: OddsMove; previous: OddsMove | undefined } | undefined {
  if (now < series.opensAt || (series.withdrawnAt !== undefined && now >= series.withdrawnAt)) return undefined;
  let index = 0;
  while (index + 1 < series.moves.length && (series.moves[index + 1] as OddsMove).at <= now) index += 1;
  return {
    opening: series.moves[0] as OddsMove,
    current: series.moves[index] as OddsMove,
    previous: series.moves[index - 1],
  };
}

/** Full-time result probabilities from independent Poisson goal counts at the simulation's rates. */
export function fairProbabilities(home: Team, away: Team): Outcomes<number> {
  const rates = expectedGoals(home, away);
  const homeGoals = poissonMasses(rates.home);
  const awayGoals = poissonMasses(rates.away);
  const sums = { home: 0, draw: 0, away: 0 };
  for (const [homeCount, homeMass] of homeGoals.entries()) {
    for (const [awayCount, awayMass] of awayGoals.entries()) {
      const outcome = homeCount > awayCount ? 'home' : homeCount === awayCount ? 'draw' : 'away';
      sums[outcome] += homeMass * awayMass;
    }
  }
  // The counts are cut at a tail too small to matter; normalise what was summed.
  const total = sums.home + sums.draw + sums.away;
  return { home: sums.home / total, draw: sums.draw / total, away: sums.away / total };
}

/** P(0), P(1), ..., P(20) goals at `mean`: past 20 the mass is far below a price's resolution. */
function poissonMasses(mean: number): number[] {
  const masses = [Math.exp(-mean)];
  for (let count = 1; count <= 20; count += 1) masses.push(((masses[count - 1] as number) * mean) / count);
  return masses;
}

/**
 * The moments prices may change: the opening (a week before kick-off), then a seeded second in
 * each 6-hour slot until a day before, then in each hour-long slot until kick-off.
 */
function slotTimes(kickoff: number, random: Random): number[] {
  const early = (MARKET_OPENS_BEFORE_SEC - LATE_PHASE_SEC) / EARLY_SLOT_SEC;
  const late = LATE_PHASE_SEC / LATE_SLOT_SEC;
  const times = [kickoff - MARKET_OPENS_BEFORE_SEC];
  // A minute's clearance at both ends, so a poll on the hour never meets a move on the hour.
  const inSlot = (start: number, length: number) => start + random.int(60, length - 60);
  for (let slot = 1; slot < early; slot += 1) {
    times.push(inSlot(kickoff - MARKET_OPENS_BEFORE_SEC + slot * EARLY_SLOT_SEC, EARLY_SLOT_SEC));
  }
  for (let slot = 0; slot < late; slot += 1) {
    times.push(inSlot(kickoff - LATE_PHASE_SEC + slot * LATE_SLOT_SEC, LATE_SLOT_SEC));
  }
  return times;
}

/**
 * The bookmaker's belief at each of `count` slots: the fair line shifted, per outcome, by an
 * error that goes from the opening error to the closing one along a Brownian bridge (a random
 * walk pinned at both ends), then renormalised.
 */
function beliefPath(fair: Outcomes<number>, count: number, random: Random): Array<Outcomes<number>> {
  const last = count - 1;
  const paths = OUTCOMES.map(() => {
    const opening = random.normal(0, OPENING_ERROR);
    const closing = random.normal(0, CLOSING_ERROR);
    const walk = [0];
    for (let step = 1; step <= last; step += 1) {
      walk.push((walk[step - 1] as number) + random.normal(0, STEP_DEVIATION));
    }
    const end = walk[last] as number;
    return walk.map((position, step) => {
      const share = step / last;
      return opening + (closing - opening) * share + (position - share * end);
    });
  });
  const [home, draw, away] = paths as [number[], number[], number[]];
  return Array.from({ length: count }, (_unused, step) => {
    const weights = {
      home: fair.home * Math.exp(home[step] as number),
      draw: fair.draw * Math.exp(draw[step] as number),
      away: fair.away * Math.exp(away[step] as number),
    };
    const total = weights.home + weights.draw + weights.away;
    return { home: weights.home / total, draw: weights.draw / total, away: weights.away / total };
  });
}

/**
 * The quoted prices for a belief: each ideal implied probability is the belief plus the target
 * margin shared in proportion; among the rungs within reach of each ideal price, the
 * combination whose implied probabilities are nearest the ideal ones with the overround in band.
 */
function quote(belief: Outcomes<number>): Omit<OddsMove, 'at'> {
  const ideal = OUTCOMES.map((outcome) => belief[outcome] * (1 + OVERROUND.target)) as [number, number, number];
  const [homeRungs, drawRungs, awayRungs] = ideal.map((probability) => rungsNear(1 / probability));
  let best = { rungs: [0, 0, 0], distance: Number.POSITIVE_INFINITY, outside: Number.POSITIVE_INFINITY };
  // At most 5 x 5 x 5 combinations, for each of ~48 slots: cheap enough to run on every request.
  for (const home of homeRungs as number[]) {
    for (const draw of drawRungs as number[]) {
      for (const away of awayRungs as number[]) {
        const implied = [impliedOf(home), impliedOf(draw), impliedOf(away)] as const;
        const overround = implied[0] + implied[1] + implied[2] - 1;
        // Inside the band beats outside it; then nearest the ideal prices.
        const outside = Math.max(0, OVERROUND.min - overround, overround - OVERROUND.max);
        const distance = (implied[0] - ideal[0]) ** 2 + (implied[1] - ideal[1]) ** 2 + (implied[2] - ideal[2]) ** 2;
        if (outside < best.outside || (outside === best.outside && distance < best.distance)) {
          best = { rungs: [home, draw, away], distance, outside };
        }
      }
    }
  }
  const [home, draw, away] = best.rungs.map((rung) => PRICE_LADDER[rung]) as [LadderPrice, LadderPrice, LadderPrice];
  return {
    fractional: { home: home.fractional, draw: draw.fractional, away: away.fractional },
    decimal: { home: home.decimal, draw: draw.decimal, away: away.decimal },
  };
}

/** The nearest rung to `decimal` and up to RUNG_REACH either side of it. */
function rungsNear(decimal: number): number[] {
  const nearest = nearestRung(decimal);
  const rungs: number[] = [];
  for (let rung = nearest - RUNG_REACH; rung <= nearest + RUNG_REACH; rung += 1) {
    if (rung >= 0 && rung < PRICE_LADDER.length) rungs.push(rung);
  }
  return rungs;
}

function impliedOf(rung: number): number {
  return 1 / (PRICE_LADDER[rung] as LadderPrice).decimal;
}
