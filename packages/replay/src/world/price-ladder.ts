/**
 * The fractional prices a bookmaker quotes: a fixed ladder, shortest first. A price is never
 * an arbitrary fraction (a fair 2.37 is quoted 11/8 or 7/5), which is why a book's overround
 * moves a little whenever a price is snapped to it. `31/20` is on it because the recorded
 * Sofascore market quotes it.
 */
const LADDER_TEXT = [
  '1/10',
  '1/9',
  '1/8',
  '2/15',
  '1/7',
  '2/13',
  '1/6',
  '2/11',
  '1/5',
  '2/9',
  '1/4',
  '2/7',
  '3/10',
  '1/3',
  '4/11',
  '2/5',
  '4/9',
  '1/2',
  '8/15',
  '4/7',
  '8/13',
  '4/6',
  '8/11',
  '4/5',
  '5/6',
  '10/11',
  '1/1',
  '21/20',
  '11/10',
  '6/5',
  '5/4',
  '13/10',
  '11/8',
  '7/5',
  '6/4',
  '31/20',
  '8/5',
  '13/8',
  '7/4',
  '9/5',
  '15/8',
  '2/1',
  '85/40',
  '11/5',
  '9/4',
  '12/5',
  '5/2',
  '13/5',
  '11/4',
  '3/1',
  '10/3',
  '7/2',
  '4/1',
  '9/2',
  '5/1',
  '11/2',
  '6/1',
  '13/2',
  '7/1',
  '15/2',
  '8/1',
  '17/2',
  '9/1',
  '10/1',
  '11/1',
  '12/1',
  '14/1',
  '16/1',
  '18/1',
  '20/1',
  '25/1',
  '33/1',
  '40/1',
  '50/1',
  '66/1',
  '80/1',
  '100/1',
] as const;

/** One rung of the ladder: the quoted fraction and its decimal price (stake included). */
export interface LadderPrice {
  fractional: string;
  decimal: number;
}

/** The ladder, shortest price first. */
export const PRICE_LADDER: readonly LadderPrice[] = LADDER_TEXT.map((fractional) => {
  const [numerator, denominator] = fractional.split('/').map(Number) as [number, number];
  // (n + d) / d is one correctly rounded division, the double nearest the price (1 + 4/6 is one ulp off).
  return { fractional, decimal: (numerator + denominator) / denominator };
});

/** Index of the rung whose decimal price is nearest `decimal` (ties go to the shorter price). */
export function nearestRung(decimal: number): number {
  let best = 0;
  for (const [index, rung] of PRICE_LADDER.entries()) {
    if (Math.abs(rung.decimal - decimal) < Math.abs((PRICE_LADDER[best] as LadderPrice).decimal - decimal)) {
      best = index;
    }
  }
  return best;
}
