export { ConfigError, type ConfigIssue, formatIssues } from './errors.js';
export { type Config, type Env, formatPath, type LoadConfigOptions, loadConfig } from './load-config.js';
export {
  type ConfigSource,
  DEFAULT_CONFIG_FILE,
  EXIT_INVALID_CONFIG,
  type ExitingLoaderIo,
  loadConfigFromProcess,
  loadConfigOrExit,
  readConfigSource,
} from './load-from-process.js';
export { maskUrlPassword, REDACTED, redactConfig, SECRET_KEYS, webhookOrigin } from './redact.js';
export { dueTimesBetween, nextDue, parseSchedule, previousDue, type ScheduleSpec } from './schedule.js';
export {
  type CompetitionSettings,
  ConfigSchema,
  EmailAlertSettings,
  Environment,
  LogLevel,
  MissedRunPolicy,
  parseDuration,
  QUALITY_CHECKS,
  type QualityCheckName,
  RATING_PRESETS,
  type RatingPoolSettings,
  SourceKind,
  type SourceSettings,
  StageSettings,
} from './schema.js';
