import { z } from 'zod';
import { Random } from './world/random.js';

/** Fault knobs; every field optional, absent means off. */
export const FaultSettings = z.strictObject({
  /** Token bucket over all API requests: refills `ratePerSec`, holds `burst`; empty -> 429 + Retry-After. */
  rateLimit: z.strictObject({ ratePerSec: z.number().positive(), burst: z.number().int().positive() }).optional(),
  /**
   * football-data.org style quota: `limit` requests per fixed window of `windowSec`; over it,
   * 429 with Retry-After. With `headers`, every answer reports X-Requests-Available-Minute and
   * X-RequestCounter-Reset (seconds to the window's end), as that upstream does.
   */
  quota: z
    .strictObject({
      limit: z.number().int().positive(),
      windowSec: z.number().positive().default(60),
      headers: z.boolean().default(true),
    })
    .optional(),
  /** Share of requests answered with a server error instead of the real response. */
  errorRate: z.number().min(0).max(1).optional(),
  errorStatus: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]).optional(),
  /** Delay before answering: `baseMs` plus uniform jitter up to `jitterMs`. */
  latency: z
    .strictObject({ baseMs: z.number().int().nonnegative(), jitterMs: z.number().int().nonnegative().default(0) })
    .optional(),
  /** Every request fails: `503` answers Service Unavailable, `reset` drops the connection. Ends after `durationMs` if given. */
  outage: z
    .strictObject({ mode: z.enum(['503', 'reset']), durationMs: z.number().int().positive().optional() })
    .optional(),
  /** Answer every request with Sofascore's 403 "challenge" (a blocked client). */
  block: z.boolean().optional(),
  /** Break the contract for these events: drop `status` (`missing-field`) or make `startTimestamp` a string (`wrong-type`). */
  drift: z
    .strictObject({ eventIds: z.array(z.number().int()).min(1), mode: z.enum(['missing-field', 'wrong-type']) })
    .optional(),
  /** Send bodies slowly: in `chunks` pieces spread over `totalMs`. */
  slowBody: z
    .strictObject({ totalMs: z.number().int().positive(), chunks: z.number().int().min(2).default(10) })
    .optional(),
});
export type FaultSettings = z.output<typeof FaultSettings>;
export type FaultSettingsInput = z.input<typeof FaultSettings>;

export type FaultDecision =
  | { kind: 'reset' }
  | { kind: 'respond'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'pass'; delayMs: number; headers?: Record<string, string> };

export const ERROR_BODIES = {
  403: { error: { code: 403, reason: 'challenge' } },
  404: { error: { code: 404, message: 'Not Found' } },
  429: { error: { code: 429, message: 'Too Many Requests' } },
  500: { error: { code: 500, message: 'Internal Server Error' } },
  502: { error: { code: 502, message: 'Bad Gateway' } },
  503: { error: { code: 503, message: 'Service Unavailable' } },
  504: { error: { code: 504, message: 'Gateway Timeout' } },
} as const;

/**
 * Applies the fault settings to each request, in a fixed order: outage, block, rate limit,
 * random errors, latency. Its randomness is seeded, so a test sees the same sequence each run.
 */
export class Faults {
  private settings: FaultSettings = {};
  private outageEndsAt: number | undefined;
  private tokens = 0;
  private quotaWindow = { index: -1, used: 0 };
  private refilledAt = 0;
  private readonly random: Random;
  private readonly clock: () => number;

  constructor(seed: number, clock: () => number = () => performance.now()) {
    this.random = Random.from(seed, 'faults');
    this.clock = clock;
  }

  get current(): FaultSettings {
    return structuredClone(this.settings);
  }

  /** Replace all settings (validated). */
  set(input: unknown): FaultSettings {
    const settings = FaultSettings.parse(input);
    this.settings = settings;
    this.outageEndsAt = settings.outage?.durationMs ? this.clock() + settings.outage.durationMs : undefined;
    if (settings.rateLimit) {
      this.tokens = settings.rateLimit.burst;
      this.refilledAt = this.clock();
    }
    this.quotaWindow = { index: -1, used: 0 };
    return this.current;
  }

  /** Merge into the current settings; `null` for a key turns that fault off. */
  merge(input: unknown): FaultSettings {
    const patch = z.record(z.string(), z.unknown()).parse(input);
    const next: Record<string, unknown> = { ...this.settings };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete next[key];
      else next[key] = value;
    }
    return this.set(next);
  }

  decide(): FaultDecision {
    const settings = this.settings;
    const now = this.clock();
    if (settings.outage && (this.outageEndsAt === undefined || now < this.outageEndsAt)) {
      return settings.outage.mode === 'reset'
        ? { kind: 'reset' }
        : { kind: 'respond', status: 503, body: ERROR_BODIES[503] };
    }
    if (settings.block) return { kind: 'respond', status: 403, body: ERROR_BODIES[403] };
    if (settings.rateLimit) {
      const { ratePerSec, burst } = settings.rateLimit;
      this.tokens = Math.min(burst, this.tokens + ((now - this.refilledAt) / 1000) * ratePerSec);
      this.refilledAt = now;
      if (this.tokens < 1) {
        const retryAfterSec = Math.max(1, Math.ceil((1 - this.tokens) / ratePerSec));
        return {
          kind: 'respond',
          status: 429,
          body: ERROR_BODIES[429],
          headers: { 'retry-after': String(retryAfterSec) },
        };
      }
      this.tokens -= 1;
    }
    let quotaHeaders: Record<string, string> | undefined;
    if (settings.quota) {
      const windowMs = settings.quota.windowSec * 1000;
      const index = Math.floor(now / windowMs);
      if (index !== this.quotaWindow.index) this.quotaWindow = { index, used: 0 };
      const resetSec = Math.max(1, Math.ceil(((index + 1) * windowMs - now) / 1000));
      const over = this.quotaWindow.used >= settings.quota.limit;
      if (!over) this.quotaWindow.used += 1;
      quotaHeaders = settings.quota.headers
        ? {
            'x-requests-available-minute': String(settings.quota.limit - this.quotaWindow.used),
            'x-requestcounter-reset': String(resetSec),
          }
        : undefined;
      if (over) {
        return {
          kind: 'respond',
          status: 429,
          body: ERROR_BODIES[429],
          headers: { ...quotaHeaders, 'retry-after': String(resetSec) },
        };
      }
    }
    if (settings.errorRate && this.random.chance(settings.errorRate)) {
      const status = settings.errorStatus ?? 500;
      return { kind: 'respond', status, body: ERROR_BODIES[status] };
    }
    const latency = settings.latency;
    const delayMs = latency ? latency.baseMs + Math.floor(this.random.next() * (latency.jitterMs + 1)) : 0;
    return quotaHeaders ? { kind: 'pass', delayMs, headers: quotaHeaders } : { kind: 'pass', delayMs };
  }

  /** Ids whose event bodies break their contract, and how. */
  drift(): FaultSettings['drift'] {
    return this.settings.drift;
  }

  slowBody(): FaultSettings['slowBody'] {
    return this.settings.slowBody;
  }
}
