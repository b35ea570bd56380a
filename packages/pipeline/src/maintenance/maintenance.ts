import type { Config } from '@matchflow/config';
import { type Db, ops } from '@matchflow/db';
import type { MaintenanceTask, Producer } from '@matchflow/queues';
import type { Logger } from '@matchflow/telemetry';
import { sql } from 'drizzle-orm';
import { applySnapshotRetention } from '../publish/publish.js';
import { defaultStageRegistry } from '../stages/default-registry.js';
import type { StageRegistry } from '../stages/registry.js';
import type { StageCounters } from '../store/runs.js';
import { reapStaleRuns } from './reaper.js';
import { cleanQueues, pruneOpsSamples, pruneRawPayloads, pruneRunArtifacts, pruneRunHistory } from './retention.js';
import { sampleOps } from './sample-ops.js';

const DAY_MS = 86_400_000;

export interface MaintenanceDeps {
  db: Db;
  producer: Producer;
  config: Pick<
    Config,
    'retention' | 'runs' | 'publishDir' | 'logDir' | 'redis' | 'sources' | 'competitions' | 'quality' | 'scheduler'
  >;
  logger: Logger;
  /** The stages the fleet runs: their queues are cleaned and sampled (default: `defaultStageRegistry()`). */
  registry?: StageRegistry;
  /** The clock (ms since the epoch); tests move it. */
  now?: () => number;
}

/**
 * Run one maintenance task (DESIGN §4: the maintenance queue, one job at a time):
 *
 * - `reap-stale-runs`: close stale runs and runs whose jobs vanished (`reapStaleRuns`);
 * - `retention`: raw payloads (`pruneRawPayloads`, `retention.rawPayloadsDays`), run history
 *   (`pruneRunHistory`, `retention.runHistoryDays`), snapshots (`applySnapshotRetention`,
 *   `retention.snapshotsKeep`), ops samples (`pruneOpsSamples`, `retention.samplesDays`);
 * - `clean-queues`: completed jobs older than `retention.completedJobsDays`, failed ones older
 *   than `retention.failedJobsDays`, on every queue;
 * - `sample-ops`: one ops sample (`sampleOps`: Redis memory, queue depths, upstream counters,
 *   breakers, freshness, processes) into `ops.samples`;
 * - `freshness`: nothing here (the alerts evaluate freshness on their own loop).
 *
 * The counters are logged, returned (the job's result, shown by Bull Board) and kept in
 * `ops.checkpoints` as `maintenance.{task}` with the time it finished.
 */
export async function runMaintenanceTask(deps: MaintenanceDeps, task: MaintenanceTask): Promise<StageCounters> {
  const { db, producer, config, logger } = deps;
  const now = deps.now?.() ?? Date.now();
  const started = Date.now();
  let counters: StageCounters;
  switch (task) {
    case 'reap-stale-runs': {
      const reaped = await reapStaleRuns({ db, producer, config, logger });
      counters = {
        checked: reaped.checked,
        stale: reaped.closed.filter((run) => run.reason === 'stale').map((run) => run.runId),
        vanished: reaped.closed.filter((run) => run.reason === 'vanished').map((run) => run.runId),
      };
      break;
    }
    case 'retention': {
      const rawPayloads = await pruneRawPayloads(db, {
        olderThan: new Date(now - config.retention.rawPayloadsDays * DAY_MS),
      });
      const runs = await pruneRunHistory(db, { olderThan: new Date(now - config.retention.runHistoryDays * DAY_MS) });
      const snapshots = await applySnapshotRetention({ db, config, logger });
      const runArtifacts = await pruneRunArtifacts(db, {
        logDir: config.logDir,
        olderThan: new Date(now - config.retention.runHistoryDays * DAY_MS),
      });
      const samples = await pruneOpsSamples(db, { olderThan: new Date(now - config.retention.samplesDays * DAY_MS) });
      counters = { rawPayloads, runs, runArtifacts, snapshots: snapshots.length, samples };
      break;
    }
    case 'clean-queues': {
      // The registered stages' queues too: a standalone stage's jobs are kept like the others.
      const stageQueues = Object.fromEntries(
        (deps.registry ?? defaultStageRegistry()).queues().map((name) => [name, producer.queue(name)]),
      );
      const cleaned = await cleanQueues(
        { ...stageQueues, ...producer.queues },
        {
          completedBefore: now - config.retention.completedJobsDays * DAY_MS,
          failedBefore: now - config.retention.failedJobsDays * DAY_MS,
        },
      );
      const values = Object.values(cleaned);
      counters = {
        completed: values.reduce((sum, queue) => sum + queue.completed, 0),
        failed: values.reduce((sum, queue) => sum + queue.failed, 0),
      };
      break;
    }
    case 'freshness':
      counters = { skipped: 'freshness is evaluated by the alerts' };
      break;
    case 'sample-ops': {
      const sampled = await sampleOps({ ...deps, now: () => now });
      counters = {
        sampledAt: sampled.sampledAt.toISOString(),
        samples: sampled.samples,
        written: sampled.written,
        ...(sampled.failed.length > 0 ? { failed: sampled.failed } : {}),
      };
      break;
    }
  }
  const durationMs = Date.now() - started;
  await db
    .insert(ops.checkpoints)
    .values({
      name: `maintenance.${task}`,
      value: { ...counters, durationMs, finishedAt: new Date(now).toISOString() },
    })
    .onConflictDoUpdate({
      target: ops.checkpoints.name,
      set: { value: { ...counters, durationMs, finishedAt: new Date(now).toISOString() }, updatedAt: sql`now()` },
    });
  // A sample a minute would fill the logs: its line is debug, its counters are in the checkpoint.
  if (task === 'sample-ops') logger.debug({ task, ...counters, durationMs }, 'maintenance task done');
  else logger.info({ task, ...counters, durationMs }, 'maintenance task done');
  return counters;
}
