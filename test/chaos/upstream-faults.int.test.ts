import { ops, raw } from '@matchflow/db';
import { FleetBreaker } from '@matchflow/sources';
import { testRedis } from '@matchflow/testing';
import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../support/run-cli.js';
import {
  ChaosFleet,
  type ChaosFleetOptions,
  type CleanReference,
  CUP,
  chaosSourceSettings,
  expectConverged,
  type FleetProcess,
  referenceRun,
  serverUrl,
} from './support/chaos-fleet.js';

/*
 * Chaos 5 (issue 9): the upstream misbehaves while real worker processes run a cup season. Each
 * fault gets the documented behaviour (docs/running.md, docs/operations.md):
 *
 *   429 storm      -> the fleet pauses the source for Retry-After; no attempt is spent
 *   5xx burst      -> retries with backoff (the breaker opens if it must); the run ends ok
 *   outage         -> the breaker opens and jobs wait, however long it lasts; the run ends ok
 *   403 challenge  -> the source stops at once (no retries), `blocked:<source>` alert; the run
 *                     ends partial listing the matches it could not fetch
 *   contract drift -> those matches' payloads are quarantined; the run ends partial listing
 *                     exactly them; everything else is published
 *   slow bodies    -> timeouts.bodyMs cuts them off; retried (and waited out) until they come
 *                     back to speed; the run ends ok
 *
 * and the run record tells the truth about it. Once the fault is gone, the data ends where a
 * clean run ends: the same published content hash, the same rows, the same ratings.
 */

if (!serverUrl) console.info('[chaos] TEST_DATABASE_URL is not set: the chaos suite is skipped');

const SEASON = '50011';

/**
 * How long the outage lasts. The default (20 s) is longer than a job's whole retry budget
 * (4 attempts, backoff at most 1 s: under 4 s) and than many breaker cooldowns (1 s), so only
 * waiting gets the run through it. `CHAOS_OUTAGE_MS=120000` runs issue 9's literal 2-minute
 * outage (about 3 minutes for the test).
 */
const OUTAGE_MS = Number(process.env.CHAOS_OUTAGE_MS ?? 20_000);

type Run = Awaited<ReturnType<ChaosFleet['finishedRun']>>;
interface RunCounters {
  matches?: number;
  failedMatches?: string[];
  publish?: string;
  contentHash?: string;
}

/** The chaos defaults' sofascore source with some settings changed (settings replace top-level keys). */
function sourceWith(overrides: Record<string, unknown>): ChaosFleetOptions['settings'] {
  return (replay) => ({
    sources: { sofascore: { ...chaosSourceSettings(replay), ...overrides } },
  });
}

// The scenarios run side by side, each on a fleet of its own (replay, database, Redis prefix,
// worker): most of their time is spent waiting on the upstream's faults.
describe.skipIf(!serverUrl)('chaos: the upstream misbehaves', { concurrent: true }, () => {
  let reference: CleanReference;
  const fleets = new Set<ChaosFleet>();

  beforeAll(async () => {
    reference = await referenceRun('upstream-reference', [SEASON]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([...fleets].map((fleet) => fleet.close()));
  });

  /** A fleet and its worker for one scenario; `scenario` runs on it and the fleet is closed after. */
  async function withFleet(
    options: ChaosFleetOptions,
    scenario: (chaos: ChaosFleet, worker: FleetProcess) => Promise<void>,
  ): Promise<void> {
    const chaos = await ChaosFleet.start(options);
    fleets.add(chaos);
    try {
      await scenario(chaos, chaos.startWorker());
    } finally {
      fleets.delete(chaos);
      await chaos.close();
    }
  }

  /** The cup season's played matches, from the replay's world. */
  function playedMatches(chaos: ChaosFleet): string[] {
    const cup = chaos.replay.world?.competitions.find((candidate) => candidate.uniqueTournamentId === 1002);
    const season = cup?.seasons.find((candidate) => String(candidate.id) === SEASON);
    return (season?.matches ?? []).filter((match) => match.fate === 'played').map((match) => String(match.id));
  }

  async function ingestStages(chaos: ChaosFleet, runId: string) {
    return chaos.stages(runId, 'ingest');
  }

  /** Attempts spent beyond the first, over the run's ingest jobs. */
  async function retriedAttempts(chaos: ChaosFleet, runId: string): Promise<number> {
    return (await ingestStages(chaos, runId)).reduce((sum, stage) => sum + stage.attempt - 1, 0);
  }

  /** The run ended ok, every match ingested, and the data is exactly the clean run's. */
  async function expectCleanEnd(chaos: ChaosFleet, run: Run): Promise<void> {
    expect(run.status, `run ${run.runId}: ${run.error ?? ''}`).toBe('ok');
    expect(run.failedStage).toBeNull();
    expect(run.error).toBeNull();
    const counters = run.counters as RunCounters;
    expect(counters.failedMatches).toEqual([]);
    expect(counters.matches).toBe(15);
    const ingests = await ingestStages(chaos, run.runId);
    expect(ingests).toHaveLength(15);
    expect(ingests.filter((stage) => stage.status !== 'ok')).toEqual([]);
    await expectConverged(chaos, reference);
  }

  it('429 storm: the fleet waits out Retry-After without spending attempts; run ok, clean hash', async () => {
    await withFleet(
      {
        label: 'upstream-429',
        // Eight matches at once: far more than the upstream allows, whatever the machine's speed.
        settings: () => ({
          workers: {
            concurrency: { ingest: 8 },
            shutdownTimeoutMs: 15_000,
            lockDurationMs: 3_000,
            stalledIntervalMs: 1_500,
          },
        }),
      },
      async (chaos) => {
        // The upstream allows 5 requests a second; the fleet's own budget is 200.
        chaos.replay.faults.set({ rateLimit: { ratePerSec: 5, burst: 5 } });
        const runId = await chaos.trigger(SEASON);
        const run = await chaos.finishedRun(runId);
        const served = chaos.replay.accounting.snapshot();
        chaos.replay.faults.set({});

        await expectCleanEnd(chaos, run);
        expect(served.served429).toBeGreaterThan(0);
        // Every 429 paused the fleet: no attempt was spent on one, discover's included.
        expect(await retriedAttempts(chaos, runId)).toBe(0);
        expect((await chaos.stages(runId, 'discover'))[0]?.attempt).toBe(1);
        // Paused, not hammering: most requests got through, and the upstream never served above its rate by much.
        expect(served.served429).toBeLessThan(served.requests - served.served429);
        expect(served.peakServedPer10s).toBeLessThanOrEqual(5 * 10 + 5);
        console.info(
          `[chaos] 429 storm: ${served.requests} requests, ${served.served429} answered 429, no attempt spent`,
        );
      },
    );
  }, 90_000);

  it('5xx burst: failed requests are retried with backoff; run ok, clean hash', async () => {
    await withFleet(
      {
        label: 'upstream-5xx',
        // A backoff that outlasts the burst: five attempts over about 5 s.
        settings: sourceWith({ retry: { attempts: 5, backoffMs: 300, maxBackoffMs: 2000 } }),
      },
      async (chaos) => {
        chaos.replay.faults.set({ errorRate: 0.3, errorStatus: 502 });
        const runId = await chaos.trigger(SEASON);
        // The burst ends once the upstream has failed 15 requests.
        await vi.waitFor(() => expect(chaos.replay.accounting.snapshot().served5xx).toBeGreaterThanOrEqual(15), {
          timeout: 60_000,
          interval: 20,
        });
        chaos.replay.faults.set({});
        const run = await chaos.finishedRun(runId);
        const served = chaos.replay.accounting.snapshot();

        await expectCleanEnd(chaos, run);
        expect(served.byStatus['502']).toBeGreaterThanOrEqual(15);
        // The failures cost attempts (the breaker stayed closed or opened only briefly), and were retried.
        const retried = await retriedAttempts(chaos, runId);
        expect(retried).toBeGreaterThan(0);
        console.info(`[chaos] 5xx burst: ${served.byStatus['502']} answered 502, ${retried} attempt(s) retried`);
      },
    );
  }, 90_000);

  it(
    `outage of ${OUTAGE_MS / 1000} s: the breaker opens, jobs wait instead of failing, the run ends ok after it`,
    async () => {
      await withFleet({ label: 'upstream-outage' }, async (chaos, worker) => {
        chaos.replay.faults.set({ latency: { baseMs: 100, jitterMs: 50 } });
        const runId = await chaos.trigger(SEASON);
        await chaos.waitForIngested(runId, 3);
        chaos.replay.faults.set({ outage: { mode: '503', durationMs: OUTAGE_MS } });
        const outageStarted = Date.now();
        const run = await chaos.finishedRun(runId, OUTAGE_MS + 90_000);
        const outageLasted = Date.now() - outageStarted;
        const served = chaos.replay.accounting.snapshot();
        chaos.replay.faults.set({});

        await expectCleanEnd(chaos, run);
        // The run waited the outage out (it could not have fetched its last matches during it).
        expect(outageLasted).toBeGreaterThanOrEqual(OUTAGE_MS);
        // Only failures while the breaker was still closed cost attempts (about as many as it takes
        // to open it); its probes' failures, one a cooldown all outage long, cost none.
        const retried = await retriedAttempts(chaos, runId);
        const breaker = chaos.config.sources.sofascore?.breaker;
        expect(retried).toBeLessThanOrEqual(2 * (breaker?.consecutiveFailures ?? 0));
        const retry = chaos.config.sources.sofascore?.retry;
        for (const stage of await ingestStages(chaos, runId)) expect(stage.attempt).toBeLessThan(retry?.attempts ?? 0);
        // It opened (5 failures), and its probes kept meeting the outage.
        const failed = served.byStatus['503'] ?? 0;
        expect(failed).toBeGreaterThan(5);
        expect(worker.output()).toMatch(/"from":"closed","to":"open"/);
        expect(worker.output()).toMatch(/"from":"half-open","to":"closed"/);
        console.info(
          `[chaos] outage ${OUTAGE_MS} ms: ${failed} requests answered 503, ${retried} attempt(s) spent, run ok ${Math.round(outageLasted / 1000)} s after it began`,
        );
      });
    },
    OUTAGE_MS + 120_000,
  );

  it('403 challenge: the source stops at once and alerts; the run ends partial listing the unfetched matches', async () => {
    await withFleet(
      {
        label: 'upstream-403',
        settings: (replay) => ({
          ...sourceWith({ breaker: { consecutiveFailures: 5, cooldownMs: 1000, blockedCooldownMs: 600_000 } })?.(
            replay,
          ),
          // Every worker evaluates alerts; often enough here to see the alert while the test runs.
          alerts: { intervalMs: 500 },
        }),
      },
      async (chaos, worker) => {
        chaos.replay.faults.set({ latency: { baseMs: 100, jitterMs: 50 } });
        const runId = await chaos.trigger(SEASON);
        await chaos.waitForIngested(runId, 3);
        chaos.replay.faults.set({ block: true });
        const run = await chaos.finishedRun(runId);
        const served = chaos.replay.accounting.snapshot();

        const ingests = await ingestStages(chaos, runId);
        const fetched = ingests.filter((stage) => stage.status === 'ok').map((stage) => stage.scopeKey);
        const refused = playedMatches(chaos).filter((match) => !fetched.includes(match));
        expect(fetched.length).toBeGreaterThanOrEqual(3);
        expect(refused.length).toBeGreaterThan(0);
        // The run tells the truth: partial, exactly the matches it could not fetch, each failed
        // once (no retry against a block) with the reason.
        expect(run.status, run.error ?? '').toBe('partial');
        const counters = run.counters as RunCounters;
        expect(counters.failedMatches).toEqual([...refused].sort());
        expect(counters.matches).toBe(fetched.length);
        expect(counters.publish).toBe('published');
        for (const stage of ingests.filter((candidate) => candidate.status !== 'ok')) {
          expect(stage).toMatchObject({
            status: 'failed',
            attempt: 1,
            error: expect.stringContaining('upstream-blocked'),
          });
        }
        // Stopped, not hammered: only requests already on their way when the block came met it.
        const met403 = served.byStatus['403'] ?? 0;
        expect(met403).toBeGreaterThan(0);
        expect(met403).toBeLessThanOrEqual(chaos.config.workers.concurrency.ingest);
        expect(worker.output()).toContain('upstream blocked us: source stopped');
        // The alert: blocked:sofascore fires at once (and the partial run its own warning).
        await vi.waitFor(
          async () => {
            const open = await chaos.database.db.select().from(ops.alerts).where(isNull(ops.alerts.resolvedAt));
            expect(open.map((alert) => alert.key)).toEqual(
              expect.arrayContaining(['blocked:sofascore', `run-failed:${CUP.competitionId}.${SEASON}`]),
            );
            expect(open.find((alert) => alert.key === 'blocked:sofascore')?.severity).toBe('critical');
          },
          { timeout: 30_000, interval: 250 },
        );
        const health = await runCli(['health', '--json'], {
          cwd: chaos.workDir,
          env: { DATABASE_URL: chaos.databaseUrl, REDIS_URL: chaos.redisUrl },
        });
        expect(health.code, health.stdout + health.stderr).toBe(1);
        expect(health.stdout).toMatch(/blocked/);

        // Access sorted out with the provider: the block lifts, the operator closes the breaker
        // (here: its blocked cooldown is over), the next run picks the refused matches up.
        chaos.replay.faults.set({});
        const redis = testRedis(chaos.redisUrl, 'chaos-upstream-403-breaker');
        const breaker = new FleetBreaker({
          redis: redis.connect(),
          prefix: chaos.prefix,
          source: CUP.source,
          settings: chaos.config.sources.sofascore?.breaker as ConstructorParameters<
            typeof FleetBreaker
          >[0]['settings'],
        });
        try {
          await breaker.trip('blocked', 1);
          const again = await chaos.finishedRun(await chaos.trigger(SEASON, 'changed'));
          expect(again.status, again.error ?? '').toBe('ok');
          expect((again.counters as RunCounters).matches).toBe(refused.length);
          expect((await breaker.state()).state).toBe('closed');
        } finally {
          await redis.cleanup();
        }
        await expectConverged(chaos, reference);
        console.info(
          `[chaos] 403 challenge: ${met403} request(s) met it, ${refused.length} match(es) failed fast and listed; next run converged`,
        );
      },
    );
  }, 90_000);

  it('malformed payloads: those matches are quarantined and listed, the rest published; the next run converges', async () => {
    await withFleet(
      {
        label: 'upstream-drift',
        // The quality gate fails a build when over 5% of the payloads a run stored broke their
        // contract (docs/quality.md): two broken events and the listing page they appear in are
        // 3 of 55 here. Allow 10%, so the run gets to publish what it has.
        settings: () => ({ quality: { maxQuarantinedRatio: 0.1 } }),
      },
      async (chaos) => {
        const broken = playedMatches(chaos).slice(4, 6).sort();
        chaos.replay.faults.set({ drift: { eventIds: broken.map(Number), mode: 'missing-field' } });
        const runId = await chaos.trigger(SEASON);
        const run = await chaos.finishedRun(runId);

        expect(run.status, run.error ?? '').toBe('partial');
        const counters = run.counters as RunCounters;
        expect(counters.failedMatches).toEqual(broken);
        expect(counters.matches).toBe(13);
        expect(counters.publish).toBe('published');
        const failed = (await ingestStages(chaos, runId)).filter((stage) => stage.status !== 'ok');
        expect(failed.map((stage) => stage.scopeKey).sort()).toEqual(broken);
        for (const stage of failed) {
          // Not retried: asking again gets the same body.
          expect(stage).toMatchObject({
            status: 'failed',
            attempt: 1,
            error: expect.stringContaining('contract-violation'),
          });
        }
        // Each broken event is kept in raw, quarantined with the contract error naming the path; so
        // is the listing page they appear in (discover went on with the rest of it).
        const quarantined = await chaos.database.db
          .select({ key: raw.payloads.key, endpoint: raw.payloads.endpoint, error: raw.payloads.contractError })
          .from(raw.payloads)
          .where(eq(raw.payloads.quarantined, true));
        const events = quarantined.filter((payload) => payload.endpoint === 'event');
        expect(events.map((payload) => payload.key).sort()).toEqual(broken);
        for (const payload of events) expect(payload.error).toMatch(/event\.status/);
        expect(
          quarantined.filter((payload) => payload.endpoint !== 'event').map((payload) => payload.endpoint),
        ).toEqual(['season.events']);
        // Everything else was published: the snapshot differs from the clean one by those matches only.
        const partialLatest = await chaos.latestSnapshot();
        expect(partialLatest?.contentHash).toBeDefined();
        expect(partialLatest?.contentHash).not.toBe(reference.contentHash);
        const [publishStage] = await chaos.database.db
          .select()
          .from(ops.stageRuns)
          .where(and(eq(ops.stageRuns.runId, runId), eq(ops.stageRuns.stage, 'publish')));
        expect(publishStage?.status).toBe('ok');

        chaos.replay.faults.set({});
        const again = await chaos.finishedRun(await chaos.trigger(SEASON, 'changed'));
        expect(again.status, again.error ?? '').toBe('ok');
        expect((again.counters as RunCounters).matches).toBe(broken.length);
        await expectConverged(chaos, reference, { quarantined: quarantined.length });
        console.info(`[chaos] drift: ${broken.join(', ')} quarantined and listed; the next run converged`);
      },
    );
  }, 90_000);

  it('slow bodies: timeouts.bodyMs cuts them off, the jobs retry and wait; run ok once the upstream is back to speed', async () => {
    await withFleet(
      {
        label: 'upstream-slow',
        settings: sourceWith({ timeouts: { connectMs: 2000, headersMs: 2000, bodyMs: 300 } }),
      },
      async (chaos, worker) => {
        chaos.replay.faults.set({ latency: { baseMs: 100, jitterMs: 50 } });
        const runId = await chaos.trigger(SEASON);
        await chaos.waitForIngested(runId, 3);
        // Each body arrives in 4 pieces over 2 s: far past the 300 ms body timeout.
        chaos.replay.faults.set({ slowBody: { totalMs: 2000, chunks: 4 } });
        const timedOut = () =>
          worker
            .output()
            .split('\n')
            .filter((line) => line.includes('"upstream request failed"') && line.includes('UND_ERR_BODY_TIMEOUT'))
            .length;
        // Enough timeouts in a row to open the breaker (5).
        await vi.waitFor(() => expect(timedOut()).toBeGreaterThanOrEqual(8), { timeout: 60_000, interval: 100 });
        expect((await chaos.run(runId))?.status).toBe('running');
        chaos.replay.faults.set({});
        const run = await chaos.finishedRun(runId);

        await expectCleanEnd(chaos, run);
        // Timed-out requests count as failures: the breaker opened rather than let jobs fail.
        expect(worker.output()).toMatch(/"from":"closed","to":"open"/);
        console.info(`[chaos] slow bodies: ${timedOut()} request(s) timed out; run ok after`);
      },
    );
  }, 90_000);
});
