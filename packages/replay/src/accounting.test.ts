import { describe, expect, it } from 'vitest';
import { Accounting } from './accounting.js';

describe('Accounting peaks', () => {
  it('finds the busiest 1 s and 10 s windows exactly, whatever the arrival pattern', () => {
    let now = 0;
    const accounting = new Accounting(() => now);
    // 3 arrivals inside [0, 999], then a gap, then 5 arrivals inside [5000, 5400].
    for (const at of [0, 400, 999, 1000, 5000, 5100, 5200, 5300, 5400, 12_000]) {
      now = at;
      accounting.begin('event')(200);
    }
    const snapshot = accounting.snapshot();
    expect(snapshot.peakRequestsPer1s).toBe(5);
    // (2000, 12000] holds 5000..5400 and 12000; [0, 9999] holds the first nine.
    expect(snapshot.peakRequestsPer10s).toBe(9);
    expect(snapshot.requests).toBe(10);
  });

  it('counts 2xx apart from everything else, and resets to zero', () => {
    let now = 0;
    const accounting = new Accounting(() => now);
    for (const [at, status] of [
      [0, 200],
      [10, 429],
      [20, 429],
      [30, 503],
      [40, 200],
    ] as const) {
      now = at;
      accounting.begin('event')(status);
    }
    expect(accounting.snapshot()).toMatchObject({
      peakRequestsPer1s: 5,
      peakServedPer1s: 2,
      served429: 2,
      served5xx: 1,
      byStatus: { '200': 2, '429': 2, '503': 1 },
    });
    accounting.reset();
    expect(accounting.snapshot()).toMatchObject({ requests: 0, byEndpoint: {}, peakRequestsPer1s: 0 });
  });
});
