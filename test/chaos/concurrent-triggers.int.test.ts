import { ops } from '@matchflow/db';
import { defaultStageRegistry } from '@matchflow/pipeline';
import { QUEUES } from '@matchflow/queues';
import { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { ChaosFleet, CUP, cleanReference, serverUrl, zoneFingerprint } from './support/chaos-fleet.js';

/*
 * Chaos 7 (issue 9): two scheduler processes with the same schedule and two `matchflow run`
 * commands started at the same moment all trigger the same scope (a cup season), with two
 * worker processes handling the ticks. Under `runs.overlap: skip` (the default) there is one run
 * of the scope at a time: every other trigger is skipped (the CLI says so and exits 0,
 * docs/cli.md; a tick logs the season as skipped, docs/scheduling.md) or loses the race for the
 * scope's discover job and leaves no run behind. The end state equals a clean run's.
 */

if (!serverUrl) console.info('[chaos] TEST_DATABASE_URL is not set: the chaos suite is skipped');

const SEASON = '50011';
/** Ticks every 3 s (multiples of 3 s since the epoch): several land while a run is going. */
const SCHEDULE = 'every 3s';

describe.skipIf(!serverUrl)('chaos: concurrent triggers of one scope', () => {
  let fleet: ChaosFleet | undefined;

  afterAll(async () => {
    await fleet?.close();
  });

  async function scopeRuns(chaos: ChaosFleet) {
    const runs = await chaos.database.db
      .select()
      .from(ops.pipelineRuns)
      .where(
        sql`${ops.pipelineRuns.scope} ->> 'competitionId' = ${CUP.competitionId} AND ${ops.pipelineRuns.scope} ->> 'season' = ${SEASON}`,
      );
    return runs.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  }

  it('two schedulers and two CLIs at once: one run at a time, the others skipped; the end state is a clean run', async () => {
    const chaos = await ChaosFleet.start({
      label: 'concurrent',
      settings: () => ({
        competitions: [
          {
            id: CUP.competitionId,
            source: CUP.source,
            competition: 1002,
            seasons: [Number(SEASON)],
            ratingPool: 'football',
            schedule: SCHEDULE,
          },
        ],
      }),
    });
    fleet = chaos;
    const redisUrl = new URL(chaos.redisUrl);
    const reference = await cleanReference(chaos, [SEASON]);
    // Slow answers make the first run last several ticks.
    chaos.replay.faults.set({ latency: { baseMs: 250, jitterMs: 100 } });
    const workers = [chaos.startWorker(), chaos.startWorker()];
    const schedulers = [chaos.startScheduler(), chaos.startScheduler()];

    // Both commands at the same moment, while the schedulers tick.
    const env = { DATABASE_URL: chaos.databaseUrl, REDIS_URL: chaos.redisUrl };
    const args = ['run', '--competition', CUP.competitionId, '--season', SEASON, '--full'];
    const clis = await Promise.all([
      runCli(args, { cwd: chaos.workDir, env }),
      runCli(args, { cwd: chaos.workDir, env }),
    ]);
    for (const cli of clis) expect(cli.code, cli.stdout + cli.stderr).toBe(0);
    const started = clis.filter((cli) => /^run \S+ started$/m.test(cli.stdout));
    const skipped = clis.filter((cli) => / is still going \(run-\S+\): skipped$/m.test(cli.stdout));
    // At most one of them started a run; the other was told a run is going, naming it.
    expect(started.length).toBeLessThanOrEqual(1);
    expect(started.length + skipped.length).toBe(2);

    // The first run finishes, and ticks after it find nothing changed.
    await vi.waitFor(
      async () => {
        const runs = await scopeRuns(chaos);
        const done = runs.filter((run) => run.status !== 'running');
        expect(done.length).toBeGreaterThanOrEqual(3);
      },
      { timeout: 90_000, interval: 250 },
    );
    // Stop the triggers: the job scheduler stays in Redis and ticks on without the scheduler
    // processes (docs/scheduling.md), so pause the schedule queue; then let any run going end.
    for (const scheduler of schedulers) scheduler.child.kill('SIGTERM');
    for (const scheduler of schedulers) expect(await scheduler.exited).toEqual({ code: 0, signal: null });
    const paused = await runCli(['queue', 'pause', 'schedule'], { cwd: chaos.workDir, env });
    expect(paused.code, paused.stdout + paused.stderr).toBe(0);
    const schedule = new Queue(QUEUES.schedule, {
      connection: { host: redisUrl.hostname, port: Number(redisUrl.port) },
      prefix: chaos.prefix,
    });
    try {
      // A tick taken before the pause may still be starting its run.
      await vi.waitFor(async () => expect((await schedule.getJobCounts('active')).active).toBe(0), {
        timeout: 30_000,
        interval: 100,
      });
      // Both replicas upserted the same schedulers: one per schedule (the cup's, maintenance, the
      // ops samples and each registered standalone stage's).
      expect(await schedule.getJobSchedulersCount()).toBe(3 + defaultStageRegistry().standalone().length);
    } finally {
      await schedule.close();
    }
    await vi.waitFor(
      async () => expect((await scopeRuns(chaos)).filter((run) => run.status === 'running')).toEqual([]),
      { timeout: 60_000, interval: 250 },
    );

    const runs = await scopeRuns(chaos);
    // One run at a time: no two runs of the scope were ever running together.
    for (let index = 1; index < runs.length; index += 1) {
      const previous = runs[index - 1];
      const run = runs[index];
      expect(previous?.finishedAt?.getTime() ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(
        run?.startedAt.getTime() ?? 0,
      );
    }
    // Each run ended ok; exactly one ingested the season, the others found nothing changed.
    expect(runs.map((run) => run.status)).toEqual(runs.map(() => 'ok'));
    const working = runs.filter((run) => ((run.counters as { matches?: number }).matches ?? 0) > 0);
    expect(working).toHaveLength(1);
    expect((working[0]?.counters as { matches?: number } | undefined)?.matches).toBe(15);
    // A skipped command named the run that was going.
    for (const cli of skipped) {
      const named = / is still going \((run-\S+)\): skipped$/m.exec(cli.stdout)?.[1];
      expect(runs.map((run) => run.runId)).toContain(named);
    }
    // The schedulers' ticks: every due time handled once, seasons skipped while a run was going.
    for (const scheduler of schedulers) expect(scheduler.output()).toContain('"msg":"scheduler started"');
    const logs = workers.map((worker) => worker.output()).join('\n');
    expect(logs).toMatch(/"skipped":\["50011"\][^\n]*"scheduled runs triggered"/);
    // The runs: the command's (if it came first), then the schedule's.
    expect(runs.filter((run) => run.trigger === 'cli')).toHaveLength(started.length);
    expect(runs.filter((run) => run.trigger === 'schedule').length).toBeGreaterThanOrEqual(2);

    const latest = await chaos.latestSnapshot();
    expect(latest?.contentHash).toBe(reference.contentHash);
    const fingerprint = await zoneFingerprint(chaos.database.db);
    expect(fingerprint).toEqual(reference.fingerprint);
    console.info(
      `[chaos] concurrent triggers: ${runs.length} run(s) one after another (${started.length} from a CLI), ${skipped.length} CLI(s) skipped: ${clis.map((cli) => cli.stdout.trim()).join(' | ')}`,
    );
  }, 150_000);
});
