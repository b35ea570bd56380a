import { ERROR_BODIES } from '../faults.js';
import type { World } from '../world/build-world.js';
import type { Match } from '../world/model.js';
import { type OddsMove, type Outcomes, oddsAt, oddsSeriesOfMatch } from '../world/odds.js';

/*
 * `event/{id}/odds/1/all`: the pre-match full-time result (1X2) market, shaped like the
 * recorded response (`shared/fixtures/sofascore/event_odds_1_all__tunjayoff.json`). Only the
 * pre-match market (`isLive: false`) is served; after kick-off it shows the closing line.
 */

/** Sofascore's choice names for the full-time result. */
const CHOICE_NAMES: Outcomes<string> = { home: '1', draw: 'X', away: '2' };
const OUTCOMES = ['home', 'draw', 'away'] as const;

/** Odds of one match at `now`: 404 for no market (not football, not open yet, withdrawn). */
export function answerOdds(world: World, eventId: number, now: number): { status: number; body: unknown } {
  const match = world.matches.get(eventId);
  const series = match ? oddsSeriesOfMatch(world.seed, match) : undefined;
  const state = series ? oddsAt(series, now) : undefined;
  if (!match || !state) return { status: 404, body: ERROR_BODIES[404] };
  return { status: 200, body: renderOdds(match, state) };
}

/**
 * The body for prices `current` (opened at `opening`, following `previous`). `change` says
 * which way each price last moved: 1 lengthened, -1 shortened, 0 unchanged (or just opened).
 */
export function renderOdds(
  match: Match,
  state: { opening: OddsMove; current: OddsMove; previous: OddsMove | undefined },
) {
  // Bookmaker ids, unique per match and choice; the ranges echo the recording's nine-digit ids.
  const fid = 200_000_000 + match.id;
  return {
    markets: [
      {
        structureType: 1,
        marketId: 1,
        marketName: 'Full time',
        isLive: false,
        fid,
        suspended: false,
        id: 400_000_000 + match.id,
        marketGroup: '1X2',
        marketPeriod: 'Full-time',
        choices: OUTCOMES.map((outcome, index) => {
          const sourceId = 100_000_000 + match.id * 3 + index;
          const fractionalValue = state.current.fractional[outcome];
          const previous = state.previous?.decimal[outcome] ?? state.current.decimal[outcome];
          return {
            initialFractionalValue: state.opening.fractional[outcome],
            fractionalValue,
            sourceId,
            name: CHOICE_NAMES[outcome],
            slipContent: `/?bs=${fid}-${sourceId}~${fractionalValue}~10`,
            change: Math.sign(state.current.decimal[outcome] - previous),
          };
        }),
      },
    ],
    eventId: match.id,
    liveStreamUrl: null,
  };
}
