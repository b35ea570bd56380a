import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { LUA_NOW_MS, withScripts } from './scripts.js';

/**
 * Fleet-wide rate limiter for one source, shared by every process through Redis.
 *
 * One Lua script decides each request atomically, on Redis' own clock (so process clocks do not
 * matter): a sliding-window log enforces "at most N per interval" over every window — a request
 * counts from its grant until one interval after it was sent (the moment this process wrote it
 * to the socket, carried to Redis' clock at release, plus a guard for the one-way delay; its
 * release when the send time is unknown), so however late a busy process actually sends it, it
 * is counted wherever it reaches the upstream, and a slow answer no longer holds its place;
 * leases cap concurrency (and expire, so a crashed holder cannot leak capacity), a pause key
 * holds the whole fleet during a 429's Retry-After, an upstream-reported budget is obeyed when
 * tighter, and backfill traffic may take only its share while scheduled work is waiting.
 * Every key carries a TTL and the script treats a missing key as empty, so expiry, a Redis
 * restart or a dropped client never wedge it. docs/adr/0001-rate-limiter.md has the reasoning.
 */

export type Priority = 'scheduled' | 'backfill';

export interface LimiterSettings {
  requestsPerInterval: number;
  intervalMs: number;
  maxConcurrent: number;
  /** Most of the budget backfill may use while scheduled work waits (0..1). */
  backfillShare: number;
  /**
   * When set, a finished request starts its last interval in the window at its measured send
   * time plus this (the spread of one-way delay to the upstream's counter across the fleet);
   * unset, at its release, which holds whatever the upstream does.
   */
  sendGuardMs?: number | undefined;
}

export interface LimiterOptions {
  redis: Redis;
  /** Key namespace, e.g. the BullMQ prefix `{matchflow}`. */
  prefix: string;
  source: string;
  settings: LimiterSettings;
  /** A lease outlives a request by at most this long if its holder dies (default 60 s). */
  leaseMs?: number;
  /**
   * Extra width added to the window, as a share of the interval (default 0.002). The send time
   * plus `sendGuardMs` (or the release) already bounds when a request reached the upstream and
   * stamps are rounded towards later; this only absorbs the two clocks running at slightly
   * different rates (NTP slews at most 500 ppm each).
   */
  guardShare?: number;
}

export interface ReleaseOptions {
  /**
   * `performance.now()` (ms, this process) just after the request was written to the socket,
   * if it was. Its window entry then counts from that moment plus `sendGuardMs` instead of from
   * the release; unknown (never sent, failed before the write) means from the release.
   */
  sentAtMs?: number | undefined;
}

export type DenialReason = 'paused' | 'budget' | 'upstream-budget' | 'reserved' | 'concurrency';

export interface Grant {
  id: string;
  /** `performance.now()` (ms) when the grant reached this process: nothing was sent before it. */
  grantedAtMs: number;
  /**
   * Give the concurrency slot back and start the request's last interval in the window, from
   * its send time when given, else from now. Safe to call twice: the second call does nothing.
   */
  release(options?: ReleaseOptions): Promise<void>;
}

export interface LimiterState {
  inWindow: number;
  inFlight: number;
  pausedForMs: number;
  upstreamRemaining: number | undefined;
  upstreamResetInMs: number | undefined;
}

const ACQUIRE = `
local window, backfillWindow, leases, pauseKey, upstream, waiters = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local id, limit, interval, maxConcurrent, leaseMs, priority, share =
  ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
${LUA_NOW_MS}
local function waiting(reason, waitMs)
  waitMs = math.max(1, math.floor(waitMs))
  if priority == 'scheduled' then
    -- The mark must outlive the caller's sleep (and a busy event loop) until it asks again.
    redis.call('ZADD', waiters, now + waitMs + interval, id)
    redis.call('PEXPIRE', waiters, waitMs + interval * 2)
  end
  return {0, waitMs, reason}
end

-- Window entries are scored with the time their last interval starts from: an in-flight
-- request counts until it is released (its score is its lease expiry), a finished one for a
-- whole interval after it was sent (plus the guard) or, send time unknown, after its release.
-- So a request that leaves late still counts where it lands. An entry is dropped once
-- score < now - interval: the first millisecond it is gone is score + interval + 1.
local function nextFreeing(key)
  local stamped = redis.call('ZRANGEBYSCORE', key, '-inf', now, 'WITHSCORES', 'LIMIT', 0, 1)
  if stamped[2] then return tonumber(stamped[2]) + interval + 1 - now end
  return 10
end

local pausedUntil = tonumber(redis.call('GET', pauseKey) or '0')
if pausedUntil > now then return waiting('paused', pausedUntil - now) end

redis.call('ZREMRANGEBYSCORE', window, '-inf', '(' .. (now - interval))
redis.call('ZREMRANGEBYSCORE', backfillWindow, '-inf', '(' .. (now - interval))
redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
redis.call('ZREMRANGEBYSCORE', waiters, '-inf', now)

local remaining = tonumber(redis.call('HGET', upstream, 'remaining') or '')
local resetAt = tonumber(redis.call('HGET', upstream, 'resetAt') or '0')
if remaining ~= nil and resetAt > now and remaining <= 0 then
  return waiting('upstream-budget', resetAt - now)
end

if redis.call('ZCARD', window) >= limit then
  return waiting('budget', nextFreeing(window))
end

if priority == 'backfill' and redis.call('ZCARD', waiters) > 0 then
  if redis.call('ZCARD', backfillWindow) >= math.floor(limit * share) then
    return {0, math.max(1, math.floor(nextFreeing(backfillWindow))), 'reserved'}
  end
end

if redis.call('ZCARD', leases) >= maxConcurrent then
  local soonest = redis.call('ZRANGE', leases, 0, 0, 'WITHSCORES')
  return waiting('concurrency', math.min(25, tonumber(soonest[2]) - now))
end

redis.call('ZADD', window, now + leaseMs, id)
redis.call('PEXPIRE', window, leaseMs + interval * 2)
if priority == 'backfill' then
  redis.call('ZADD', backfillWindow, now + leaseMs, id)
  redis.call('PEXPIRE', backfillWindow, leaseMs + interval * 2)
end
redis.call('ZADD', leases, now + leaseMs, id)
redis.call('PEXPIRE', leases, leaseMs * 2)
redis.call('ZREM', waiters, id)
if remaining ~= nil and resetAt > now then redis.call('HINCRBY', upstream, 'remaining', -1) end
return {1, 0, 'granted'}
`;

/**
 * The request is done: free its concurrency slot and give its window entry the time its last
 * interval starts from. ARGV[2] is how long ago (whole ms, rounded down) the process wrote the
 * request, measured on its own monotonic clock just before this call, or -1 if unknown; ARGV[3]
 * the send guard. `now - sentAgo` is on Redis' clock and not before the real write: the
 * process measured `sentAgo` before this script ran, so any delay since only moves it later;
 * the + 1 covers `now` being rounded down. Never later than the release.
 */
const RELEASE = `${LUA_NOW_MS}
local sentAgo, guard = tonumber(ARGV[2]), tonumber(ARGV[3])
local stamp = now
if sentAgo >= 0 then stamp = math.min(now, now + 1 - sentAgo + guard) end
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[1], 'XX', stamp, ARGV[1])
redis.call('ZADD', KEYS[2], 'XX', stamp, ARGV[1])
return stamp
`;

const PAUSE = `${LUA_NOW_MS}
local untilMs = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current then redis.call('SET', KEYS[1], untilMs, 'PX', tonumber(ARGV[1])) end
return untilMs
`;

const OBSERVE_UPSTREAM = `${LUA_NOW_MS}
local resetInMs = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'remaining', ARGV[1], 'resetAt', now + resetInMs)
redis.call('PEXPIRE', KEYS[1], resetInMs + 1000)
return 1
`;

const STATE = `${LUA_NOW_MS}
local interval = tonumber(ARGV[1])
local inWindow = redis.call('ZCOUNT', KEYS[1], now - interval, '+inf')  -- in flight ones score in the future
local inFlight = redis.call('ZCOUNT', KEYS[3], now, '+inf')
local pausedUntil = tonumber(redis.call('GET', KEYS[4]) or '0')
local remaining = redis.call('HGET', KEYS[5], 'remaining')
local resetAt = tonumber(redis.call('HGET', KEYS[5], 'resetAt') or '0')
local resetIn = -1
if resetAt > now then resetIn = resetAt - now else remaining = false end
return {inWindow, inFlight, math.max(0, pausedUntil - now), remaining or -1, resetIn}
`;

type AcquireReply = [0 | 1, number, DenialReason | 'granted'];

interface LimiterCommands {
  limiterAcquire(...args: Array<string | number>): Promise<AcquireReply>;
  limiterRelease(
    window: string,
    backfill: string,
    leases: string,
    id: string,
    sentAgoMs: number,
    sendGuardMs: number,
  ): Promise<number>;
  limiterPause(key: string, ms: number): Promise<number>;
  limiterObserve(key: string, remaining: number, resetInMs: number): Promise<number>;
  limiterState(...args: Array<string | number>): Promise<[number, number, number, number | string, number]>;
}

const LIMITER_SCRIPTS = {
  limiterAcquire: { numberOfKeys: 6, lua: ACQUIRE },
  limiterRelease: { numberOfKeys: 3, lua: RELEASE },
  limiterPause: { numberOfKeys: 1, lua: PAUSE },
  limiterObserve: { numberOfKeys: 1, lua: OBSERVE_UPSTREAM },
  limiterState: { numberOfKeys: 5, lua: STATE },
};

export interface AcquireOptions {
  priority?: Priority;
  /** Give up (throw `LimiterWaitExceeded`) rather than wait longer than this in one go. */
  maxWaitMs?: number;
  signal?: AbortSignal;
  /** Called each time the caller is told to wait in place (for fleet-wide wait counters). */
  onWait?: (reason: DenialReason, waitMs: number) => void;
}

/** The next slot is further away than the caller is willing to wait. */
export class LimiterWaitExceeded extends Error {
  constructor(
    readonly reason: DenialReason,
    readonly waitMs: number,
  ) {
    super(`limiter: next slot in ${waitMs} ms (${reason})`);
    this.name = 'LimiterWaitExceeded';
  }
}

export class FleetLimiter {
  private readonly redis: Redis & LimiterCommands;
  private readonly keys: {
    window: string;
    backfill: string;
    leases: string;
    pause: string;
    upstream: string;
    waiters: string;
  };
  private readonly settings: LimiterSettings;
  private readonly leaseMs: number;
  private readonly windowMs: number;
  private readonly sendGuardMs: number | undefined;

  constructor(options: LimiterOptions) {
    this.redis = withScripts<LimiterCommands>(options.redis, LIMITER_SCRIPTS);
    this.settings = options.settings;
    this.leaseMs = options.leaseMs ?? 60_000;
    const { sendGuardMs } = options.settings;
    this.sendGuardMs = sendGuardMs === undefined ? undefined : Math.max(0, Math.ceil(sendGuardMs));
    // Release stamps are rounded down to Redis' millisecond: 1% absorbs it, as it always has.
    const guardShare = options.guardShare ?? (this.sendGuardMs === undefined ? 0.01 : 0.002);
    this.windowMs = Math.ceil(options.settings.intervalMs * (1 + guardShare));
    const base = `${options.prefix}:limiter:${options.source}`;
    this.keys = {
      window: `${base}:window`,
      backfill: `${base}:backfill`,
      leases: `${base}:leases`,
      pause: `${base}:pause`,
      upstream: `${base}:upstream`,
      waiters: `${base}:waiters`,
    };
  }

  /** Keys this limiter uses (tests delete them to simulate expiry). */
  get redisKeys(): readonly string[] {
    return Object.values(this.keys);
  }

  /**
   * Wait for a slot and take it. Waits as long as the next slot is within `maxWaitMs`
   * (default: forever); Redis errors (restart, dropped connection) are retried, not thrown.
   */
  async acquire(options: AcquireOptions = {}): Promise<Grant> {
    const id = randomUUID();
    const priority = options.priority ?? 'scheduled';
    const maxWaitMs = options.maxWaitMs ?? Number.POSITIVE_INFINITY;
    let redisFailures = 0;
    for (;;) {
      options.signal?.throwIfAborted();
      let reply: AcquireReply;
      try {
        reply = await this.redis.limiterAcquire(
          ...Object.values(this.keys),
          id,
          this.settings.requestsPerInterval,
          this.windowMs,
          this.settings.maxConcurrent,
          this.leaseMs,
          priority,
          this.settings.backfillShare,
        );
        redisFailures = 0;
      } catch {
        // Redis is restarting or the connection dropped: back off and ask again.
        redisFailures += 1;
        await sleep(Math.min(1_000, 25 * 2 ** Math.min(redisFailures, 6)), undefined, { signal: options.signal });
        continue;
      }
      const [granted, waitMs, reason] = reply;
      if (granted === 1) {
        const grantedAtMs = performance.now();
        let released: Promise<void> | undefined;
        return {
          id,
          grantedAtMs,
          release: (release = {}) => {
            released ??= this.release(id, grantedAtMs, release.sentAtMs);
            return released;
          },
        };
      }
      if (waitMs > maxWaitMs) throw new LimiterWaitExceeded(reason as DenialReason, waitMs);
      options.onWait?.(reason as DenialReason, waitMs);
      // A little jitter so waiters woken together do not all hit Redis in the same millisecond.
      await sleep(waitMs + Math.floor(Math.random() * 3), undefined, { signal: options.signal });
    }
  }

  private async release(id: string, grantedAtMs: number, sentAtMs: number | undefined): Promise<void> {
    // A send time before the grant reached us cannot be this request's: count it until release.
    const known =
      this.sendGuardMs !== undefined && sentAtMs !== undefined && Number.isFinite(sentAtMs) && sentAtMs >= grantedAtMs;
    // Measured now, before the script runs: whatever delay follows only makes the stamp later.
    const sentAgoMs = known ? Math.max(0, Math.floor(performance.now() - sentAtMs)) : -1;
    try {
      await this.redis.limiterRelease(
        this.keys.window,
        this.keys.backfill,
        this.keys.leases,
        id,
        sentAgoMs,
        this.sendGuardMs ?? 0,
      );
    } catch {
      // The lease and its window entry expire by themselves; a lost release only holds that slot for leaseMs.
    }
  }

  /** Hold every process off this source for `ms` (a 429's Retry-After). Never shortens a pause. */
  async pause(ms: number): Promise<void> {
    await this.redis.limiterPause(this.keys.pause, Math.max(1, Math.ceil(ms)));
  }

  /**
   * The upstream says how many requests it will still take before its counter resets
   * (e.g. football-data.org's X-Requests-Available-Minute and X-RequestCounter-Reset).
   */
  async observeUpstreamBudget(remaining: number, resetInMs: number): Promise<void> {
    await this.redis.limiterObserve(
      this.keys.upstream,
      Math.max(0, Math.floor(remaining)),
      Math.max(1, Math.ceil(resetInMs)),
    );
  }

  async state(): Promise<LimiterState> {
    const [inWindow, inFlight, pausedForMs, remaining, resetIn] = await this.redis.limiterState(
      this.keys.window,
      this.keys.backfill,
      this.keys.leases,
      this.keys.pause,
      this.keys.upstream,
      this.windowMs,
    );
    const upstreamRemaining = Number(remaining);
    return {
      inWindow,
      inFlight,
      pausedForMs,
      upstreamRemaining: upstreamRemaining >= 0 ? upstreamRemaining : undefined,
      upstreamResetInMs: resetIn >= 0 ? resetIn : undefined,
    };
  }
}
