/**
 * Errors are signals: the worker edge maps them to BullMQ behaviour by `code` and `retryable`
 * (not retryable -> fail the job now; rate-limited or paused -> wait without burning an
 * attempt; anything else retryable -> back off and retry).
 */
export type ErrorCode =
  | 'upstream-unavailable'
  | 'upstream-rate-limited'
  | 'upstream-paused'
  | 'upstream-blocked'
  | 'upstream-not-found'
  | 'contract-violation'
  | 'internal';

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable;
  }
}

/** Where an upstream error happened: which source, which resource. */
export interface UpstreamTarget {
  source: string;
  endpoint: string;
  url: string;
}

/** Timeouts, resets, 5xx: try again later. */
export class UpstreamUnavailable extends AppError {
  readonly target: UpstreamTarget;
  readonly status: number | undefined;

  constructor(target: UpstreamTarget, reason: string, status?: number, cause?: unknown) {
    super('upstream-unavailable', `${target.source} ${target.endpoint} unavailable: ${reason}`, {
      retryable: true,
      cause,
    });
    this.target = target;
    this.status = status;
  }
}

/** A 429: the whole fleet pauses the source for `retryAfterMs`. */
export class UpstreamRateLimited extends AppError {
  readonly target: UpstreamTarget;
  readonly retryAfterMs: number;

  constructor(target: UpstreamTarget, retryAfterMs: number) {
    super('upstream-rate-limited', `${target.source} ${target.endpoint} rate limited for ${retryAfterMs} ms`, {
      retryable: true,
    });
    this.target = target;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The source is paused fleet-wide (breaker open, or a 429's Retry-After in force): wait, don't retry. */
export class UpstreamPaused extends AppError {
  readonly source: string;
  readonly retryAfterMs: number;
  readonly reason: 'breaker-open' | 'rate-limit-pause';

  constructor(source: string, reason: UpstreamPaused['reason'], retryAfterMs: number) {
    super('upstream-paused', `${source} paused (${reason}) for ${retryAfterMs} ms`, { retryable: true });
    this.source = source;
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

/** 403 "challenge" or an authentication failure: stop the source and alert; retrying makes it worse. */
export class UpstreamBlocked extends AppError {
  readonly target: UpstreamTarget;
  readonly status: number;

  constructor(target: UpstreamTarget, status: number, detail: string) {
    super('upstream-blocked', `${target.source} refused us (${status} ${detail}) at ${target.endpoint}`, {
      retryable: false,
    });
    this.target = target;
    this.status = status;
  }
}

/** 404: the entity does not exist (or not yet). */
export class UpstreamNotFound extends AppError {
  readonly target: UpstreamTarget;

  constructor(target: UpstreamTarget) {
    super('upstream-not-found', `${target.source} has no ${target.endpoint} at ${target.url}`, { retryable: false });
    this.target = target;
  }
}

/** A payload that breaks its contract; the body is kept in raw as quarantined. */
export class ContractViolation extends AppError {
  readonly source: string;
  readonly endpoint: string;
  /** JSON path of the first offending value, e.g. `event.homeScore.current`. */
  readonly path: string;
  /** Every problem found, one line each (`path: expectation`). */
  readonly problems: readonly string[];

  constructor(source: string, endpoint: string, problems: ReadonlyArray<{ path: string; message: string }>) {
    const lines = problems.map((problem) => `${problem.path || '(body)'}: ${problem.message}`);
    super('contract-violation', `${source} ${endpoint} broke its contract: ${lines.join('; ')}`, { retryable: false });
    this.source = source;
    this.endpoint = endpoint;
    this.path = problems[0]?.path ?? '';
    this.problems = lines;
  }
}
