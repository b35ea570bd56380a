import { describe, expect, it } from 'vitest';
import { buildWorld, scaleLeagueIds } from './build-world.js';
import type { Match } from './model.js';
import {
  fairProbabilities,
  LATE_PHASE_SEC,
  MARKET_OPENS_BEFORE_SEC,
  type OddsMove,
  type OddsSeries,
  OVERROUND,
  oddsSeriesOf,
} from './odds.js';
import { PRICE_LADDER } from './price-ladder.js';

const HOUR_SEC = 3_600;
const world = buildWorld({ seed: 7 });
const football = [...world.matches.values()].filter((match) => match.season.competition.sport === 'football');
const played = football.filter((match) => match.fate === 'played');

/** Each football match's series, computed once for the whole file. */
const seriesById = new Map(football.map((match) => [match.id, oddsSeriesOf(world, match.id)]));

function seriesOf(match: Match): OddsSeries {
  const series = seriesById.get(match.id);
  if (!series) throw new Error(`match ${match.id} has no odds series`);
  return series;
}

const overround = (move: OddsMove) => 1 / move.decimal.home + 1 / move.decimal.draw + 1 / move.decimal.away - 1;

/** Implied probabilities with the overround taken out in proportion. */
function implied(move: OddsMove): [number, number, number] {
  const raw = [1 / move.decimal.home, 1 / move.decimal.draw, 1 / move.decimal.away] as const;
  const total = raw[0] + raw[1] + raw[2];
  return [raw[0] / total, raw[1] / total, raw[2] / total];
}

describe('oddsSeriesOf', () => {
  it('gives the same series for the same seed in two separately built worlds, and another for another seed', () => {
    const again = buildWorld({ seed: 7 });
    const other = buildWorld({ seed: 8 });
    const sample = played.filter((_match, index) => index % 10 === 0);
    for (const match of sample) expect(oddsSeriesOf(again, match.id)).toEqual(seriesOf(match));
    const differing = sample.filter(
      (match) => JSON.stringify(oddsSeriesOf(other, match.id)?.moves) !== JSON.stringify(seriesOf(match).moves),
    );
    expect(differing.length).toBeGreaterThan(sample.length / 2);
  });

  it('opens a week before kick-off with the first move and closes with the last move before kick-off', () => {
    const problems: string[] = [];
    for (const match of played) {
      const series = seriesOf(match);
      const { moves } = series;
      if (series.kickoff !== match.startTimestamp) problems.push(`${match.id}: kick-off ${series.kickoff}`);
      if (series.opensAt !== match.startTimestamp - MARKET_OPENS_BEFORE_SEC) problems.push(`${match.id}: opens early`);
      if (moves[0]?.at !== series.opensAt) problems.push(`${match.id}: first move is not the opening`);
      if (series.withdrawnAt !== undefined) problems.push(`${match.id}: withdrawn`);
      if ((moves.at(-1)?.at ?? Number.POSITIVE_INFINITY) >= series.kickoff)
        problems.push(`${match.id}: moves at kick-off`);
      moves.slice(1).forEach((move, index) => {
        const previous = moves[index] as OddsMove;
        if (move.at <= previous.at) problems.push(`${match.id}: move ${index + 1} out of order`);
        // A move is a change: consecutive entries never quote the same three prices.
        if (JSON.stringify(move.fractional) === JSON.stringify(previous.fractional)) {
          problems.push(`${match.id}: move ${index + 1} changes nothing`);
        }
      });
    }
    expect(problems).toEqual([]);
  });

  it('moves at most once per 6-hour slot until a day before kick-off, then at most once an hour', () => {
    let lateMoves = 0;
    const crowded: number[] = [];
    for (const match of played) {
      const series = seriesOf(match);
      const perSlot = new Map<number, number>();
      for (const move of series.moves.slice(1)) {
        const before = series.kickoff - move.at;
        const slot =
          before > LATE_PHASE_SEC
            ? Math.floor((move.at - series.opensAt) / (6 * HOUR_SEC))
            : -Math.ceil(before / HOUR_SEC);
        perSlot.set(slot, (perSlot.get(slot) ?? 0) + 1);
        if (before <= LATE_PHASE_SEC) lateMoves += 1;
      }
      // At most one move per slot; the opening slot holds only the opening itself.
      if (Math.max(0, ...perSlot.values()) > 1 || perSlot.has(0)) crowded.push(match.id);
    }
    expect(crowded).toEqual([]);
    // Most movement comes in the last day, as team news does.
    const allMoves = played.reduce((sum, match) => sum + seriesOf(match).moves.length - 1, 0);
    expect(lateMoves / allMoves).toBeGreaterThan(0.5);
  });

  it('quotes only ladder prices, with the book overround inside the band at every move', () => {
    const ladder = new Map(PRICE_LADDER.map((rung) => [rung.fractional, rung.decimal]));
    const problems: string[] = [];
    let moves = 0;
    for (const match of football) {
      for (const move of seriesById.get(match.id)?.moves ?? []) {
        moves += 1;
        for (const outcome of ['home', 'draw', 'away'] as const) {
          const [numerator, denominator] = move.fractional[outcome].split('/').map(Number) as [number, number];
          if (!ladder.has(move.fractional[outcome]))
            problems.push(`${match.id}: ${move.fractional[outcome]} off the ladder`);
          if (Math.abs(move.decimal[outcome] - (1 + numerator / denominator)) > 1e-12) {
            problems.push(`${match.id}: ${move.fractional[outcome]} is not ${move.decimal[outcome]}`);
          }
        }
        const margin = overround(move);
        // The band is inclusive; sums of reciprocals are exact only to a few ulps.
        if (margin < OVERROUND.min - 1e-12 || margin > OVERROUND.max + 1e-12) {
          problems.push(`${match.id} at ${move.at}: overround ${margin}`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(moves).toBeGreaterThan(football.length * 10);
  });

  it('ends nearer the fair probabilities than it opens, and prices the stronger side shorter', () => {
    let openingError = 0;
    let closingError = 0;
    let favouriteAgrees = 0;
    for (const match of played) {
      const series = seriesOf(match);
      const fair = fairProbabilities(match.home, match.away);
      const truth = [fair.home, fair.draw, fair.away];
      const error = (move: OddsMove) =>
        implied(move).reduce((sum, probability, index) => sum + Math.abs(probability - (truth[index] as number)), 0);
      openingError += error(series.moves[0] as OddsMove);
      closingError += error(series.moves.at(-1) as OddsMove);
      const closing = series.moves.at(-1) as OddsMove;
      if (fair.home > fair.away === closing.decimal.home < closing.decimal.away) favouriteAgrees += 1;
    }
    expect(closingError).toBeLessThan(openingError / 2);
    expect(favouriteAgrees / played.length).toBeGreaterThan(0.9);
  });

  it('has no market for tennis or unknown matches', () => {
    const tennis = [...world.matches.values()].find((match) => match.season.competition.sport === 'tennis');
    expect(tennis && oddsSeriesOf(world, tennis.id)).toBeUndefined();
    expect(oddsSeriesOf(world, 1)).toBeUndefined();
  });

  it("withdraws a cancelled match's market when the cancellation is known", () => {
    const canceled = football.filter((match) => match.fate === 'canceled');
    expect(canceled.length).toBeGreaterThan(0);
    for (const match of canceled) {
      const series = seriesOf(match);
      expect(series.withdrawnAt).toBe(match.fateKnownAt);
      expect(series.moves.every((move) => move.at < (match.fateKnownAt as number))).toBe(true);
    }
  });

  it('prices a postponed match for its new date, opening a week before it and after the date is announced', () => {
    const postponed = football.filter((match) => match.fate === 'postponed');
    expect(postponed.length).toBeGreaterThan(0);
    for (const match of postponed) {
      const reschedule = match.reschedule as NonNullable<Match['reschedule']>;
      const series = seriesOf(match);
      expect(series.kickoff).toBe(reschedule.to);
      expect(series.opensAt).toBe(Math.max(reschedule.to - MARKET_OPENS_BEFORE_SEC, reschedule.at));
      expect(series.opensAt).toBeGreaterThanOrEqual(reschedule.at);
    }
  });

  it('prices a Bench League match without simulating its play, the same whatever the scale', () => {
    const small = buildWorld({ seed: 7, scale: { leagues: 1, seasons: 1 } });
    const larger = buildWorld({ seed: 7, scale: { leagues: 2, seasons: 2 } });
    const seasonId = scaleLeagueIds({ leagues: 1, seasons: 1 })[0]?.seasonIds[0];
    const season = small.competitions.flatMap((competition) => competition.seasons).find((s) => s.id === seasonId);
    const sample = (season?.matches ?? []).slice(0, 40);
    expect(sample).toHaveLength(40);
    for (const match of sample) {
      const series = oddsSeriesOf(small, match.id);
      expect(series?.moves.length).toBeGreaterThan(0);
      expect(oddsSeriesOf(larger, match.id)).toEqual(series);
    }
    expect(small.plays?.simulated).toBe(0);
  });
});
