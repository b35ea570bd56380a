/**
 * What the replay served: per endpoint and status, the busiest 1 s and 10 s windows, and the
 * most requests and connections at once. Tests and benchmarks read it to prove the fleet kept
 * to its limits.
 */

/** Highest number of arrivals inside any window of `widthMs`, kept exactly and in bounded memory. */
class SlidingPeak {
  private readonly arrivals: number[] = [];
  private head = 0;
  peak = 0;

  constructor(private readonly widthMs: number) {}

  record(atMs: number): void {
    this.arrivals.push(atMs);
    // The busiest window can always be taken to end at an arrival, so checking at each one is exact.
    while ((this.arrivals[this.head] as number) <= atMs - this.widthMs) this.head += 1;
    this.peak = Math.max(this.peak, this.arrivals.length - this.head);
    if (this.head > 4_096) {
      this.arrivals.splice(0, this.head);
      this.head = 0;
    }
  }
}

export interface AccountingSnapshot {
  since: string;
  requests: number;
  /** `{ "event": { "200": 12, "429": 3 } }` */
  byEndpoint: Record<string, Record<string, number>>;
  /**
   * For endpoints counted per id (`player`), per id and status: `{ "player": { "100012": { "200": 1 } } }`.
   * Which players were fetched, not only how many.
   */
  byKey: Record<string, Record<string, Record<string, number>>>;
  byStatus: Record<string, number>;
  served429: number;
  served5xx: number;
  connectionResets: number;
  peakRequestsPer1s: number;
  peakRequestsPer10s: number;
  /** The same peaks counting only requests answered 2xx (what the upstream actually served). */
  peakServedPer1s: number;
  peakServedPer10s: number;
  peakInFlight: number;
  peakConnections: number;
}

/** Counters since the last reset. */
class Counts {
  readonly since = new Date();
  requests = 0;
  readonly byEndpoint = new Map<string, Map<number, number>>();
  readonly byKey = new Map<string, Map<string, Map<number, number>>>();
  readonly byStatus = new Map<number, number>();
  resets = 0;
  readonly all1s = new SlidingPeak(1_000);
  readonly all10s = new SlidingPeak(10_000);
  readonly served1s = new SlidingPeak(1_000);
  readonly served10s = new SlidingPeak(10_000);
  peakInFlight = 0;
  peakConnections = 0;
}

export class Accounting {
  private counts = new Counts();
  private inFlight = 0;
  private connections = 0;

  constructor(private readonly clock: () => number = () => performance.now()) {}

  /**
   * A request arrived; call the returned function with its status when answered. `key`: the id
   * it names, for endpoints counted per id (see `byKey`).
   */
  begin(endpoint: string, key?: string): (status: number | 'reset') => void {
    const counts = this.counts;
    const arrivedAt = this.clock();
    counts.requests += 1;
    counts.all1s.record(arrivedAt);
    counts.all10s.record(arrivedAt);
    this.inFlight += 1;
    counts.peakInFlight = Math.max(counts.peakInFlight, this.inFlight);
    let done = false;
    return (status) => {
      if (done) return;
      done = true;
      this.inFlight -= 1;
      // A request that straddles a reset is counted in the period it arrived in.
      if (status === 'reset') {
        counts.resets += 1;
        count(counts, endpoint, 0, key);
        return;
      }
      count(counts, endpoint, status, key);
      if (status >= 200 && status < 300) {
        counts.served1s.record(arrivedAt);
        counts.served10s.record(arrivedAt);
      }
    };
  }

  connectionOpened(): void {
    this.connections += 1;
    this.counts.peakConnections = Math.max(this.counts.peakConnections, this.connections);
  }

  connectionClosed(): void {
    this.connections -= 1;
  }

  snapshot(): AccountingSnapshot {
    const counts = this.counts;
    let served5xx = 0;
    for (const [status, total] of counts.byStatus) if (status >= 500) served5xx += total;
    return {
      since: counts.since.toISOString(),
      requests: counts.requests,
      byEndpoint: Object.fromEntries(
        [...counts.byEndpoint]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([endpoint, statuses]) => [endpoint, byStatusObject(statuses)]),
      ),
      byKey: Object.fromEntries(
        [...counts.byKey]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([endpoint, keys]) => [
            endpoint,
            Object.fromEntries(
              [...keys]
                .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
                .map(([key, statuses]) => [key, byStatusObject(statuses)]),
            ),
          ]),
      ),
      byStatus: byStatusObject(counts.byStatus),
      served429: counts.byStatus.get(429) ?? 0,
      served5xx,
      connectionResets: counts.resets,
      peakRequestsPer1s: counts.all1s.peak,
      peakRequestsPer10s: counts.all10s.peak,
      peakServedPer1s: counts.served1s.peak,
      peakServedPer10s: counts.served10s.peak,
      peakInFlight: counts.peakInFlight,
      peakConnections: counts.peakConnections,
    };
  }

  /** Start counting afresh; what is open now is the new baseline for the peaks. */
  reset(): void {
    this.counts = new Counts();
    this.counts.peakInFlight = this.inFlight;
    this.counts.peakConnections = this.connections;
  }
}

function count(counts: Counts, endpoint: string, status: number, key: string | undefined): void {
  const statuses = counts.byEndpoint.get(endpoint) ?? new Map<number, number>();
  statuses.set(status, (statuses.get(status) ?? 0) + 1);
  counts.byEndpoint.set(endpoint, statuses);
  counts.byStatus.set(status, (counts.byStatus.get(status) ?? 0) + 1);
  if (key === undefined) return;
  const keys = counts.byKey.get(endpoint) ?? new Map<string, Map<number, number>>();
  const keyStatuses = keys.get(key) ?? new Map<number, number>();
  keyStatuses.set(status, (keyStatuses.get(status) ?? 0) + 1);
  keys.set(key, keyStatuses);
  counts.byKey.set(endpoint, keys);
}

function byStatusObject(statuses: Map<number, number>): Record<string, number> {
  return Object.fromEntries([...statuses].sort(([a], [b]) => a - b).map(([status, total]) => [String(status), total]));
}
