/** How well pre-match expected scores predicted results: lower is better for both scores. */
export interface Calibration {
  matches: number;
  /** Mean of (expected - actual)^2; 0.25 is what always predicting 0.5 scores. */
  brier: number;
  /** Mean cross-entropy of the actual score under the expected score, in nats; ln 2 for always 0.5. */
  logLoss: number;
}

/** Expected scores are clamped away from 0 and 1 so a certain-but-wrong forecast stays finite. */
const EPSILON = 1e-15;

/**
 * Brier score and log loss of expected (home) scores against actual ones (1, 0.5, 0; a draw
 * counts as half a win, so log loss is the cross-entropy with a 0.5 target). Summed in input
 * order, so the same matches give the same figures.
 */
export function calibrate(
  matches: Iterable<{ expectedHome: number; actualHome: number; counted?: boolean }>,
): Calibration {
  let count = 0;
  let squared = 0;
  let entropy = 0;
  for (const { expectedHome, actualHome, counted } of matches) {
    if (counted === false) continue;
    const expected = Math.min(Math.max(expectedHome, EPSILON), 1 - EPSILON);
    squared += (expectedHome - actualHome) ** 2;
    entropy -= actualHome * Math.log(expected) + (1 - actualHome) * Math.log(1 - expected);
    count += 1;
  }
  return count === 0
    ? { matches: 0, brier: Number.NaN, logLoss: Number.NaN }
    : { matches: count, brier: squared / count, logLoss: entropy / count };
}
