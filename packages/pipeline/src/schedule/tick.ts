import { type Config, nextDue } from '@matchflow/config';
import type { Db } from '@matchflow/db';
import { jobIds, type Producer, type ScheduleTick } from '@matchflow/queues';
import type { Logger } from '@matchflow/telemetry';
import { type RunStart, triggerRun } from '../fleet/trigger.js';
import { reapStaleRuns } from '../maintenance/reaper.js';
import { defaultStageRegistry } from '../stages/default-registry.js';
import type { StageRegistry } from '../stages/registry.js';
import { type StageRunStart, startStageRun } from '../stages/stage-runner.js';
import { claimTick, desiredSchedules, MAINTENANCE_TASKS, recordTickOutcome, type Schedule } from './schedules.js';

export interface TickDeps {
  db: Db;
  producer: Producer;
  config: Pick<Config, 'competitions' | 'scheduler' | 'env' | 'runs' | 'publishDir' | 'retention' | 'stages'>;
  logger: Logger;
  /** The stages whose schedules tick (default: `defaultStageRegistry()`). */
  registry?: StageRegistry;
  /** The clock (ms since the epoch); tests move it. */
  now?: () => number;
}

export interface TickJob {
  tick: ScheduleTick;
  /** The BullMQ job id: `repeat:{schedule}:{millis}` for a scheduler's tick. */
  jobId: string;
  /** When the tick was due (ms since the epoch); see `tickDueAt`. */
  dueAt: number;
}

export type TickResult =
  /** The schedule is no longer in this process's config (removed since the tick was made). */
  | { outcome: 'unknown-schedule' }
  /** Another tick already stood for this due time (or a later one). */
  | { outcome: 'duplicate' }
  /** A missed tick under `missedRuns: skip`: nothing started. */
  | { outcome: 'missed-skipped'; lateMs: number }
  | {
      outcome: 'runs';
      missed: boolean;
      runs: Array<{ season: string } & RunStart>;
      /** Runs of these seasons the reaper closed first (their jobs had vanished, or they were stale). */
      reaped: string[];
    }
  | { outcome: 'maintenance'; missed: boolean; jobs: string[] }
  /** An ops-samples tick: the `sample-ops` job it enqueued. */
  | { outcome: 'samples'; job: string }
  | { outcome: 'stage'; missed: boolean; stage: string; run: StageRunStart };

/**
 * When a tick job was due: a catch-up says so; a scheduler's tick has it in its id
 * (`repeat:{scheduler}:{millis}`, BullMQ's format); otherwise the job's creation time.
 */
export function tickDueAt(tick: ScheduleTick, job: { id?: string | undefined; timestamp: number }): number {
  if (tick.dueAt !== undefined) return tick.dueAt;
  const millis = /:(\d+)$/.exec(job.id ?? '')?.[1];
  return millis ? Number(millis) : job.timestamp;
}

/**
 * Handle one tick of a schedule. The tick first claims its due time (so a scheduler tick and a
 * catch-up for the same time, or a retry, start nothing twice). A tick handled more than half a
 * period after it was due, or a catch-up, counts as **missed**: under `missedRuns: skip` it starts
 * nothing (the next tick will), under `once` it runs now; either way it is logged.
 *
 * A competition's tick closes dead runs of its seasons (jobs vanished, or stale; see
 * `reapStaleRuns`), then starts a `changed` run per season through `triggerRun` with trigger
 * `schedule`, so the overlap policy applies as for the CLI. The maintenance tick enqueues the
 * maintenance tasks (`MAINTENANCE_TASKS`), with ids of this due time. An ops-samples tick
 * enqueues one `sample-ops` job, late or not (a sample reads the present).
 */
export async function handleTick(deps: TickDeps, job: TickJob): Promise<TickResult> {
  const { db, logger } = deps;
  const now = deps.now?.() ?? Date.now();
  const registry = deps.registry ?? defaultStageRegistry();
  const schedule = desiredSchedules(deps.config, registry).find((candidate) => candidate.id === job.tick.schedule);
  if (!schedule) {
    logger.warn({ schedule: job.tick.schedule }, 'tick of a schedule not in the config: ignored');
    return { outcome: 'unknown-schedule' };
  }
  const periodMs = nextDue(schedule.spec, job.dueAt) - job.dueAt;
  const lateMs = Math.max(0, now - job.dueAt);
  const missed = job.tick.catchUp === true || lateMs > periodMs / 2;
  const context = {
    schedule: schedule.id,
    dueAt: new Date(job.dueAt).toISOString(),
    lateMs,
    missedRuns: schedule.missedRuns,
  };
  if (!(await claimTick(db, schedule.id, { dueAt: job.dueAt, jobId: job.jobId, handledAt: now }))) {
    logger.info(context, 'tick already handled for this due time: nothing to do');
    return { outcome: 'duplicate' };
  }
  if (schedule.target.kind === 'ops-samples') {
    // A sample reads the present, so a late tick samples as an early one would: no missed-tick
    // policy, and no log line a minute.
    const id = jobIds.maintenance('sample-ops', job.dueAt);
    await deps.producer.enqueueMaintenance({ task: 'sample-ops' }, id);
    return { outcome: 'samples', job: id };
  }
  if (missed && schedule.missedRuns === 'skip') {
    logger.warn(
      { ...context, nextAt: new Date(nextDue(schedule.spec, now)).toISOString() },
      'missed tick skipped (missedRuns: skip): waiting for the next tick',
    );
    await recordTickOutcome(db, schedule.id, job.jobId, 'missed-skipped');
    return { outcome: 'missed-skipped', lateMs };
  }
  if (missed) logger.warn(context, 'missed tick: catching up once (missedRuns: once)');
  const result =
    schedule.target.kind === 'competition'
      ? await startCompetitionRuns(deps, schedule, schedule.target.competitionId, missed)
      : schedule.target.kind === 'stage'
        ? await startScheduledStageRun(deps, registry, schedule.target.stage, missed)
        : await enqueueMaintenance(deps, job.dueAt, missed);
  await recordTickOutcome(db, schedule.id, job.jobId, result.outcome);
  return result;
}

async function startCompetitionRuns(
  deps: TickDeps,
  schedule: Schedule,
  competitionId: string,
  missed: boolean,
): Promise<TickResult> {
  const { db, producer, config, logger } = deps;
  const competition = config.competitions.find((candidate) => candidate.id === competitionId);
  if (!competition) return { outcome: 'unknown-schedule' };
  // After a Redis flush a run whose jobs are gone would make every tick skip its season until
  // it goes stale (hours): close such runs first.
  const reaped = await reapStaleRuns(
    { db, producer, config, logger },
    { scopes: competition.seasons.map((season) => ({ competitionId, season })) },
  );
  const runs: Array<{ season: string } & RunStart> = [];
  for (const season of competition.seasons) {
    const started = await triggerRun(
      { db, producer, config },
      { competitionId, season, mode: 'changed', trigger: 'schedule' },
    );
    runs.push({ season, ...started });
  }
  logger.info(
    {
      schedule: schedule.id,
      started: runs.filter((run) => run.outcome === 'started').map((run) => run.season),
      skipped: runs.filter((run) => run.outcome === 'skipped').map((run) => run.season),
      reaped: reaped.closed.length,
    },
    'scheduled runs triggered',
  );
  return { outcome: 'runs', missed, runs, reaped: reaped.closed.map((run) => run.runId) };
}

/** A standalone stage's tick: one run of it, under the same overlap policy as the CLI's. */
async function startScheduledStageRun(
  deps: TickDeps,
  registry: StageRegistry,
  stage: string,
  missed: boolean,
): Promise<TickResult> {
  const run = await startStageRun(
    { db: deps.db, producer: deps.producer, config: deps.config, registry },
    { stage, trigger: 'schedule' },
  );
  deps.logger.info({ stage, ...run }, 'scheduled stage run triggered');
  return { outcome: 'stage', missed, stage, run };
}

async function enqueueMaintenance(deps: TickDeps, dueAt: number, missed: boolean): Promise<TickResult> {
  const jobs: string[] = [];
  for (const task of MAINTENANCE_TASKS) {
    const id = jobIds.maintenance(task, dueAt);
    await deps.producer.enqueueMaintenance({ task }, id);
    jobs.push(id);
  }
  deps.logger.info({ jobs }, 'maintenance enqueued');
  return { outcome: 'maintenance', missed, jobs };
}
