import { type AccountingSnapshot, startReplay } from '@matchflow/replay';
import { type BenchEnv, BenchFleet, leagueSettings, recordArrivals } from './fleet.js';

/*
 * Upstream-bound throughput: a season of the Demo League (380 matches, ~1,530 requests) through
 * real worker processes against the replay with a budget of R requests per second (the source's
 * `rateLimit`, shared by the fleet through Redis) and a realistic latency. The question: how close
 * to R does the fleet run, and does any 1 s window of arrivals at the upstream exceed R?
 */

export interface UpstreamOptions {
  /** The budget R, requests per second (the source's `rateLimit.requestsPerInterval` over 1 s). */
  ratePerSec: number;
  /** Worker process counts and replay latencies (base + uniform jitter, ms), one run each. */
  scenarios: Array<{
    processes: number;
    latency: { baseMs: number; jitterMs: number };
    /** `rateLimit.sendGuardMs`: count finished requests from their send time plus this; unset: from their release. */
    sendGuardMs?: number;
  }>;
  season: string;
}

export interface UpstreamFigures {
  processes: number;
  sendGuardMs: number | undefined;
  ratePerSec: number;
  latency: { baseMs: number; jitterMs: number };
  matches: number;
  requests: number;
  /** requests / (first-to-last arrival + 1 s): a fleet exactly at the budget scores R. */
  achievedPerSec: number;
  efficiency: number;
  /** The busiest 10 s window's requests / 10 s: the rate once the run is under way (no discovery, no drain). */
  steadyPerSec: number;
  peakRequestsPer1s: number;
  served429: number;
  /** Trigger to run closed (discover, every ingest, ratings, build, publish). */
  runMs: number;
  /** requests / R. */
  idealMs: number;
  matchesPerSec: number;
  status: string;
  accounting: AccountingSnapshot;
}

const REALISTIC = { baseMs: 50, jitterMs: 100 };

export const UPSTREAM_DEFAULTS: UpstreamOptions = {
  ratePerSec: 50,
  scenarios: [
    { processes: 1, latency: REALISTIC },
    { processes: 2, latency: REALISTIC },
    { processes: 4, latency: REALISTIC },
    // The same fleet with an upstream that answers at once: what the budget allows without latency.
    { processes: 2, latency: { baseMs: 0, jitterMs: 0 } },
    // The opt-in rule: a finished request counts from its send time plus a 20 ms guard.
    { processes: 2, latency: REALISTIC, sendGuardMs: 20 },
    { processes: 4, latency: REALISTIC, sendGuardMs: 20 },
  ],
  season: '50001',
};

export async function benchUpstream(
  env: BenchEnv,
  options: UpstreamOptions = UPSTREAM_DEFAULTS,
): Promise<UpstreamFigures[]> {
  const replay = await startReplay({ port: 0, seed: 7 });
  const recorder = recordArrivals(replay);
  const figures: UpstreamFigures[] = [];
  try {
    for (const { processes, latency, sendGuardMs } of options.scenarios) {
      replay.faults.set(latency.baseMs + latency.jitterMs > 0 ? { latency } : {});
      const fleet = await BenchFleet.start(env, {
        label: `upstream-${processes}w-${latency.baseMs + latency.jitterMs}ms${sendGuardMs === undefined ? '' : '-send'}`,
        backend: 'postgres',
        processes,
        settings: {
          ...leagueSettings(replay, {
            requestsPerInterval: options.ratePerSec,
            // Enough requests in flight for R at this latency, whatever the process count.
            maxConcurrent: 16,
            ...(sendGuardMs === undefined ? {} : { sendGuardMs }),
          }),
          workers: { concurrency: { ingest: 8 } },
        },
      });
      try {
        replay.accounting.reset();
        recorder.reset();
        const { runId, triggeredAt } = await fleet.trigger(options.season, 'full');
        const run = await fleet.waitClosed(runId, 300_000, 50);
        const accounting = replay.accounting.snapshot();
        const arrivals = recorder.arrivals;
        const spanMs = (arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0);
        const achievedPerSec = accounting.requests / ((spanMs + 1_000) / 1_000);
        const runMs = run.closedAt - triggeredAt;
        const matches = Number((run.counters as { matches?: number }).matches ?? 0);
        figures.push({
          processes,
          sendGuardMs,
          ratePerSec: options.ratePerSec,
          latency,
          matches,
          requests: accounting.requests,
          achievedPerSec,
          efficiency: achievedPerSec / options.ratePerSec,
          steadyPerSec: accounting.peakRequestsPer10s / 10,
          peakRequestsPer1s: accounting.peakRequestsPer1s,
          served429: accounting.served429,
          runMs,
          idealMs: (accounting.requests / options.ratePerSec) * 1_000,
          matchesPerSec: matches / (runMs / 1_000),
          status: run.status,
          accounting,
        });
      } finally {
        await fleet.close();
      }
    }
  } finally {
    await replay.close();
  }
  return figures;
}
