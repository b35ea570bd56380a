import { InvalidJobPayload } from '@matchflow/queues';
import { AppError, UpstreamPaused, UpstreamRateLimited } from '@matchflow/sources';
import type { Logger } from '@matchflow/telemetry';
import { type Job, type Queue, RateLimitError, UnrecoverableError } from 'bullmq';
import { DATABASE_RETRY_MS, isDatabaseUnavailable } from './database-errors.js';

/**
 * The one place errors meet BullMQ (STYLE "Errors"):
 * - the source is paused (breaker open, 429 Retry-After): rate-limit the queue for that long
 *   and hand the job back without burning an attempt;
 * - the database is unreachable or dropped the connection (isDatabaseUnavailable): the same,
 *   for DATABASE_RETRY_MS;
 * - not retryable (contract violation, blocked, not found, our own bug) or an invalid job
 *   payload (checkJobPayload): fail now, no retries;
 * - anything else: rethrow, and BullMQ's backoff applies.
 */
export async function toBullmqError(
  error: unknown,
  queue: Pick<Queue, 'rateLimit'>,
  log?: Pick<Logger, 'warn'>,
): Promise<Error> {
  if (error instanceof UpstreamPaused || error instanceof UpstreamRateLimited) {
    await queue.rateLimit(Math.max(1, error.retryAfterMs));
    return new RateLimitError();
  }
  if (isDatabaseUnavailable(error)) {
    // The database is restarting or the network dropped: every job needing it would fail the
    // same way. Hold the queue briefly, fleet-wide, and hand the job back without burning an
    // attempt, so an outage of any length costs no job its retries (like an upstream pause).
    log?.warn({ err: error, retryInMs: DATABASE_RETRY_MS }, 'database unavailable: job handed back');
    await queue.rateLimit(DATABASE_RETRY_MS);
    // BullMQ recognises a rate limit by this error's default message: keep it.
    return new RateLimitError();
  }
  if (error instanceof InvalidJobPayload) {
    // The same payload fails the same way on every attempt.
    const failure = new UnrecoverableError(error.message);
    failure.cause = error;
    return failure;
  }
  if (error instanceof AppError && !error.retryable) {
    const failure = new UnrecoverableError(`${error.code}: ${error.message}`);
    failure.cause = error;
    return failure;
  }
  if (error instanceof Error) return error;
  return new Error(String(error), { cause: error });
}

/** True when this failure is the job's last: it will not be retried. */
export function isFinalFailure(job: Pick<Job, 'attemptsMade' | 'opts'>, error: unknown): boolean {
  if (error instanceof UnrecoverableError) return true;
  if (error instanceof RateLimitError) return false;
  return job.attemptsMade >= (job.opts.attempts ?? 1);
}

/** True when a job failed because its payload was invalid (see checkJobPayload). */
export function isInvalidPayloadFailure(error: unknown): boolean {
  return error instanceof InvalidJobPayload || (error instanceof Error && error.cause instanceof InvalidJobPayload);
}
