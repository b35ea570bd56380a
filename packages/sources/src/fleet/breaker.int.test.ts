import { type TestRedis, testRedis } from '@matchflow/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BreakerSettings, FleetBreaker, type Transition } from './breaker.js';

const SETTINGS: BreakerSettings = {
  consecutiveFailures: 3,
  failureRate: 0.5,
  windowRequests: 10,
  cooldownMs: 300,
  blockedCooldownMs: 60_000,
};

let redis: TestRedis;
let source = 0;
beforeAll(() => {
  redis = testRedis(undefined, 'breaker');
});
afterAll(async () => {
  await redis.cleanup();
});

/** One breaker per "process", each on its own connection, sharing one source's state. */
function fleet(count: number, settings: Partial<BreakerSettings> = {}): FleetBreaker[] {
  const name = `source-${++source}`;
  return Array.from(
    { length: count },
    () =>
      new FleetBreaker({
        redis: redis.connect(),
        prefix: redis.prefix,
        source: name,
        settings: { ...SETTINGS, ...settings },
        probeTimeoutMs: 1_000,
      }),
  );
}

async function fail(breaker: FleetBreaker | undefined): Promise<void> {
  const permission = await breaker?.allow();
  if (!permission?.allowed) throw new Error('expected to be allowed');
  await breaker?.record(permission.token, 'failure');
}

describe('FleetBreaker', () => {
  it('opens after N consecutive failures, for every process', async () => {
    const [first, second] = fleet(2);
    const transitions: Transition[] = [];
    first?.on('transition', (transition) => transitions.push(transition));
    await fail(first);
    await fail(second);
    expect((await first?.state())?.state).toBe('closed');
    await fail(first);
    const state = await second?.state();
    expect(state).toMatchObject({ state: 'open', reason: 'failures', consecutiveFailures: 3 });
    expect(state?.openUntil).toBeGreaterThan(Date.now() - 1_000);
    expect(await second?.allow()).toMatchObject({ allowed: false, state: 'open' });
    expect(transitions).toEqual([{ source: expect.any(String), from: 'closed', to: 'open', reason: 'failures' }]);
  });

  it('opens when the failure rate over the last W requests passes R, even without a run of failures', async () => {
    const [breaker] = fleet(1, { consecutiveFailures: 100 });
    for (let index = 0; index < 10; index += 1) {
      const permission = await breaker?.allow();
      if (!permission?.allowed) throw new Error(`closed breaker refused request ${index}`);
      // failure, failure, success, ...: 7 of the last 10 failed, never 3 in a row.
      await breaker?.record(permission.token, index % 3 === 2 ? 'success' : 'failure');
    }
    expect(await breaker?.state()).toMatchObject({ state: 'open', reason: 'failure-rate' });
  });

  it('after the cooldown lets exactly one probe through across the fleet; its success closes the breaker', async () => {
    const breakers = fleet(8);
    for (let index = 0; index < 3; index += 1) await fail(breakers[0]);
    await new Promise((resolve) => setTimeout(resolve, SETTINGS.cooldownMs + 50));
    const permissions = await Promise.all(breakers.map((breaker) => breaker.allow()));
    const probes = permissions.filter((permission) => permission.allowed);
    expect(probes).toHaveLength(1);
    expect(probes[0]).toMatchObject({ probe: true });
    expect(await breakers[3]?.state()).toMatchObject({ state: 'half-open' });
    const winner = permissions.findIndex((permission) => permission.allowed);
    const probe = probes[0];
    if (!probe?.allowed) throw new Error('no probe');
    await breakers[winner]?.record(probe.token, 'success');
    expect(await breakers[5]?.state()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    expect(await breakers[6]?.allow()).toMatchObject({ allowed: true, probe: false });
  });

  it('re-opens when the probe fails', async () => {
    const [first, second] = fleet(2);
    for (let index = 0; index < 3; index += 1) await fail(first);
    await new Promise((resolve) => setTimeout(resolve, SETTINGS.cooldownMs + 50));
    const probe = await second?.allow();
    if (!probe?.allowed) throw new Error('no probe');
    await second?.record(probe.token, 'failure');
    expect(await first?.state()).toMatchObject({ state: 'open', reason: 'probe-failed' });
  });

  it('remembers since when it is open through failed probes, and since when blocked, until it closes', async () => {
    const [first, second] = fleet(2, { blockedCooldownMs: 300 });
    for (let index = 0; index < 3; index += 1) await fail(first);
    const opened = await second?.state();
    expect(opened?.openedAt).toBeGreaterThan(Date.now() - 5_000);
    expect(opened?.blockedAt).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, SETTINGS.cooldownMs + 50));
    const probe = await second?.allow();
    if (!probe?.allowed) throw new Error('no probe');
    await second?.record(probe.token, 'failure');
    await first?.trip();
    const blocked = await first?.state();
    expect(blocked).toMatchObject({ state: 'open', reason: 'blocked', openedAt: opened?.openedAt });
    expect(blocked?.blockedAt).toBeGreaterThanOrEqual(opened?.openedAt ?? Number.POSITIVE_INFINITY);
    await new Promise((resolve) => setTimeout(resolve, 350));
    const again = await first?.allow();
    if (!again?.allowed) throw new Error('no probe after the blocked cooldown');
    await first?.record(again.token, 'success');
    expect(await second?.state()).toMatchObject({ state: 'closed', openedAt: undefined, blockedAt: undefined });
  });

  it('hands the probe on when the one that held it gives it back, or dies', async () => {
    const [first, second] = fleet(2);
    for (let index = 0; index < 3; index += 1) await fail(first);
    await new Promise((resolve) => setTimeout(resolve, SETTINGS.cooldownMs + 50));
    const probe = await first?.allow();
    if (!probe?.allowed) throw new Error('no probe');
    expect(await second?.allow()).toMatchObject({ allowed: false, state: 'half-open' });
    await first?.releaseProbe(probe.token);
    const next = await second?.allow();
    expect(next).toMatchObject({ allowed: true, probe: true });
    // This one never reports back: after the probe timeout someone else may probe.
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    expect(await first?.allow()).toMatchObject({ allowed: true, probe: true });
  });

  it('trips open at once for the blocked cooldown (403 challenge)', async () => {
    const [first, second] = fleet(2);
    const transitions: Transition[] = [];
    first?.on('transition', (transition) => transitions.push(transition));
    await first?.trip();
    const state = await second?.state();
    expect(state).toMatchObject({ state: 'open', reason: 'blocked' });
    expect((state?.openUntil ?? 0) - Date.now()).toBeGreaterThan(50_000);
    const refused = await second?.allow();
    expect(refused?.allowed).toBe(false);
    expect(refused && !refused.allowed && refused.retryAfterMs).toBeGreaterThan(50_000);
    expect(transitions).toEqual([{ source: expect.any(String), from: 'closed', to: 'open', reason: 'blocked' }]);
  });
});
