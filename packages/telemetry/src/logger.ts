import { type LogLevel, maskUrlPassword, SECRET_KEYS, webhookOrigin } from '@matchflow/config';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export const REDACTION_CENSOR = '[redacted]';

/** HTTP headers that carry credentials, as they appear in `headers` objects. */
const SECRET_HEADERS = ['authorization', 'x-auth-token', 'cookie', 'set-cookie', 'proxy-authorization'];

/** How deep below the logged object a secret key is still found (`a.b.c.token`). */
const REDACTION_DEPTH = 4;

/**
 * Explicit redaction paths: every secret key name at the top level and up to REDACTION_DEPTH
 * levels below, plus credential headers under any `headers` object, plus every `url` (whose
 * password, if it has one, is masked: `{ redis: { url } }` as well as `{ url }`).
 */
export function redactionPaths(): string[] {
  const paths: string[] = [];
  for (let depth = 0; depth <= REDACTION_DEPTH; depth += 1) {
    const prefix = '*.'.repeat(depth);
    for (const key of SECRET_KEYS) paths.push(`${prefix}${key}`);
    for (const header of SECRET_HEADERS) paths.push(`${prefix}headers["${header}"]`);
    paths.push(`${prefix}url`);
  }
  return paths;
}

/**
 * What a redacted value becomes: a URL loses only its password, a webhook URL keeps its origin
 * (where alerts go), anything else goes entirely.
 */
function censor(value: unknown, path: string[]): unknown {
  const key = path.at(-1);
  if (key === 'url') return typeof value === 'string' ? maskUrlPassword(value) : value;
  if (key === 'webhookUrl' && typeof value === 'string') return webhookOrigin(value);
  return REDACTION_CENSOR;
}

export interface LoggerOptions {
  /** `worker`, `scheduler`, `dashboard`, `cli`, ... */
  service: string;
  level: LogLevel;
  /** Human-readable output (pino-pretty); only for a person at a terminal in dev. */
  pretty?: boolean;
  /** Where lines go; stdout when omitted. */
  destination?: DestinationStream;
  /** Fields on every line (e.g. `env`, `version`). */
  base?: Record<string, unknown>;
}

/** The process logger: JSON lines with ISO time, service name and secrets redacted. */
export function createLogger(options: LoggerOptions): Logger {
  const settings: pino.LoggerOptions = {
    level: options.level,
    base: { service: options.service, pid: process.pid, ...options.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: redactionPaths(), censor },
    serializers: {
      err: pino.stdSerializers.err,
      url: (value: unknown) => (typeof value === 'string' ? maskUrlPassword(value) : value),
    },
  };
  if (options.pretty && !options.destination) {
    return pino({ ...settings, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/** Pretty output only when a person is watching: dev environment and a terminal on stdout. */
export function wantsPrettyLogs(env: string, stdoutIsTty: boolean | undefined): boolean {
  return env === 'dev' && stdoutIsTty === true;
}

/** The parts of a BullMQ job a logger needs; kept structural so telemetry needs no BullMQ. */
export interface JobLike {
  queueName: string;
  name: string;
  id?: string | undefined;
  attemptsMade: number;
  data?: unknown;
}

/** A child logger for one job: `queue`, `job`, `jobId`, `attempt` (1-based) and `runId`. */
export function jobLogger(parent: Logger, job: JobLike): Logger {
  const runId =
    typeof job.data === 'object' && job.data !== null && 'runId' in job.data
      ? (job.data as { runId?: unknown }).runId
      : undefined;
  return parent.child({
    queue: job.queueName,
    job: job.name,
    jobId: job.id,
    attempt: job.attemptsMade + 1,
    ...(typeof runId === 'string' ? { runId } : {}),
  });
}
