import { redisServerAvailable, startPrivateRedis, type TestRedis, testRedis } from '@matchflow/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FleetLimiter, type LimiterSettings, LimiterWaitExceeded } from './limiter.js';

const SETTINGS: LimiterSettings = { requestsPerInterval: 10, intervalMs: 500, maxConcurrent: 50, backfillShare: 0.5 };

let redis: TestRedis;
let source = 0;
beforeAll(() => {
  redis = testRedis(undefined, 'limiter');
});
afterAll(async () => {
  await redis.cleanup();
});

/** A limiter per "process": each on its own connection, all sharing one source's keys. */
function fleet(count: number, settings: Partial<LimiterSettings> = {}, name = `source-${++source}`): FleetLimiter[] {
  return Array.from(
    { length: count },
    () =>
      new FleetLimiter({
        redis: redis.connect(),
        prefix: redis.prefix,
        source: name,
        settings: { ...SETTINGS, ...settings },
      }),
  );
}

/** Most timestamps inside any window of `widthMs` (sliding). */
function busiestWindow(times: number[], widthMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while ((sorted[end] as number) - (sorted[start] as number) >= widthMs) start += 1;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/** Every limiter takes slots as fast as it is given them, `workers` at a time, until `untilMs`. */
async function drive(
  limiters: FleetLimiter[],
  workers: number,
  durationMs: number,
  onGrant?: () => Promise<void>,
): Promise<number[]> {
  const grants: number[] = [];
  const until = performance.now() + durationMs;
  await Promise.all(
    limiters.flatMap((limiter) =>
      Array.from({ length: workers }, async () => {
        while (performance.now() < until) {
          const grant = await limiter.acquire({ maxWaitMs: until - performance.now() }).catch((error: unknown) => {
            if (error instanceof LimiterWaitExceeded) return undefined;
            throw error;
          });
          if (!grant) return;
          grants.push(performance.now());
          await onGrant?.();
          await grant.release();
        }
      }),
    ),
  );
  return grants;
}

describe('FleetLimiter', () => {
  it('keeps four processes together within the budget in every window, and uses it', async () => {
    const limiters = fleet(4);
    const grants = await drive(limiters, 3, 2_600);
    // Grants are timed here, not on Redis' clock: allow one of slack for that difference.
    expect(busiestWindow(grants, SETTINGS.intervalMs)).toBeLessThanOrEqual(SETTINGS.requestsPerInterval + 1);
    // The per-window bound above is the invariant. In total, 2.6 s holds about five windows of
    // 10 after the opening 10: a healthy limiter gets close to that and no window gets more.
    expect(grants.length).toBeGreaterThanOrEqual(50);
    expect(grants.length).toBeLessThanOrEqual(70);
  });

  it('counts a slow request from when it was sent: its answer time does not hold its place', async () => {
    // Interval 500 ms, answers taking 300 ms. Counted until release + interval (the old rule),
    // each place would turn over every ~800 ms; counted from the send, every ~515 ms.
    const settings = { requestsPerInterval: 10, intervalMs: 500, sendGuardMs: 10 };
    const limiters = fleet(2, settings);
    const sends: number[] = [];
    const until = performance.now() + 2_600;
    await Promise.all(
      limiters.flatMap((limiter) =>
        Array.from({ length: 8 }, async () => {
          while (performance.now() < until) {
            const grant = await limiter.acquire({ maxWaitMs: until - performance.now() }).catch(() => undefined);
            if (!grant) return;
            const sentAtMs = performance.now();
            sends.push(sentAtMs);
            await new Promise((resolve) => setTimeout(resolve, 300));
            await grant.release({ sentAtMs });
          }
        }),
      ),
    );
    sends.sort((a, b) => a - b);
    expect(busiestWindow(sends, settings.intervalMs)).toBeLessThanOrEqual(settings.requestsPerInterval);
    // The 41st request opens the fifth interval: about 4 × 515 ms after the first with send
    // times (4 × 800 ms if the answer time were charged). The margin is for a loaded machine.
    expect(sends.length).toBeGreaterThan(4 * settings.requestsPerInterval);
    const first = sends[0] as number;
    const fortyFirst = sends[4 * settings.requestsPerInterval] as number;
    expect(fortyFirst - first).toBeGreaterThanOrEqual(4 * settings.intervalMs);
    expect(fortyFirst - first).toBeLessThan(4 * settings.intervalMs * 1.2);
  });

  it('stamps a finished request at its send time plus the guard, never later than its release, and at its release when the send time is unknown', async () => {
    const settings = { requestsPerInterval: 5, intervalMs: 2_000, sendGuardMs: 15 };
    const [limiter] = fleet(1, settings);
    if (!limiter) throw new Error('no limiter');
    const admin = redis.connect();
    const windowKey = limiter.redisKeys[0] as string;
    const redisNow = async () => {
      const [seconds, micros] = await admin.time();
      return Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
    };
    const score = async (id: string) => Number(await admin.zscore(windowKey, id));

    // Sent 300 ms before release: stamped at the send (on Redis' clock, taken around it) plus
    // the guard, not at the release.
    const sent = await limiter.acquire();
    const beforeSend = await redisNow();
    const sentAtMs = performance.now();
    const afterSend = await redisNow();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await sent.release({ sentAtMs });
    const released = await redisNow();
    expect(await score(sent.id)).toBeGreaterThanOrEqual(beforeSend + 15);
    // The margin is for a loaded machine: measuring, then running the script, only makes it later.
    expect(await score(sent.id)).toBeLessThanOrEqual(afterSend + 15 + 1 + 50);
    expect(await score(sent.id)).toBeLessThan(released - 200);
    // A second release changes nothing.
    const stamped = await score(sent.id);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await sent.release();
    expect(await score(sent.id)).toBe(stamped);

    // Sent just now: the guard would put it after the release; it is stamped at the release.
    const quick = await limiter.acquire();
    const quickStart = await redisNow();
    await quick.release({ sentAtMs: performance.now() });
    expect(await score(quick.id)).toBeGreaterThanOrEqual(quickStart);
    expect(await score(quick.id)).toBeLessThanOrEqual(await redisNow());

    // Never sent, or a send time from before the grant (not this request's): counted from the release.
    for (const sentAt of [undefined, performance.now() - 10_000]) {
      const grant = await limiter.acquire();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const releasing = await redisNow();
      await grant.release({ sentAtMs: sentAt });
      expect(await score(grant.id)).toBeGreaterThanOrEqual(releasing);
    }
  });

  it('caps requests in flight across the fleet', async () => {
    const limiters = fleet(3, { requestsPerInterval: 1_000, maxConcurrent: 2 });
    let inFlight = 0;
    let peak = 0;
    await drive(limiters, 3, 600, async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 15));
      inFlight -= 1;
    });
    expect(peak).toBe(2);
  });

  it('pauses the whole fleet for a Retry-After, and never shortens a pause', async () => {
    const [first, second] = fleet(2);
    await first?.pause(600);
    await second?.pause(100);
    const started = performance.now();
    const grant = await second?.acquire();
    expect(performance.now() - started).toBeGreaterThanOrEqual(550);
    await grant?.release();
    expect((await first?.state())?.pausedForMs).toBe(0);
  });

  it('obeys a tighter budget reported by the upstream until its counter resets', async () => {
    const [first, second] = fleet(2, { requestsPerInterval: 100, intervalMs: 1_000 });
    await first?.observeUpstreamBudget(3, 700);
    const started = performance.now();
    const times: number[] = [];
    for (let index = 0; index < 5; index += 1) {
      const grant = await (index % 2 === 0 ? first : second)?.acquire();
      times.push(performance.now() - started);
      await grant?.release();
    }
    expect(times.slice(0, 3).every((time) => time < 300)).toBe(true);
    expect(times[3]).toBeGreaterThanOrEqual(650);
  });

  it('lets backfill use only its share while scheduled work is waiting', async () => {
    const settings = { requestsPerInterval: 10, intervalMs: 1_000, backfillShare: 0.3 };
    const [scheduled, backfill] = fleet(2, settings);
    const counts = { scheduled: 0, backfill: 0 };
    let measuring = false;
    const until = performance.now() + 3_300;
    const run = async (limiter: FleetLimiter | undefined, priority: 'scheduled' | 'backfill') => {
      while (performance.now() < until) {
        const grant = await limiter?.acquire({ priority, maxWaitMs: until - performance.now() }).catch(() => undefined);
        if (!grant) return;
        if (measuring) counts[priority] += 1;
        await grant.release();
      }
    };
    // Scheduled work saturates the budget and queues for more; then backfill joins.
    // More scheduled callers than the budget serves, so one is always waiting.
    const scheduledWorkers = Array.from({ length: 4 }, () => run(scheduled, 'scheduled'));
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    measuring = true;
    await Promise.all([...scheduledWorkers, run(backfill, 'backfill'), run(backfill, 'backfill')]);
    // 2.1 s measured can touch three 1 s windows: backfill may take 3 of 10 in each, 9 at most,
    // and scheduled work gets the rest.
    expect(counts.backfill).toBeGreaterThanOrEqual(1);
    expect(counts.backfill).toBeLessThanOrEqual(9);
    expect(counts.scheduled).toBeGreaterThan(counts.backfill);
  });

  it('gives backfill the whole budget when no scheduled work is waiting', async () => {
    const [backfill] = fleet(1, { requestsPerInterval: 10, intervalMs: 1_000, backfillShare: 0.3 });
    let granted = 0;
    for (let index = 0; index < 10; index += 1) {
      const grant = await backfill?.acquire({ priority: 'backfill', maxWaitMs: 100 });
      granted += 1;
      await grant?.release();
    }
    expect(granted).toBe(10);
  });

  it('says how long the next slot is when that is beyond what the caller will wait', async () => {
    const [limiter] = fleet(1, { requestsPerInterval: 1, intervalMs: 5_000 });
    await (await limiter?.acquire())?.release();
    await expect(limiter?.acquire({ maxWaitMs: 100 })).rejects.toMatchObject({
      name: 'LimiterWaitExceeded',
      reason: 'budget',
    });
  });

  it('keeps working when its keys expire or vanish mid-run', async () => {
    const [limiter] = fleet(1, { requestsPerInterval: 5, intervalMs: 300 });
    let granted = 0;
    const admin = redis.connect();
    for (let round = 0; round < 3; round += 1) {
      for (let index = 0; index < 5; index += 1) {
        const grant = await limiter?.acquire({ maxWaitMs: 2_000 });
        granted += 1;
        await grant?.release();
      }
      await admin.del(...(limiter?.redisKeys ?? []));
    }
    expect(granted).toBe(15);
  });

  it('keeps working when Redis drops its connection', async () => {
    const connection = redis.connect();
    const limiter = new FleetLimiter({
      redis: connection,
      prefix: redis.prefix,
      source: `source-${++source}`,
      settings: SETTINGS,
    });
    await (await limiter.acquire())?.release();
    const admin = redis.connect();
    const id = await connection.client('ID');
    expect(await admin.client('KILL', 'ID', String(id))).toBe(1);
    const grant = await limiter.acquire({ maxWaitMs: 5_000 });
    expect(grant.id).toBeTruthy();
    await grant.release();
  });
});

describe.skipIf(!redisServerAvailable())('FleetLimiter across a Redis restart', () => {
  let privateRedis: Awaited<ReturnType<typeof startPrivateRedis>> | undefined;
  let own: TestRedis | undefined;
  afterEach(async () => {
    await own?.cleanup().catch(() => undefined);
    await privateRedis?.stop();
  });

  it('recovers once Redis is back, scripts and keys gone', async () => {
    privateRedis = await startPrivateRedis();
    own = testRedis(privateRedis.url, 'restart');
    const limiter = new FleetLimiter({
      redis: own.connect(),
      prefix: own.prefix,
      source: 'restarting',
      settings: SETTINGS,
    });
    await (await limiter.acquire())?.release();
    await privateRedis.restart();
    const grant = await limiter.acquire({ maxWaitMs: 10_000 });
    expect(grant.id).toBeTruthy();
    await grant.release();
    expect((await limiter.state()).inWindow).toBe(1);
  });
});
