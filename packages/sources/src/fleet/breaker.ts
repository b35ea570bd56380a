import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { LUA_NOW_MS, withScripts } from './scripts.js';

/**
 * Fleet-wide circuit breaker for one source, its state in Redis so every process sees the same:
 *
 *   closed --(N consecutive failures, or failure rate > R over the last W requests)--> open
 *   open --(cooldown over; exactly one caller fleet-wide becomes the probe)--> half-open
 *   half-open --(probe succeeds)--> closed;  --(probe fails)--> open again
 *   any --(403 challenge: we are blocked)--> open for the long blocked cooldown
 *
 * Decisions run as Lua on Redis' clock. A probe that never reports back (its process died)
 * is replaced after `probeTimeoutMs`. `openedAt` (first opened, kept through failed probes) and
 * `blockedAt` (first 403) stay until the breaker closes, for the alerts (docs/alerts.md).
 */

export type BreakerStateName = 'closed' | 'open' | 'half-open';

export interface BreakerSettings {
  consecutiveFailures: number;
  failureRate: number;
  windowRequests: number;
  cooldownMs: number;
  blockedCooldownMs: number;
}

export interface BreakerState {
  state: BreakerStateName;
  /** Why it last opened: `failures`, `failure-rate`, `probe-failed`, `blocked`. */
  reason: string | undefined;
  /** Until when it stays open (ms since epoch), when open. */
  openUntil: number | undefined;
  /** When it left `closed` (ms since epoch, Redis' clock), kept through failed probes; undefined when closed. */
  openedAt: number | undefined;
  /** When a 403 challenge first tripped it (ms since epoch), until it closes again; undefined otherwise. */
  blockedAt: number | undefined;
  consecutiveFailures: number;
  /** Failures / requests over the last `windowRequests` requests. */
  failureRate: number;
  windowSize: number;
}

export interface Transition {
  source: string;
  from: BreakerStateName;
  to: BreakerStateName;
  reason: string;
}

export type Permission =
  | { allowed: true; probe: boolean; token: string }
  | {
      allowed: false;
      retryAfterMs: number;
      state: BreakerStateName;
      /** Why it is open (`failures`, `failure-rate`, `probe-failed`, `blocked`); empty while a probe is out. */
      reason: string;
    };

/** What the breaker says after a request's outcome was recorded. */
export interface Recorded {
  /** The shared state now. */
  state: BreakerStateName;
  /** Until it lets a probe through (ms from now), when open; 0 otherwise. */
  waitMs: number;
}

const ALLOW = `${LUA_NOW_MS}
local key = KEYS[1]
local token, probeTimeoutMs = ARGV[1], tonumber(ARGV[2])
local state = redis.call('HGET', key, 'state') or 'closed'
if state == 'closed' then return {1, 0, 0, 'closed', ''} end
if state == 'open' then
  local openUntil = tonumber(redis.call('HGET', key, 'openUntil') or '0')
  if now < openUntil then return {0, 0, openUntil - now, 'open', '', redis.call('HGET', key, 'reason') or ''} end
  redis.call('HSET', key, 'state', 'half-open', 'probe', token, 'probeUntil', now + probeTimeoutMs)
  return {1, 1, 0, 'half-open', 'open>half-open'}
end
local probeUntil = tonumber(redis.call('HGET', key, 'probeUntil') or '0')
if now >= probeUntil then
  redis.call('HSET', key, 'probe', token, 'probeUntil', now + probeTimeoutMs)
  return {1, 1, 0, 'half-open', ''}
end
return {0, 0, math.min(1000, probeUntil - now), 'half-open', ''}
`;

const RECORD = `${LUA_NOW_MS}
local key, outcomes = KEYS[1], KEYS[2]
local token, failed = ARGV[1], ARGV[2] == '1'
local threshold, rate, windowSize, cooldownMs = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local state = redis.call('HGET', key, 'state') or 'closed'
redis.call('LPUSH', outcomes, failed and '1' or '0')
redis.call('LTRIM', outcomes, 0, windowSize - 1)
redis.call('PEXPIRE', outcomes, 86400000)
redis.call('PEXPIRE', key, 86400000 + cooldownMs)
local function open(reason, from)
  redis.call('HSET', key, 'state', 'open', 'openUntil', now + cooldownMs, 'reason', reason, 'probe', '', 'probeUntil', 0)
  if from == 'closed' or not redis.call('HGET', key, 'openedAt') then redis.call('HSET', key, 'openedAt', now) end
  return {from .. '>open', reason, 'open', cooldownMs}
end
local function unchanged()
  local openUntil = tonumber(redis.call('HGET', key, 'openUntil') or '0')
  return {'', '', state, state == 'open' and math.max(0, openUntil - now) or 0}
end
if not failed then
  redis.call('HSET', key, 'consecutive', 0)
  if state == 'half-open' and redis.call('HGET', key, 'probe') == token then
    redis.call('HSET', key, 'state', 'closed', 'reason', '', 'probe', '')
    redis.call('HDEL', key, 'openedAt', 'blockedAt')
    redis.call('DEL', outcomes)
    return {'half-open>closed', 'probe-succeeded', 'closed', 0}
  end
  return unchanged()
end
local consecutive = redis.call('HINCRBY', key, 'consecutive', 1)
if state == 'half-open' then
  if redis.call('HGET', key, 'probe') == token then return open('probe-failed', 'half-open') end
  return unchanged()
end
if state == 'open' then return unchanged() end
if consecutive >= threshold then return open('failures', 'closed') end
local seen = redis.call('LRANGE', outcomes, 0, -1)
if #seen >= windowSize then
  local failures = 0
  for _, value in ipairs(seen) do if value == '1' then failures = failures + 1 end end
  if failures / #seen > rate then return open('failure-rate', 'closed') end
end
return unchanged()
`;

const TRIP = `${LUA_NOW_MS}
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
redis.call('HSET', KEYS[1], 'state', 'open', 'openUntil', now + tonumber(ARGV[1]), 'reason', ARGV[2], 'probe', '', 'probeUntil', 0)
if state == 'closed' or not redis.call('HGET', KEYS[1], 'openedAt') then redis.call('HSET', KEYS[1], 'openedAt', now) end
if ARGV[2] == 'blocked' and (state == 'closed' or not redis.call('HGET', KEYS[1], 'blockedAt')) then
  redis.call('HSET', KEYS[1], 'blockedAt', now)
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) + 86400000)
return state
`;

/** The probe never went out: let the next caller probe instead of waiting for the timeout. */
const RELEASE_PROBE = `
if redis.call('HGET', KEYS[1], 'state') == 'half-open' and redis.call('HGET', KEYS[1], 'probe') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'probe', '', 'probeUntil', 0)
  return 1
end
return 0
`;

const READ = `${LUA_NOW_MS}
local fields = redis.call('HMGET', KEYS[1], 'state', 'openUntil', 'reason', 'consecutive', 'openedAt', 'blockedAt')
local seen = redis.call('LRANGE', KEYS[2], 0, -1)
local failures = 0
for _, value in ipairs(seen) do if value == '1' then failures = failures + 1 end end
return {fields[1] or 'closed', fields[2] or '0', fields[3] or '', fields[4] or '0', failures, #seen, now, fields[5] or '', fields[6] or ''}
`;

interface BreakerCommands {
  breakerAllow(
    key: string,
    token: string,
    probeTimeoutMs: number,
  ): Promise<[0 | 1, 0 | 1, number, BreakerStateName, string, string?]>;
  breakerRecord(...args: Array<string | number>): Promise<[string, string, BreakerStateName, number]>;
  breakerTrip(key: string, cooldownMs: number, reason: string): Promise<BreakerStateName>;
  breakerReleaseProbe(key: string, token: string): Promise<0 | 1>;
  breakerRead(
    key: string,
    outcomes: string,
  ): Promise<[string, string, string, string, number, number, number, string, string]>;
}

const BREAKER_SCRIPTS = {
  breakerAllow: { numberOfKeys: 1, lua: ALLOW },
  breakerRecord: { numberOfKeys: 2, lua: RECORD },
  breakerTrip: { numberOfKeys: 1, lua: TRIP },
  breakerReleaseProbe: { numberOfKeys: 1, lua: RELEASE_PROBE },
  breakerRead: { numberOfKeys: 2, lua: READ },
};

export interface BreakerOptions {
  redis: Redis;
  prefix: string;
  source: string;
  settings: BreakerSettings;
  /** A half-open probe that has not reported back after this long is replaced (default 30 s). */
  probeTimeoutMs?: number;
}

/** Emits `transition` (a `Transition`) whenever this process moved the shared state. */
export class FleetBreaker extends EventEmitter<{ transition: [Transition] }> {
  private readonly redis: Redis & BreakerCommands;
  private readonly key: string;
  private readonly outcomesKey: string;
  private readonly source: string;
  private readonly settings: BreakerSettings;
  private readonly probeTimeoutMs: number;

  constructor(options: BreakerOptions) {
    super();
    this.redis = withScripts<BreakerCommands>(options.redis, BREAKER_SCRIPTS);
    this.source = options.source;
    this.settings = options.settings;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 30_000;
    const base = `${options.prefix}:breaker:${options.source}`;
    this.key = `${base}:state`;
    this.outcomesKey = `${base}:outcomes`;
  }

  /** May a request go out now? When half-open, only the one fleet-wide probe may. */
  async allow(): Promise<Permission> {
    const token = randomUUID();
    const [allowed, probe, waitMs, state, transition, reason] = await this.redis.breakerAllow(
      this.key,
      token,
      this.probeTimeoutMs,
    );
    if (transition) this.announce(transition, 'cooldown-over');
    if (allowed === 1) return { allowed: true, probe: probe === 1, token };
    return { allowed: false, retryAfterMs: Math.max(1, waitMs), state, reason: reason ?? '' };
  }

  /** Report how the request that `allow()` let through went; returns the state it left. */
  async record(token: string, outcome: 'success' | 'failure'): Promise<Recorded> {
    const [transition, reason, state, waitMs] = await this.redis.breakerRecord(
      this.key,
      this.outcomesKey,
      token,
      outcome === 'failure' ? '1' : '0',
      this.settings.consecutiveFailures,
      this.settings.failureRate,
      this.settings.windowRequests,
      this.settings.cooldownMs,
    );
    if (transition) this.announce(transition, reason);
    return { state, waitMs: Number(waitMs) };
  }

  /** The request `allow()` let through as the probe was never sent: free the probe slot. */
  async releaseProbe(token: string): Promise<void> {
    await this.redis.breakerReleaseProbe(this.key, token);
  }

  /** Open at once (403 challenge): nothing goes out until the blocked cooldown is over. */
  async trip(reason = 'blocked', cooldownMs = this.settings.blockedCooldownMs): Promise<void> {
    const previous = await this.redis.breakerTrip(this.key, cooldownMs, reason);
    this.emit('transition', { source: this.source, from: previous, to: 'open', reason });
  }

  async state(): Promise<BreakerState> {
    const [state, openUntil, reason, consecutive, failures, seen, now, openedAt, blockedAt] =
      await this.redis.breakerRead(this.key, this.outcomesKey);
    const until = Number(openUntil);
    const notClosed = state !== 'closed';
    return {
      state: state as BreakerStateName,
      reason: reason || undefined,
      openUntil: state === 'open' && until > now ? until : undefined,
      openedAt: notClosed && openedAt ? Number(openedAt) : undefined,
      blockedAt: notClosed && blockedAt ? Number(blockedAt) : undefined,
      consecutiveFailures: Number(consecutive),
      failureRate: seen === 0 ? 0 : failures / seen,
      windowSize: seen,
    };
  }

  private announce(transition: string, reason: string): void {
    const [from, to] = transition.split('>') as [BreakerStateName, BreakerStateName];
    this.emit('transition', { source: this.source, from, to, reason });
  }
}
