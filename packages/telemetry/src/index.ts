export {
  type AlertDelivery,
  type AlertNotification,
  AlertSender,
  type AlertSenderOptions,
  type AlertSeverity,
  alertLogLine,
  formatDuration,
  type SlackPayload,
  slackPayload,
} from './alert-sender.js';
export {
  armFailpoints,
  disarmFailpoints,
  FAILPOINTS,
  type FailpointName,
  FailpointSpecError,
  failpoint,
} from './failpoints.js';
export { type Heartbeat, heartbeatPath, readHeartbeat, writeHeartbeat } from './heartbeat.js';
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
export { exitOnFatal, processLogger, stopOnSignals } from './process.js';
