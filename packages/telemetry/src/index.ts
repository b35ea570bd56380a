export {
  createLogger,
  type JobLike,
  jobLogger,
  type Logger,
  type LoggerOptions,
  REDACTION_CENSOR,
  redactionPaths,
  wantsPrettyLogs,
} from './logger.js';
