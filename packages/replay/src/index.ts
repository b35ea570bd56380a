export type { AccountingSnapshot } from './accounting.js';
export { parseInstant, SimulatedClock } from './clock.js';
export { ERROR_BODIES, FaultSettings, type FaultSettingsInput } from './faults.js';
export { DEFAULT_NOW, type ReplayOptions, type ReplayServer, startReplay } from './server.js';
export { EVENTS_PAGE_SIZE } from './sofascore/api.js';
export {
  INCOMPLETE_PROFILE_SHARE,
  OMITTABLE_PROFILE_FIELDS,
  type OmittableProfileField,
  type PlayerProfile,
  type PreferredFoot,
  playerProfileOf,
} from './sofascore/player.js';
export {
  buildWorld,
  DEMO_IDS,
  MAX_SCALE,
  SCALE_SEASON_MATCHES,
  type ScaleLeagueIds,
  scaleLeagueIds,
  scaleProblems,
  type World,
  type WorldScale,
} from './world/build-world.js';
export {
  fairProbabilities,
  LATE_PHASE_SEC,
  MARKET_OPENS_BEFORE_SEC,
  type OddsMove,
  type OddsSeries,
  type Outcomes,
  OVERROUND,
  oddsAt,
  oddsSeriesOf,
} from './world/odds.js';
