import { ops } from '@matchflow/db';
import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ChaosFleet,
  type CleanReference,
  expectConverged,
  type FleetProcess,
  referenceRun,
  serverUrl,
} from './support/chaos-fleet.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

/*
 * Chaos 4 (issue 9): PostgreSQL goes away from under real worker processes in the middle of a
 * run, and comes back.
 *
 * - Connection dropped: the workers reach the database through a TCP proxy (support/tcp-proxy.ts).
 *   Mid-ingest the proxy destroys every open connection and refuses new ones for 4 s, as a
 *   network failure or a server that went down would.
 * - Database restarted: the PostgreSQL server is shared with other tests and cannot be
 *   restarted. What its clients see of a restart is simulated on the test's own database only:
 *   every backend connected to it (the workers' and the test's, never another database's) is
 *   terminated with `pg_terminate_backend` (SQLSTATE 57P01, "terminating connection due to
 *   administrator command", exactly what a shutdown sends), again and again for 4 s, so that
 *   every reconnect made meanwhile is cut too, as while a server is going down and starting up.
 *
 * Jobs that hit the outage are handed back without spending attempts and the queue holds for a
 * moment (toBullmqError: database unavailable), so however long the outage the run converges to
 * `ok`, with the clean run's content hash and every zone as the clean run left it.
 */

if (!serverUrl) console.info('[chaos] TEST_DATABASE_URL is not set: the chaos suite is skipped');

const SEASON = '50011';
const OUTAGE_MS = 4_000;

describe.skipIf(!serverUrl)('chaos: the database goes away mid-run', () => {
  let reference: CleanReference;
  let fleet: ChaosFleet | undefined;
  let proxy: TcpProxy | undefined;

  beforeAll(async () => {
    reference = await referenceRun('db-reference', [SEASON]);
  });
  afterEach(async (context) => {
    fleet?.reportOnFailure(context);
    await fleet?.close();
    fleet = undefined;
    await proxy?.close();
    proxy = undefined;
  });
  afterAll(async () => {
    await fleet?.close();
    await proxy?.close();
  });

  /** The run ended ok with every stage done once and the clean run's published bytes and zones. */
  async function expectRunConverged(chaos: ChaosFleet, runId: string): Promise<void> {
    const run = await chaos.finishedRun(runId);
    expect(run.status, run.error ?? '').toBe('ok');
    const ingests = await chaos.stages(runId, 'ingest');
    expect(ingests).toHaveLength(15);
    expect(ingests.every((stage) => stage.status === 'ok')).toBe(true);
    for (const stage of ['discover', 'ratings', 'build', 'publish']) {
      expect((await chaos.stages(runId, stage)).map((row) => row.status)).toEqual(['ok']);
    }
    await expectConverged(chaos, reference);
  }

  /** The workers lived through it; jobs that hit the outage were handed back, not failed. */
  async function expectWaitedForTheDatabase(chaos: ChaosFleet, runId: string, workers: FleetProcess[]) {
    for (const worker of workers) expect(worker.child.exitCode, worker.output().slice(-2_000)).toBeNull();
    const output = workers.map((worker) => worker.output()).join('');
    const handedBack = output.match(/database unavailable: job handed back/g)?.length ?? 0;
    expect(handedBack).toBeGreaterThan(0);
    expect(output).not.toMatch(/could not record a failed job/);
    // Waiting for the database spent no attempt: every stage ran on its first.
    const stages = await chaos.database.db.select().from(ops.stageRuns).where(eq(ops.stageRuns.runId, runId));
    expect(stages.filter((stage) => stage.attempt !== 1)).toEqual([]);
    const driverTrips = output.match(/database driver wrote to a closed connection/g)?.length ?? 0;
    const lostTransactions = output.match(/database connection lost under a transaction/g)?.length ?? 0;
    const replaced = output.match(/replacing the database connection pool/g)?.length ?? 0;
    console.info(
      `[chaos] ${handedBack} job(s) handed back while the database was away; pool replaced ${replaced} time(s); ` +
        `postgres.js faults survived: ${driverTrips} write(s) after close, ${lostTransactions} late transaction rejection(s)`,
    );
  }

  it('connection dropped: jobs wait for the database, the run converges to ok', async () => {
    proxy = await startTcpProxy();
    fleet = await ChaosFleet.start({ label: 'db-cut' });
    const chaos = fleet;
    const viaProxy = { DATABASE_URL: proxy.urlFor(chaos.databaseUrl) };
    const workers = [chaos.startWorker({ env: viaProxy }), chaos.startWorker({ env: viaProxy })];
    const runId = await chaos.runUnderWay(SEASON);

    expect(proxy.open()).toBeGreaterThan(0);
    await proxy.cut(OUTAGE_MS);
    expect(proxy.counters.dropped).toBeGreaterThan(0);
    expect((await chaos.stages(runId, 'ingest')).filter((stage) => stage.status === 'ok').length).toBeLessThan(15);
    chaos.replay.faults.set({});

    await expectRunConverged(chaos, runId);
    await expectWaitedForTheDatabase(chaos, runId, workers);
    // Fresh connections were made once the proxy served again.
    expect(proxy.counters.accepted).toBeGreaterThan(proxy.counters.dropped);
  }, 90_000);

  it('database restarted (every backend of our database terminated for 4 s): the run converges to ok', async () => {
    fleet = await ChaosFleet.start({ label: 'db-restart' });
    const chaos = fleet;
    const workers = [chaos.startWorker(), chaos.startWorker()];
    const runId = await chaos.runUnderWay(SEASON);

    let terminated = 0;
    const until = Date.now() + OUTAGE_MS;
    while (Date.now() < until) {
      try {
        // Only the backends of this test's own database, the test's own pool included (as a
        // restart would), but not the connection asking.
        const killed = (await chaos.database.db.execute(sql`
          SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()`)) as unknown as unknown[];
        terminated += killed.length;
      } catch {
        // The pool's connection was one terminated a moment ago: the next round takes a new one.
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(terminated).toBeGreaterThan(0);
    chaos.replay.faults.set({});
    // The test's own pool lost its connections too; its next query reconnects.
    await vi.waitFor(() => chaos.database.db.execute(sql`SELECT 1`), { timeout: 10_000 });

    await expectRunConverged(chaos, runId);
    await expectWaitedForTheDatabase(chaos, runId, workers);
  }, 90_000);
});
