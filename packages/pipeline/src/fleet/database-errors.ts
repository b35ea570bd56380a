import { AppError } from '@matchflow/sources';

/**
 * How long a queue waits, fleet-wide, after one of its jobs found the database unreachable,
 * before jobs are taken again (no attempt spent; see toBullmqError).
 */
export const DATABASE_RETRY_MS = 1_000;

/** Socket-level failures (Node) and postgres.js connection errors: the server is away, not the query wrong. */
const CONNECTION_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

/**
 * SQLSTATEs a server sends while it goes away or comes back: 57P01 admin_shutdown (a restart or
 * `pg_terminate_backend`), 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up), 53300
 * too_many_connections; class 08 is "connection exception".
 */
const SERVER_AWAY_STATES: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03', '53300']);

/**
 * True when `error` (or anything in its `cause` chain: drizzle wraps driver errors in
 * DrizzleQueryError) says the database could not be reached or dropped the connection, rather
 * than that the statement failed. Such a failure says nothing about the job: it should wait for
 * the database, not spend its attempts in the seconds a restart or a network blip lasts.
 * Upstream failures are AppErrors (a reset upstream connection carries ECONNRESET in its cause
 * too): they keep their own handling, so the walk stops at the first AppError.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !(current instanceof AppError) && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_CODES.has(code) || SERVER_AWAY_STATES.has(code) || /^08/.test(code))) {
      return true;
    }
    current = current.cause;
  }
  return false;
}
