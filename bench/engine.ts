import { performance } from 'node:perf_hooks';
import {
  DEFAULT_PARAMS,
  type EloMatch,
  type EloParams,
  matchColumns,
  outputColumns,
  rate,
  rateColumns,
  type StateColumns,
} from '@matchflow/ratings';

/** A deterministic league: `teams` sides, `matches` results, seasons of `perSeason` matches. */
function syntheticMatches(count: number, teams: number, perSeason: number): EloMatch[] {
  let seed = 42;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  return Array.from({ length: count }, (_unused, index) => {
    const home = Math.floor(next() * teams);
    const away = (home + 1 + Math.floor(next() * (teams - 1))) % teams;
    return {
      id: String(index),
      home: `team${home}`,
      away: `team${away}`,
      homeScore: Math.floor(next() * 4),
      awayScore: Math.floor(next() * 3),
      neutral: next() < 0.1,
      season: String(Math.floor(index / perSeason)),
    };
  });
}

export interface EngineFigures {
  model: string;
  matches: number;
  columnsMatchesPerSecond: number;
  objectsMatchesPerSecond: number;
}

/** Best of `repeats` timings of `work`, after a warm-up, as operations per second. */
function throughput(operations: number, repeats: number, work: () => void): number {
  for (let warm = 0; warm < 3; warm += 1) work();
  let best = Number.POSITIVE_INFINITY;
  for (let repeat = 0; repeat < repeats; repeat += 1) {
    const started = performance.now();
    work();
    best = Math.min(best, performance.now() - started);
  }
  return operations / (best / 1000);
}

const MODELS: Record<string, EloParams> = {
  'constant K': { ...DEFAULT_PARAMS },
  'K schedule, log-margin, home advantage, season regression': {
    ...DEFAULT_PARAMS,
    k: { a: 250, b: 5, c: 0.4 },
    homeAdvantage: 65,
    mov: { kind: 'log-margin', a: 2.2, b: 0.001 },
    seasonRegression: { fraction: 1 / 3, mean: 1505 },
  },
};

export function benchEngine(count = 1_000_000): EngineFigures[] {
  const matches = syntheticMatches(count, 400, 10_000);
  return Object.entries(MODELS).map(([model, params]) => {
    // The columns the engine rates: participants and seasons as integer slots.
    const columns = matchColumns(count);
    const slots = new Map<string, number>();
    const slot = (name: string) => {
      let value = slots.get(name);
      if (value === undefined) {
        value = slots.size;
        slots.set(name, value);
      }
      return value;
    };
    matches.forEach((match, index) => {
      columns.home[index] = slot(match.home);
      columns.away[index] = slot(match.away);
      columns.actual[index] = match.homeScore > match.awayScore ? 1 : match.homeScore < match.awayScore ? 0 : 0.5;
      columns.margin[index] = Math.abs(match.homeScore - match.awayScore);
      columns.neutral[index] = match.neutral ? 1 : 0;
      columns.season[index] = Number(match.season);
    });
    const out = outputColumns(count);
    const state = (): StateColumns => ({
      rating: new Float64Array(slots.size).fill(params.initial),
      games: new Float64Array(slots.size),
      season: new Int32Array(slots.size).fill(-1),
      lastMatch: new Int32Array(slots.size).fill(-1),
    });
    const columnsRate = throughput(count, 5, () => rateColumns(columns, params, state(), out));
    const objectsRate = throughput(count, 3, () => rate(matches, params));
    return { model, matches: count, columnsMatchesPerSecond: columnsRate, objectsMatchesPerSecond: objectsRate };
  });
}
