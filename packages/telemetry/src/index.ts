export { type AlertEmail, alertEmail } from './alert-email.js';
export { type AlertNotification, type AlertSeverity, formatDuration } from './alert-notification.js';
export {
  type AlertChannel,
  type AlertDelivery,
  AlertSender,
  type AlertSenderOptions,
  alertLogLine,
  type ChannelDelivery,
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
export {
  PROCESS_REPORT_INTERVAL_MS,
  PROCESS_REPORT_TTL_INTERVALS,
  type ProcessReport,
  type ProcessReporter,
  type ProcessReporterOptions,
  type ProcessReportStore,
  parseProcessReport,
  processId,
  processReportKey,
  startProcessReporter,
} from './process-report.js';
