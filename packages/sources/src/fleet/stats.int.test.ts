import { type TestRedis, testRedis } from '@matchflow/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DenialReason, FleetLimiter } from './limiter.js';
import { readSourceStats, SourceStats, STATS_TTL_MS, sourceStatsKeys } from './stats.js';

let redis: TestRedis;
beforeAll(() => {
  redis = testRedis(undefined, 'source-stats');
});
afterAll(async () => {
  await redis.cleanup();
});

describe('SourceStats', () => {
  it('adds up requests by status and waits by reason from several processes, with a TTL', async () => {
    const [a, b] = [redis.connect(), redis.connect()];
    const statsA = new SourceStats({ redis: a, prefix: redis.prefix, source: 'upstream' });
    const statsB = new SourceStats({ redis: b, prefix: redis.prefix, source: 'upstream' });
    statsA.request(200);
    statsB.request(200);
    statsB.request(429);
    statsA.request('error');
    statsA.wait('budget', 120.4);
    statsB.wait('budget', 80);
    statsB.wait('breaker-open', 1_000);
    // Fire and forget: a later command on each connection sees the writes done.
    await Promise.all([a.ping(), b.ping()]);
    expect(await statsA.read()).toEqual({
      requests: { '200': 2, '429': 1, error: 1 },
      waits: { budget: { count: 2, waitMs: 200 }, 'breaker-open': { count: 1, waitMs: 1_000 } },
    });
    const keys = sourceStatsKeys(redis.prefix, 'upstream');
    expect(await a.pttl(keys.requests)).toBeGreaterThan(STATS_TTL_MS - 60_000);
    expect(await readSourceStats(a, sourceStatsKeys(redis.prefix, 'other'))).toEqual({ requests: {}, waits: {} });
  });

  it('the limiter reports each wait it asks for through onWait', async () => {
    const limiter = new FleetLimiter({
      redis: redis.connect(),
      prefix: redis.prefix,
      source: 'waits',
      settings: { requestsPerInterval: 1, intervalMs: 150, maxConcurrent: 5, backfillShare: 0.5 },
    });
    const waits: Array<[DenialReason, number]> = [];
    const first = await limiter.acquire({ onWait: (reason, ms) => waits.push([reason, ms]) });
    await first.release();
    expect(waits).toEqual([]);
    const second = await limiter.acquire({ onWait: (reason, ms) => waits.push([reason, ms]) });
    await second.release();
    expect(waits.length).toBeGreaterThan(0);
    expect(waits.every(([reason, ms]) => reason === 'budget' && ms > 0 && ms <= 160)).toBe(true);
  });
});
