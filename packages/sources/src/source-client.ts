import type { SourceSettings } from '@matchflow/config';
import type { Logger } from '@matchflow/telemetry';
import type { Redis } from 'ioredis';
import { AppError, UpstreamBlocked, UpstreamPaused, UpstreamRateLimited, type UpstreamTarget } from './errors.js';
import { FleetBreaker as Breaker, type FleetBreaker, type Recorded } from './fleet/breaker.js';
import { FleetLimiter, LimiterWaitExceeded, type Priority } from './fleet/limiter.js';
import { SourceStats } from './fleet/stats.js';
import { classifyNetworkError, classifyResponse } from './http/classify.js';
import { HttpClient, type HttpResponse } from './http/client.js';

/** A successful answer, with what raw storage needs to keep it. */
export interface FetchedPayload {
  source: string;
  endpoint: string;
  url: string;
  status: number;
  fetchedAt: Date;
  /** The body as received (text), and parsed. */
  text: string;
  body: unknown;
  headers: Record<string, string>;
}

export interface SourceClientOptions {
  /** The source's config name (`sofascore`). */
  name: string;
  settings: SourceSettings;
  redis: Redis;
  /** Redis key namespace shared by the fleet (the BullMQ prefix). */
  prefix: string;
  logger: Logger;
  /**
   * Wait in place for a slot at most this long; beyond it, `fetch` throws `UpstreamPaused` so
   * the caller can park the job instead of holding a worker (default 5 s).
   */
  maxWaitMs?: number;
  /** Called when the upstream refuses us (403 challenge, 401): the alert hook. */
  onBlocked?: (error: UpstreamBlocked) => void;
}

export interface FetchOptions {
  priority?: Priority;
  signal?: AbortSignal;
}

/**
 * The only way matchflow talks to an upstream: every request passes the fleet-wide breaker
 * and limiter, and every outcome feeds them back (429 -> fleet pause, 403 -> breaker tripped
 * and an alert, 5xx/timeouts -> breaker failure, budget headers -> adaptive limit).
 */
export class SourceClient {
  readonly name: string;
  readonly limiter: FleetLimiter;
  readonly breaker: FleetBreaker;
  /** Fleet-wide request and wait counters in Redis (the dashboard's /metrics reads them). */
  readonly stats: SourceStats;
  private readonly http: HttpClient;
  private readonly logger: Logger;
  private readonly maxWaitMs: number;
  private readonly onBlocked: ((error: UpstreamBlocked) => void) | undefined;

  constructor(options: SourceClientOptions) {
    this.name = options.name;
    this.logger = options.logger.child({ source: options.name });
    this.maxWaitMs = options.maxWaitMs ?? 5_000;
    this.onBlocked = options.onBlocked;
    this.http = new HttpClient(options.settings, { connections: options.settings.rateLimit.maxConcurrent });
    this.limiter = new FleetLimiter({
      redis: options.redis,
      prefix: options.prefix,
      source: options.name,
      settings: options.settings.rateLimit,
    });
    this.breaker = new Breaker({
      redis: options.redis,
      prefix: options.prefix,
      source: options.name,
      settings: options.settings.breaker,
    });
    this.stats = new SourceStats({ redis: options.redis, prefix: options.prefix, source: options.name });
    this.breaker.on('transition', (transition) => {
      const log = transition.to === 'open' ? this.logger.warn.bind(this.logger) : this.logger.info.bind(this.logger);
      log({ from: transition.from, to: transition.to, reason: transition.reason }, 'circuit breaker changed state');
    });
  }

  /**
   * GET `path` and return the parsed JSON body.
   * @throws UpstreamPaused (wait, then retry), UpstreamRateLimited, UpstreamUnavailable,
   *   UpstreamBlocked, UpstreamNotFound, or AppError('internal') for a request we got wrong.
   */
  async fetch(endpoint: string, path: string, options: FetchOptions = {}): Promise<FetchedPayload> {
    const target: UpstreamTarget = { source: this.name, endpoint, url: path };
    const permission = await this.breaker.allow();
    if (!permission.allowed) {
      // Blocked (403 challenge): the source is stopped for the long blocked cooldown. Fail now
      // instead of parking the job for an hour: retrying makes a block worse (docs/operations.md),
      // and a queue rate-limited that long would hold every other source's jobs too.
      if (permission.reason === 'blocked') {
        throw new UpstreamBlocked(target, 403, 'challenge earlier: source stopped until the blocked cooldown ends');
      }
      this.stats.wait('breaker-open', permission.retryAfterMs);
      throw new UpstreamPaused(this.name, 'breaker-open', permission.retryAfterMs);
    }

    let grant: Awaited<ReturnType<FleetLimiter['acquire']>>;
    try {
      grant = await this.limiter.acquire({
        priority: options.priority,
        maxWaitMs: this.maxWaitMs,
        signal: options.signal,
        onWait: (reason, waitMs) => this.stats.wait(reason, waitMs),
      });
    } catch (error) {
      // The probe never went out: hand the half-open slot straight back.
      if (permission.probe) await this.breaker.releaseProbe(permission.token).catch(() => undefined);
      if (error instanceof LimiterWaitExceeded) {
        this.stats.wait(error.reason, error.waitMs);
        throw new UpstreamPaused(this.name, 'rate-limit-pause', error.waitMs);
      }
      throw error;
    }

    let response: HttpResponse;
    const fetchedAt = new Date();
    // When the request was written to the socket: the limiter counts it from then (plus a guard),
    // not from when its answer has been read, so a slow answer does not hold its place.
    let sentAtMs: number | undefined;
    const onSent = (atMs: number) => {
      sentAtMs = atMs;
    };
    try {
      response = await this.http.get(path, { signal: options.signal, onSent });
    } catch (error) {
      await grant.release({ sentAtMs });
      if (options.signal?.aborted) {
        // We gave up, the upstream did not fail: say nothing to the breaker.
        if (permission.probe) await this.breaker.releaseProbe(permission.token).catch(() => undefined);
        throw options.signal.reason;
      }
      this.stats.request('error');
      const recorded = await this.breaker.record(permission.token, 'failure');
      const failure = classifyNetworkError(error, target);
      this.logger.warn({ endpoint, err: failure }, 'upstream request failed');
      throw this.pausedIfOpen(recorded, failure);
    }
    // Released alongside what follows (one round trip to Redis for both on a pipelined
    // connection, not one after the other): a job's next request starts that much sooner.
    const released = grant.release({ sentAtMs });
    this.stats.request(response.status);
    target.url = response.url;
    const problem = classifyResponse(response, target, Date.now());
    if (!problem) {
      await Promise.all([
        released,
        this.observeBudgetHeaders(response),
        this.breaker.record(permission.token, 'success'),
      ]);
      return this.payload(endpoint, response, fetchedAt);
    }
    await Promise.all([released, this.observeBudgetHeaders(response)]);
    throw await this.react(problem, permission.token);
  }

  /**
   * A failure that found the breaker open (it opened it, it was a failed probe, or the breaker
   * opened while it was in flight) waits like every other job instead of spending an attempt:
   * otherwise an outage longer than a job's retry budget fails jobs one probe at a time
   * (DESIGN §4: while the breaker is open, jobs wait).
   */
  private pausedIfOpen(recorded: Recorded, failure: AppError): AppError {
    if (recorded.state === 'closed') return failure;
    const waitMs = Math.max(1, recorded.waitMs);
    this.stats.wait('breaker-open', waitMs);
    const paused = new UpstreamPaused(this.name, 'breaker-open', waitMs);
    paused.cause = failure;
    return paused;
  }

  private payload(endpoint: string, response: HttpResponse, fetchedAt: Date): FetchedPayload {
    let body: unknown;
    try {
      body = JSON.parse(response.text);
    } catch (error) {
      throw new AppError('contract-violation', `${this.name} ${endpoint} answered with a body that is not JSON`, {
        retryable: false,
        cause: error,
      });
    }
    return {
      source: this.name,
      endpoint,
      url: response.url,
      status: response.status,
      fetchedAt,
      text: response.text,
      body,
      headers: response.headers,
    };
  }

  /** Feed a failed answer back to the limiter and breaker; returns the error to raise. */
  private async react(problem: AppError, token: string): Promise<AppError> {
    if (problem instanceof UpstreamRateLimited) {
      await this.limiter.pause(problem.retryAfterMs);
      // A 429 says we were too fast, not that the upstream is failing.
      await this.breaker.record(token, 'success');
      this.logger.warn(
        { endpoint: problem.target.endpoint, retryAfterMs: problem.retryAfterMs },
        'upstream rate limited us: pausing the source fleet-wide',
      );
      return problem;
    }
    if (problem instanceof UpstreamBlocked) {
      await this.breaker.trip('blocked');
      this.logger.error(
        { endpoint: problem.target.endpoint, status: problem.status, err: problem },
        'upstream blocked us: source stopped',
      );
      this.onBlocked?.(problem);
      return problem;
    }
    if (problem.retryable) return this.pausedIfOpen(await this.breaker.record(token, 'failure'), problem);
    // 404 and our own mistakes say nothing about the upstream's health.
    await this.breaker.record(token, 'success');
    return problem;
  }

  /** football-data.org style headers: the tighter of its budget and ours wins. */
  private async observeBudgetHeaders(response: HttpResponse): Promise<void> {
    const remaining = response.headers['x-requests-available-minute'];
    const resetSec = response.headers['x-requestcounter-reset'];
    if (remaining === undefined || resetSec === undefined) return;
    const left = Number(remaining);
    const reset = Number(resetSec);
    if (Number.isFinite(left) && Number.isFinite(reset)) await this.limiter.observeUpstreamBudget(left, reset * 1000);
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
