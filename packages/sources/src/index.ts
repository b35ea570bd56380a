export {
  FOOTBALL_DATA_PATHS,
  mapFootballDataCompetitions,
  mapFootballDataMatch,
  mapFootballDataMatches,
} from './adapters/football-data.js';
export {
  mapOpenfootballSeason,
  OPENFOOTBALL_ENDPOINTS,
  OPENFOOTBALL_PATHS,
  type OpenfootballSeasonOptions,
  openfootballTeamId,
} from './adapters/openfootball.js';
export {
  type MatchContext,
  mapSofascoreEvent,
  mapSofascoreEventsPage,
  mapSofascoreEventsPageTolerant,
  mapSofascoreIncidents,
  mapSofascoreLineups,
  mapSofascoreSeasons,
  mapSofascoreStatistics,
  type RejectedEvent,
  SOFASCORE_ENDPOINTS,
  SOFASCORE_PATHS,
} from './adapters/sofascore.js';
export { fractionalToDecimal, mapSofascoreOdds } from './adapters/sofascore-odds.js';
export { mapSofascorePlayer } from './adapters/sofascore-player.js';
export { type LocalDateTime, timeZoneOffsetMs, zonedTimeToUtc } from './adapters/zoned-time.js';
export type {
  CanonicalAppearance,
  CanonicalBatch,
  CanonicalCompetition,
  CanonicalIncident,
  CanonicalMatch,
  CanonicalOdds,
  CanonicalOddsChoice,
  CanonicalOddsMarket,
  CanonicalParticipant,
  CanonicalPlayerProfile,
  CanonicalSeason,
  CanonicalStatistic,
  IncidentKind,
  MatchStatus,
  PeriodScore,
  PriceChange,
  Score,
  Sport,
  StatusDetail,
} from './canonical.js';
export { emptyBatch } from './canonical.js';
export { jsonPath, parseContract } from './contracts/validate.js';
export {
  AppError,
  ContractViolation,
  type ErrorCode,
  UpstreamBlocked,
  UpstreamNotFound,
  UpstreamPaused,
  UpstreamRateLimited,
  type UpstreamTarget,
  UpstreamUnavailable,
} from './errors.js';
export {
  type BreakerSettings,
  type BreakerState,
  type BreakerStateName,
  FleetBreaker,
  type Permission,
  type Recorded,
  type Transition,
} from './fleet/breaker.js';
export {
  type AcquireOptions,
  type DenialReason,
  FleetLimiter,
  type Grant,
  type LimiterSettings,
  type LimiterState,
  LimiterWaitExceeded,
  type Priority,
  type ReleaseOptions,
} from './fleet/limiter.js';
export {
  readSourceStats,
  SourceStats,
  type SourceStatsSnapshot,
  STATS_TTL_MS,
  sourceStatsKeys,
  type WaitReason,
} from './fleet/stats.js';
export { classifyNetworkError, classifyResponse, DEFAULT_RATE_LIMIT_PAUSE_MS } from './http/classify.js';
export { credentialHeaders, type GetOptions, HttpClient, type HttpResponse, type HttpSettings } from './http/client.js';
export { parseRetryAfter } from './http/retry-after.js';
export { type FetchedPayload, type FetchOptions, SourceClient, type SourceClientOptions } from './source-client.js';
