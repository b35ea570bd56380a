import { startReplay } from '@matchflow/replay';
import { type BenchEnv, BenchFleet, leagueSettings, median } from './fleet.js';

/*
 * The hourly no-change run: a tracked season already ingested, and nothing new upstream. A
 * `changed` run (what the schedule starts every hour) pages through the season's listing,
 * finds every match as core holds it, and closes the run without any other request or job.
 * Timed from the trigger to the run closed, with the replay answering at once and with a
 * realistic latency.
 */

export interface HourlyOptions {
  /** The in-progress Demo League season at the replay's frozen clock: played matches and matches to come. */
  season: string;
  repeats: number;
  latencies: Array<{ baseMs: number; jitterMs: number }>;
}

export interface HourlyFigures {
  backend: 'postgres' | 'pglite';
  latency: { baseMs: number; jitterMs: number };
  /** Matches the season lists (ingested by the first, full run). */
  listed: number;
  /** Median trigger-to-closed time, and every repeat's. */
  closeMs: number;
  closeMsAll: number[];
  /** Upstream requests per run (the same every repeat), and those not to a season listing page. */
  requests: number;
  otherRequests: number;
  /** Matches the no-change runs selected (0 when nothing changed). */
  selected: number;
  statuses: string[];
}

export const HOURLY_DEFAULTS: HourlyOptions = {
  season: '50003',
  repeats: 5,
  latencies: [
    { baseMs: 0, jitterMs: 0 },
    { baseMs: 50, jitterMs: 100 },
  ],
};

const LISTING_ENDPOINTS = new Set(['season.events.last', 'season.events.next']);

export async function benchHourly(env: BenchEnv, options: HourlyOptions = HOURLY_DEFAULTS): Promise<HourlyFigures[]> {
  const replay = await startReplay({ port: 0, seed: 7 });
  const backend = env.postgresUrl ? 'postgres' : 'pglite';
  try {
    const fleet = await BenchFleet.start(env, {
      label: `hourly-${backend}`,
      backend,
      processes: 1,
      // The budget does not bind: a no-change run makes a page request per 30 matches listed.
      settings: leagueSettings(replay, { requestsPerInterval: 1_000, maxConcurrent: 32 }),
    });
    try {
      const first = await fleet.trigger(options.season, 'full');
      const full = await fleet.waitClosed(first.runId, 300_000);
      if (full.status !== 'ok') throw new Error(`the first, full run of ${options.season} ended ${full.status}`);
      const listed = Number((full.counters as { matches?: number }).matches ?? 0);
      const figures: HourlyFigures[] = [];
      for (const latency of options.latencies) {
        replay.faults.set(latency.baseMs + latency.jitterMs > 0 ? { latency } : {});
        const times: number[] = [];
        const statuses: string[] = [];
        let requests = 0;
        let otherRequests = 0;
        let selected = 0;
        for (let repeat = 0; repeat < options.repeats; repeat += 1) {
          replay.accounting.reset();
          const { runId, triggeredAt } = await fleet.trigger(options.season, 'changed');
          const run = await fleet.waitClosed(runId, 60_000, 5);
          times.push(run.closedAt - triggeredAt);
          statuses.push(run.status);
          const served = replay.accounting.snapshot();
          requests = Math.max(requests, served.requests);
          const listing = Object.entries(served.byEndpoint)
            .filter(([endpoint]) => LISTING_ENDPOINTS.has(endpoint))
            .reduce((sum, [, statuses]) => sum + Object.values(statuses).reduce((a, b) => a + b, 0), 0);
          otherRequests = Math.max(otherRequests, served.requests - listing);
          selected = Math.max(selected, Number((run.counters as { matches?: number }).matches ?? 0));
        }
        figures.push({
          backend,
          latency,
          listed,
          closeMs: median(times),
          closeMsAll: times,
          requests,
          otherRequests,
          selected,
          statuses,
        });
      }
      return figures;
    } finally {
      await fleet.close();
    }
  } finally {
    await replay.close();
  }
}
