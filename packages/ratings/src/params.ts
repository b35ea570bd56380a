import { DEFAULT_PARAMS, type EloParams } from './engine.js';

/**
 * Starting points for common sports (docs/ratings.md explains each and where it comes from).
 * Weight keys are the ones `ratings rate` and the pipeline give matches.
 */
export const PRESETS = {
  /** eloratings.net (World Football Elo): K 20 scaled 1x..3x by match importance, goal-difference table. */
  football: {
    initial: 1500,
    k: 20,
    homeAdvantage: 100,
    scale: 400,
    mov: { kind: 'goal-difference' },
    matchWeights: { friendly: 1, tournament: 1.5, qualifier: 2, continental: 2.5, 'world-cup': 3 },
  },
  /** FiveThirtyEight NFL Elo: K 20, log-margin with autocorrelation correction, 1/3 regression to 1505. */
  'american-football': {
    initial: 1500,
    k: 20,
    homeAdvantage: 65,
    scale: 400,
    mov: { kind: 'log-margin', a: 2.2, b: 0.001 },
    diffMultipliers: { playoff: 1.2 },
    seasonRegression: { fraction: 1 / 3, mean: 1505 },
  },
  /** FiveThirtyEight tennis Elo: K = 250 / (n + 5)^0.4 by matches played, no home side, walkovers skipped. */
  tennis: {
    initial: 1500,
    k: { a: 250, b: 5, c: 0.4 },
    homeAdvantage: 0,
    scale: 400,
    mov: { kind: 'none' },
    explicitResults: 'skip',
  },
} as const satisfies Record<string, EloParams>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** Parameters that do not describe a valid model; `path` names the offending key. */
export class ParamsError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'ParamsError';
  }
}

export const PARAMS_KEYS = [
  'preset',
  'initial',
  'initialRatings',
  'k',
  'homeAdvantage',
  'scale',
  'mov',
  'matchWeights',
  'diffMultipliers',
  'seasonRegression',
  'explicitResults',
] as const;

/**
 * Validates engine parameters from JSON (the `ratings rate --params` file, a pool in the config).
 * `preset` picks a starting point from {@link PRESETS}; the other keys override it (objects are
 * replaced, not merged). Keys left out take {@link DEFAULT_PARAMS}. Throws {@link ParamsError}.
 */
export function parseParams(input: unknown): EloParams {
  const raw = object(input, 'params');
  unknownKeys(raw, PARAMS_KEYS, '');
  let base: EloParams = { ...DEFAULT_PARAMS };
  if (raw.preset !== undefined) {
    if (typeof raw.preset !== 'string' || !(raw.preset in PRESETS)) {
      throw new ParamsError('preset', `must be one of ${PRESET_NAMES.join(', ')}`);
    }
    base = structuredClone(PRESETS[raw.preset as PresetName]) as EloParams;
  }
  const params: EloParams = { ...base };
  if (raw.initial !== undefined) params.initial = finite(raw.initial, 'initial');
  if (raw.initialRatings !== undefined) params.initialRatings = numberTable(raw.initialRatings, 'initialRatings');
  if (raw.k !== undefined) params.k = kSetting(raw.k);
  if (raw.homeAdvantage !== undefined) params.homeAdvantage = finite(raw.homeAdvantage, 'homeAdvantage');
  if (raw.scale !== undefined) params.scale = positive(raw.scale, 'scale');
  if (raw.mov !== undefined) params.mov = marginOfVictory(raw.mov);
  if (raw.matchWeights !== undefined) params.matchWeights = numberTable(raw.matchWeights, 'matchWeights', true);
  if (raw.diffMultipliers !== undefined) {
    params.diffMultipliers = numberTable(raw.diffMultipliers, 'diffMultipliers', true);
  }
  if (raw.seasonRegression !== undefined) params.seasonRegression = seasonRegression(raw.seasonRegression);
  if (raw.explicitResults !== undefined) {
    if (raw.explicitResults !== 'count' && raw.explicitResults !== 'skip') {
      throw new ParamsError('explicitResults', "must be 'count' or 'skip'");
    }
    params.explicitResults = raw.explicitResults;
  }
  return params;
}

function kSetting(value: unknown): EloParams['k'] {
  if (typeof value === 'number') return positive(value, 'k');
  const raw = object(value, 'k', 'a positive number or {a, b, c}');
  unknownKeys(raw, ['a', 'b', 'c'], 'k.');
  const k = { a: positive(raw.a, 'k.a'), b: finite(raw.b, 'k.b'), c: finite(raw.c, 'k.c') };
  if (k.b <= 0 && k.c !== 0) throw new ParamsError('k.b', 'must be positive (K would be infinite at 0 games)');
  return k;
}

function marginOfVictory(value: unknown): EloParams['mov'] {
  const raw = object(value, 'mov');
  switch (raw.kind) {
    case 'none':
    case 'goal-difference':
      unknownKeys(raw, ['kind'], 'mov.');
      return { kind: raw.kind };
    case 'log-margin':
      unknownKeys(raw, ['kind', 'a', 'b'], 'mov.');
      return { kind: 'log-margin', a: positive(raw.a, 'mov.a'), b: finite(raw.b, 'mov.b') };
    default:
      throw new ParamsError('mov.kind', "must be 'none', 'log-margin' or 'goal-difference'");
  }
}

function seasonRegression(value: unknown): NonNullable<EloParams['seasonRegression']> {
  const raw = object(value, 'seasonRegression');
  unknownKeys(raw, ['fraction', 'mean', 'overrides'], 'seasonRegression.');
  const fraction = finite(raw.fraction, 'seasonRegression.fraction');
  if (fraction < 0 || fraction > 1) throw new ParamsError('seasonRegression.fraction', 'must be between 0 and 1');
  const regression: NonNullable<EloParams['seasonRegression']> = { fraction };
  if (raw.mean !== undefined) regression.mean = finite(raw.mean, 'seasonRegression.mean');
  if (raw.overrides !== undefined) {
    const overrides = numberTable(raw.overrides, 'seasonRegression.overrides');
    for (const key of Object.keys(overrides)) {
      if (!/^.+\|.+$/.test(key)) {
        throw new ParamsError(`seasonRegression.overrides.${key}`, 'keys are "PARTICIPANT|SEASON"');
      }
    }
    regression.overrides = overrides;
  }
  return regression;
}

function object(value: unknown, path: string, what = 'an object'): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ParamsError(path, `must be ${what}`);
  }
  return value as Record<string, unknown>;
}

function unknownKeys(raw: Record<string, unknown>, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(raw)) {
    if (!known.includes(key))
      throw new ParamsError(`${prefix}${key}`, `unknown parameter (known: ${known.join(', ')})`);
  }
}

function finite(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ParamsError(path, 'must be a finite number');
  return value;
}

function positive(value: unknown, path: string): number {
  const number = finite(value, path);
  if (number <= 0) throw new ParamsError(path, 'must be positive');
  return number;
}

function numberTable(value: unknown, path: string, mustBePositive = false): Record<string, number> {
  const raw = object(value, path, 'an object of numbers');
  const table: Record<string, number> = {};
  for (const [key, entry] of Object.entries(raw)) {
    table[key] = mustBePositive ? positive(entry, `${path}.${key}`) : finite(entry, `${path}.${key}`);
  }
  return table;
}
