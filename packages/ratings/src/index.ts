export { type Calibration, calibrate } from './calibration.js';
export {
  cloneState,
  DEFAULT_PARAMS,
  type EloMatch,
  type EloParams,
  type EloState,
  type KSetting,
  type MarginOfVictory,
  type MatchColumns,
  matchColumns,
  movMultiplier,
  type OutputColumns,
  outputColumns,
  type ParticipantState,
  type RatedMatch,
  rate,
  rateColumns,
  type SeasonOverride,
  type SeasonRegression,
  type StateColumns,
} from './engine.js';
export { PARAMS_KEYS, ParamsError, PRESET_NAMES, PRESETS, type PresetName, parseParams } from './params.js';
