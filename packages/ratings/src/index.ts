export {
  cloneState,
  DEFAULT_PARAMS,
  type EloMatch,
  type EloParams,
  type EloState,
  type KSetting,
  type MarginOfVictory,
  movMultiplier,
  type ParticipantState,
  type RatedMatch,
  rate,
} from './engine.js';
