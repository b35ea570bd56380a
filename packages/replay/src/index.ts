export type { AccountingSnapshot } from './accounting.js';
export { parseInstant, SimulatedClock } from './clock.js';
export { ERROR_BODIES, FaultSettings, type FaultSettingsInput } from './faults.js';
export { DEFAULT_NOW, type ReplayOptions, type ReplayServer, startReplay } from './server.js';
export { EVENTS_PAGE_SIZE } from './sofascore/api.js';
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
