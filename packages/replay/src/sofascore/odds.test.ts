import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startReplay } from '../server.js';
import { shapeOf, shortfalls } from '../testing/shape.js';
import { buildWorld } from '../world/build-world.js';
import type { Match } from '../world/model.js';
import { type OddsMove, type OddsSeries, oddsSeriesOf } from '../world/odds.js';
import { endpointOf, handleApi } from './api.js';

const FIXTURES = fileURLToPath(new URL('../../../../../shared/fixtures/sofascore/', import.meta.url));
const haveFixtures = existsSync(FIXTURES);
if (!haveFixtures) console.info(`[replay odds] ${FIXTURES} not found: comparison with the recorded odds skipped`);

const world = buildWorld({ seed: 7 });
const matches = [...world.matches.values()];
const OUTCOMES = ['home', 'draw', 'away'] as const;
const NAMES = { home: '1', draw: 'X', away: '2' } as const;

interface Choice {
  initialFractionalValue: string;
  fractionalValue: string;
  sourceId: number;
  name: string;
  slipContent: string;
  change: number;
}
interface OddsBody {
  markets: Array<{ isLive: boolean; marketGroup: string; fid: number; choices: Choice[] }>;
  eventId: number;
}

function odds(match: Match, now: number) {
  return handleApi({ world, now, drift: undefined }, `/api/v1/event/${match.id}/odds/1/all`);
}

function seriesOf(match: Match): OddsSeries {
  const series = oddsSeriesOf(world, match.id);
  if (!series) throw new Error(`match ${match.id} has no odds series`);
  return series;
}

/** What a poll at `now` must show, given the series: opening, current and the change from the previous move. */
function expected(series: OddsSeries, index: number) {
  const current = series.moves[index] as OddsMove;
  const previous = series.moves[index - 1];
  return OUTCOMES.map((outcome) => ({
    name: NAMES[outcome],
    initialFractionalValue: series.moves[0]?.fractional[outcome],
    fractionalValue: current.fractional[outcome],
    change: previous ? Math.sign(current.decimal[outcome] - previous.decimal[outcome]) : 0,
  }));
}

function choicesOf(body: unknown) {
  const market = (body as OddsBody).markets[0];
  return market?.choices.map(({ name, initialFractionalValue, fractionalValue, change }) => ({
    name,
    initialFractionalValue,
    fractionalValue,
    change,
  }));
}

const played = matches.find((match) => match.season.competition.kind === 'league' && match.fate === 'played') as Match;

describe('event/{id}/odds/1/all', () => {
  it('answers 404 before the market opens and the opening line from the moment it opens', () => {
    const series = seriesOf(played);
    expect(odds(played, series.opensAt - 1).status).toBe(404);
    const opening = odds(played, series.opensAt);
    expect(opening).toMatchObject({ endpoint: 'event.odds', status: 200 });
    expect(choicesOf(opening.body)).toEqual(expected(series, 0));
    expect((opening.body as OddsBody).eventId).toBe(played.id);
    expect((opening.body as OddsBody).markets[0]).toMatchObject({ isLive: false, marketGroup: '1X2', marketId: 1 });
  });

  it('shows each move from its time on, with `change` against the move before, until the next move', () => {
    let seen = { up: 0, down: 0 };
    for (const match of matches.filter((candidate) => candidate.season.id === 50_003).slice(0, 10)) {
      const series = seriesOf(match);
      series.moves.forEach((move, index) => {
        const shown = choicesOf(odds(match, move.at).body);
        expect(shown).toEqual(expected(series, index));
        // Every move after the opening changes at least one price, and says so.
        expect(shown?.some((choice) => choice.change !== 0)).toBe(index > 0);
        const next = series.moves[index + 1];
        // The second before the next move still shows this one.
        if (next) expect(choicesOf(odds(match, next.at - 1).body)).toEqual(expected(series, index));
        for (const choice of expected(series, index)) {
          if (choice.change > 0) seen = { ...seen, up: seen.up + 1 };
          if (choice.change < 0) seen = { ...seen, down: seen.down + 1 };
        }
      });
    }
    expect(seen.up).toBeGreaterThan(0);
    expect(seen.down).toBeGreaterThan(0);
  });

  it('freezes at kick-off: the closing line during and long after the match', () => {
    const series = seriesOf(played);
    const closing = expected(series, series.moves.length - 1);
    for (const now of [series.kickoff, series.kickoff + 3_600, series.kickoff + 30 * 86_400]) {
      expect(choicesOf(odds(played, now).body)).toEqual(closing);
    }
  });

  it('quotes ids and bet-slip links consistently within a match', () => {
    const series = seriesOf(played);
    const body = odds(played, series.kickoff).body as OddsBody;
    const market = body.markets[0];
    for (const choice of market?.choices ?? []) {
      expect(choice.slipContent).toBe(`/?bs=${market?.fid}-${choice.sourceId}~${choice.fractionalValue}~10`);
    }
    expect(new Set(market?.choices.map((choice) => choice.sourceId)).size).toBe(3);
  });

  it('withdraws a cancelled match once the cancellation is known; no market for tennis or unknown ids', () => {
    const canceled = matches.find((match) => match.fate === 'canceled') as Match;
    const withdrawnAt = seriesOf(canceled).withdrawnAt as number;
    expect(odds(canceled, withdrawnAt - 1).status).toBe(200);
    expect(odds(canceled, withdrawnAt).status).toBe(404);
    expect(odds(canceled, canceled.startTimestamp + 3_600).status).toBe(404);
    const tennis = matches.find((match) => match.season.competition.sport === 'tennis') as Match;
    expect(odds(tennis, tennis.startTimestamp).status).toBe(404);
    expect(handleApi({ world, now: 0, drift: undefined }, '/api/v1/event/1/odds/1/all')).toMatchObject({
      endpoint: 'event.odds',
      status: 404,
    });
  });

  it('is counted per endpoint by the accounting', async () => {
    expect(endpointOf('/api/v1/event/12000001/odds/1/all')).toBe('event.odds');
    const replay = await startReplay({ port: 0, seed: 7, now: seriesOf(played).kickoff });
    try {
      expect((await fetch(`${replay.apiUrl}/event/${played.id}/odds/1/all`)).status).toBe(200);
      expect((await fetch(`${replay.apiUrl}/event/1/odds/1/all`)).status).toBe(404);
      expect(replay.accounting.snapshot().byEndpoint['event.odds']).toEqual({ '200': 1, '404': 1 });
    } finally {
      await replay.close();
    }
  });

  it.skipIf(!haveFixtures)('has the key structure of the recorded response', () => {
    const real = (JSON.parse(readFileSync(`${FIXTURES}event_odds_1_all__tunjayoff.json`, 'utf8')) as { body: unknown })
      .body;
    const replayed = odds(played, seriesOf(played).kickoff).body;
    // Both ways: every key path and type of the recording is in ours, and ours has nothing more.
    expect(shortfalls(shapeOf(real), shapeOf(replayed))).toEqual([]);
    expect(shortfalls(shapeOf(replayed), shapeOf(real))).toEqual([]);
  });
});
