import { z } from 'zod';

/*
 * `GET event/{id}/odds/1/all`: the fields matchflow reads from a match's odds markets, and
 * nothing more (extra keys are fine). Shaped after the recorded response in
 * `shared/fixtures/sofascore/event_odds_1_all__tunjayoff.json`; docs/api-contract.md lists them.
 */

/**
 * A fractional price as Sofascore quotes it: `13/10`, `1/1`, `31/20` (whole numbers of at
 * least 1). The recordings show no `EVS` or decimal forms.
 */
export const FractionalPrice = z.string().regex(/^[1-9]\d*\/[1-9]\d*$/, 'expected a fraction like 13/10');

const SofascoreOddsChoice = z.looseObject({
  /** `1`, `X`, `2` in the full-time result market. */
  name: z.string().min(1),
  /** The market's opening price for this choice. */
  initialFractionalValue: FractionalPrice,
  /** The price now. */
  fractionalValue: FractionalPrice,
  /** Which way the price last moved: 1 lengthened, -1 shortened, 0 unchanged. */
  change: z.union([z.literal(-1), z.literal(0), z.literal(1)]),
});

const SofascoreOddsMarket = z.looseObject({
  /** 1 is the full-time result. */
  marketId: z.number().int(),
  marketName: z.string(),
  /** `1X2` for the full-time result. */
  marketGroup: z.string(),
  /** In-play prices (the market goes live at kick-off) rather than pre-match ones. */
  isLive: z.boolean(),
  suspended: z.boolean(),
  choices: z.array(SofascoreOddsChoice),
});

/** `GET event/{id}/odds/1/all` */
export const SofascoreOdds = z.looseObject({
  markets: z.array(SofascoreOddsMarket),
  /** The event the markets belong to; checked against the one asked for. */
  eventId: z.number().int().nonnegative(),
});
export type SofascoreOdds = z.output<typeof SofascoreOdds>;
