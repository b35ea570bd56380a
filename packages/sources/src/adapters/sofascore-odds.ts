import type { CanonicalOdds } from '../canonical.js';
import { SofascoreOdds } from '../contracts/sofascore-odds.js';
import { parseContract } from '../contracts/validate.js';
import { ContractViolation } from '../errors.js';
import { type MatchContext, SOFASCORE_ENDPOINTS } from './sofascore.js';

const ODDS_ENDPOINT = SOFASCORE_ENDPOINTS.odds;
/** Whole numbers of at least 1 either side: a price of 0/1 would pay back only the stake. */
const FRACTION = /^([1-9]\d*)\/([1-9]\d*)$/;

/**
 * Decimal price (stake included) of a fractional one: `13/10` -> 2.3, `1/1` -> 2, `11/5` -> 3.2.
 *
 * @throws RangeError for anything but `<whole ≥ 1>/<whole ≥ 1>` (not `EVS`: no recording shows it).
 */
export function fractionalToDecimal(fraction: string): number {
  const parts = FRACTION.exec(fraction);
  if (!parts) throw new RangeError(`not a fractional price: '${fraction}'`);
  const numerator = Number(parts[1]);
  const denominator = Number(parts[2]);
  // One division, correctly rounded: the double nearest the true price (1 + 4/6 is one ulp off 10/6).
  return (numerator + denominator) / denominator;
}

/**
 * A match's odds markets (`event/{id}/odds/1/all`), prices as quoted and as decimals.
 *
 * @throws ContractViolation naming the path of every field that breaks the contract, or
 *   `eventId` when the body is about another match than `context.matchSourceId`.
 */
export function mapSofascoreOdds(
  body: unknown,
  context: Pick<MatchContext, 'source' | 'matchSourceId'>,
): CanonicalOdds {
  const odds = parseContract(SofascoreOdds, body, { source: context.source, endpoint: ODDS_ENDPOINT });
  // Stored under the match asked for: a body about another one would put its prices there.
  if (String(odds.eventId) !== context.matchSourceId) {
    throw new ContractViolation(context.source, ODDS_ENDPOINT, [
      { path: 'eventId', message: `expected ${context.matchSourceId}, got ${odds.eventId}` },
    ]);
  }
  return {
    source: context.source,
    matchSourceId: context.matchSourceId,
    markets: odds.markets.map((market) => ({
      marketId: market.marketId,
      marketName: market.marketName,
      marketGroup: market.marketGroup,
      isLive: market.isLive,
      suspended: market.suspended,
      choices: market.choices.map((choice) => ({
        name: choice.name,
        openingFractional: choice.initialFractionalValue,
        currentFractional: choice.fractionalValue,
        openingDecimal: fractionalToDecimal(choice.initialFractionalValue),
        currentDecimal: fractionalToDecimal(choice.fractionalValue),
        change: choice.change,
      })),
    })),
  };
}
