import { AppError, UpstreamPaused, UpstreamRateLimited } from '@matchflow/sources';
import { type Job, type Queue, RateLimitError, UnrecoverableError } from 'bullmq';

/**
 * The one place errors meet BullMQ (STYLE "Errors"):
 * - the source is paused (breaker open, 429 Retry-After): rate-limit the queue for that long
 *   and hand the job back without burning an attempt;
 * - not retryable (contract violation, blocked, not found, our own bug): fail now, no retries;
 * - anything else: rethrow, and BullMQ's backoff applies.
 */
export async function toBullmqError(error: unknown, queue: Pick<Queue, 'rateLimit'>): Promise<Error> {
  if (error instanceof UpstreamPaused || error instanceof UpstreamRateLimited) {
    await queue.rateLimit(Math.max(1, error.retryAfterMs));
    return new RateLimitError();
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
