import { core } from '@matchflow/db';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ChaosFleet, cleanReference, serverUrl, zoneFingerprint } from './support/chaos-fleet.js';

/*
 * Chaos 6 (issue 9): late score corrections (the upstream strikes off a match's last goal and
 * moves its change timestamp) arrive while a run is ingesting and between runs. The fleet must
 * end where a clean run over the corrected upstream ends: same published content hash, same
 * rows, same ratings (the pool re-rated from the earliest corrected match) and standings.
 *
 * The clean reference is computed at the end, against the same replay with every correction
 * visible.
 */

if (!serverUrl) console.info('[chaos] TEST_DATABASE_URL is not set: the chaos suite is skipped');

const SEASONS = ['50011', '50012'] as const;

/**
 * Cup matches whose winner survives losing their last goal (3-1 -> 2-1, 1-2 with a late home
 * goal -> 0-2): a knockout corrected into a draw would be a different story (no shoot-out).
 */
const CORRECTABLE: Record<(typeof SEASONS)[number], readonly string[]> = {
  '50011': ['12000382', '12000384', '12000386', '12000385', '12000387', '12000394', '12000393', '12000395'],
  '50012': ['12000777', '12000783', '12000780', '12000784', '12000786', '12000788'],
};

interface RunCounters {
  matches?: number;
  failedMatches?: string[];
}

describe.skipIf(!serverUrl)('chaos: late corrections', () => {
  let fleet: ChaosFleet | undefined;

  afterAll(async () => {
    await fleet?.close();
  });

  async function correct(chaos: ChaosFleet, eventId: string, at?: string): Promise<{ at: string }> {
    const response = await fetch(`${chaos.replay.url}/_control/corrections`, {
      method: 'POST',
      body: JSON.stringify({ eventId: Number(eventId), ...(at ? { at } : {}) }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { at: string };
  }

  /** Goals in core for a match (normal and extra time). */
  async function coreScore(chaos: ChaosFleet, eventId: string): Promise<string> {
    const [match] = await chaos.database.db
      .select({ home: core.matches.homeScore, away: core.matches.awayScore })
      .from(core.matches)
      .where(eq(core.matches.id, `sofascore.match.${eventId}`));
    return `${match?.home}-${match?.away}`;
  }

  /** The score the replay serves now. */
  async function upstreamScore(chaos: ChaosFleet, eventId: string): Promise<string> {
    const response = await fetch(`${chaos.replay.apiUrl}/event/${eventId}`);
    const { event } = (await response.json()) as {
      event: { homeScore: { display: number }; awayScore: { display: number } };
    };
    return `${event.homeScore.display}-${event.awayScore.display}`;
  }

  async function runOk(chaos: ChaosFleet, season: string, mode: 'full' | 'changed') {
    const run = await chaos.finishedRun(await chaos.trigger(season, mode));
    expect(run.status, `${mode} run of ${season}: ${run.error ?? ''}`).toBe('ok');
    return run;
  }

  it('corrections during a run and between runs: ratings and standings converge to a clean run over the corrected upstream', async () => {
    const chaos = await ChaosFleet.start({ label: 'corrections' });
    fleet = chaos;
    chaos.startWorker();

    // During a run: one correction lands on a match this run has already ingested, another on
    // a match it has not reached yet.
    chaos.replay.faults.set({ latency: { baseMs: 100, jitterMs: 50 } });
    const first = await chaos.trigger(SEASONS[0]);
    let alreadyIngested = '';
    let notYetStarted = '';
    await vi.waitFor(
      async () => {
        const stages = await chaos.stages(first, 'ingest');
        const done = stages.filter((stage) => stage.status === 'ok').map((stage) => stage.scopeKey);
        const started = stages.map((stage) => stage.scopeKey);
        alreadyIngested = CORRECTABLE[SEASONS[0]].find((match) => done.includes(match)) ?? '';
        notYetStarted = CORRECTABLE[SEASONS[0]].findLast((match) => !started.includes(match)) ?? '';
        expect(alreadyIngested).not.toBe('');
        expect(notYetStarted).not.toBe('');
      },
      { timeout: 60_000, interval: 25 },
    );
    const before = await upstreamScore(chaos, alreadyIngested);
    const beforeLate = await upstreamScore(chaos, notYetStarted);
    // Without `at`: an hour after the final whistle, long past: visible at once.
    await correct(chaos, alreadyIngested);
    await correct(chaos, notYetStarted);
    expect(await upstreamScore(chaos, alreadyIngested)).not.toBe(before);
    expect(await upstreamScore(chaos, notYetStarted)).not.toBe(beforeLate);
    const firstRun = await chaos.finishedRun(first);
    expect(firstRun.status, firstRun.error ?? '').toBe('ok');
    // The run saw the correction of the match it had not reached, not the other one's.
    expect(await coreScore(chaos, notYetStarted)).toBe(await upstreamScore(chaos, notYetStarted));
    expect(await coreScore(chaos, alreadyIngested)).toBe(before);
    chaos.replay.faults.set({});
    await runOk(chaos, SEASONS[1], 'full');

    // Between runs: a correction published an hour from now (simulated time) is not seen
    // until the clock passes it.
    const later = CORRECTABLE[SEASONS[1]][2] as string;
    const laterBefore = await upstreamScore(chaos, later);
    const now = chaos.replay.clock.now();
    await correct(chaos, later, new Date((now + 3_600) * 1000).toISOString());
    expect(await upstreamScore(chaos, later)).toBe(laterBefore);
    const quiet = await runOk(chaos, SEASONS[1], 'changed');
    expect((quiet.counters as RunCounters).matches).toBe(0);

    const advanced = await fetch(`${chaos.replay.url}/_control/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceSec: 2 * 3_600 }),
    });
    expect(advanced.status).toBe(200);
    expect(await upstreamScore(chaos, later)).not.toBe(laterBefore);

    // The next `changed` runs pick up exactly the corrected matches, and re-rate from them.
    const firstAgain = await runOk(chaos, SEASONS[0], 'changed');
    expect((firstAgain.counters as RunCounters).matches).toBe(1);
    expect((await chaos.stages(firstAgain.runId, 'ingest')).map((stage) => stage.scopeKey)).toEqual([alreadyIngested]);
    // The pool is re-rated from the corrected match on: the matches after it are rated again.
    const [reRated] = await chaos.stages(firstAgain.runId, 'ratings');
    expect((reRated?.counters as { replayed?: number } | undefined)?.replayed).toBeGreaterThan(0);
    const secondAgain = await runOk(chaos, SEASONS[1], 'changed');
    expect((await chaos.stages(secondAgain.runId, 'ingest')).map((stage) => stage.scopeKey)).toEqual([later]);
    for (const match of [alreadyIngested, notYetStarted, later]) {
      expect(await coreScore(chaos, match), `core score of ${match}`).toBe(await upstreamScore(chaos, match));
    }

    // Converged: the same as one clean run over the upstream as it is now.
    const reference = await cleanReference(chaos, SEASONS);
    const latest = await chaos.latestSnapshot();
    expect(latest?.contentHash).toBe(reference.contentHash);
    const fingerprint = await zoneFingerprint(chaos.database.db);
    expect(fingerprint.rows).toEqual(reference.fingerprint.rows);
    expect(fingerprint.ratings).toBe(reference.fingerprint.ratings);
    // Superseded payloads stay in raw (the history of what the upstream said).
    expect(fingerprint.rawPayloads).toBeGreaterThan(reference.fingerprint.rawPayloads);
    console.info(
      `[chaos] corrections: ${alreadyIngested} (ingested before it), ${notYetStarted} (mid-run), ${later} (between runs): converged`,
    );
  }, 150_000);
});
