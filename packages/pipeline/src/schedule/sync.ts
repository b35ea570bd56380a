import { type Config, dueTimesBetween, nextDue, previousDue } from '@matchflow/config';
import type { Db } from '@matchflow/db';
import { JOBS, jobIds, type Producer } from '@matchflow/queues';
import type { Logger } from '@matchflow/telemetry';
import type { JobSchedulerJson } from 'bullmq';
import { desiredSchedules, readTickRecord, type Schedule } from './schedules.js';

export interface SyncDeps {
  config: Pick<Config, 'competitions' | 'scheduler' | 'stages'>;
  db: Db;
  producer: Producer;
  logger: Logger;
  /** The clock (ms since the epoch); tests move it. */
  now?: () => number;
}

export interface SyncResult {
  /** Schedulers that did not exist in Redis (new in the config, or lost with Redis). */
  created: string[];
  /** Schedulers whose timing changed in the config. */
  updated: string[];
  unchanged: string[];
  /** Schedulers no longer in the config. */
  removed: string[];
  /** Schedules that missed ticks and got one catch-up tick (`missedRuns: once`). */
  catchUps: string[];
  /** Schedules that missed ticks and wait for the next one (`missedRuns: skip`). */
  missedSkipped: string[];
  /** Schedules that could not be applied this time (tried again at the next sync). */
  failed: string[];
}

/**
 * Make the job schedulers on the `schedule` queue equal to the config: upsert each configured
 * schedule whose scheduler is missing or different, remove every other scheduler on that queue
 * (the queue holds only ours). Safe with any number of scheduler replicas at once: BullMQ
 * upserts and removes atomically, an unchanged scheduler is left alone, and a catch-up tick has
 * one id per schedule and due time.
 *
 * A scheduler that was missing although its schedule has ticked before (`ops.checkpoints`) was
 * lost with Redis (flushed, restarted without persistence), and the ticks due meanwhile never
 * happened: the schedule's missed-run policy decides (`once`: enqueue one catch-up tick now;
 * `skip`: wait for the next tick), logged either way. Ticks missed while the scheduler existed
 * (workers down) wait in Redis and are judged when handled (`handleTick`).
 */
export async function syncSchedules(deps: SyncDeps): Promise<SyncResult> {
  const { producer, logger } = deps;
  const queue = producer.queues.schedule;
  const result: SyncResult = {
    created: [],
    updated: [],
    unchanged: [],
    removed: [],
    catchUps: [],
    missedSkipped: [],
    failed: [],
  };
  const wanted = desiredSchedules(deps.config);
  const existing = new Map((await queue.getJobSchedulers(0, -1)).map((scheduler) => [scheduler.key, scheduler]));
  for (const schedule of wanted) {
    const current = existing.get(schedule.id);
    if (current && matches(current, schedule)) {
      result.unchanged.push(schedule.id);
      continue;
    }
    try {
      await producer.upsertTickScheduler(schedule.id, repeatOptions(schedule, deps.now?.() ?? Date.now()), {
        schedule: schedule.id,
      });
      (current ? result.updated : result.created).push(schedule.id);
      logger.info(
        { schedule: schedule.id, expression: schedule.expression, created: !current },
        current ? 'schedule updated' : 'schedule created',
      );
      // Samples are of the present: ticks the ops samples missed are neither made up nor reported.
      if (!current && schedule.target.kind !== 'ops-samples') await checkMissedTicks(deps, schedule, result);
    } catch (error) {
      result.failed.push(schedule.id);
      logger.error({ err: error, schedule: schedule.id }, 'could not apply a schedule: trying again at the next sync');
    }
  }
  const wantedIds = new Set(wanted.map((schedule) => schedule.id));
  for (const id of existing.keys()) {
    if (wantedIds.has(id)) continue;
    // Several replicas may remove the same one: only the first finds it.
    await queue.removeJobScheduler(id);
    result.removed.push(id);
    logger.info({ schedule: id }, 'schedule removed: no longer in the config');
  }
  return result;
}

/**
 * BullMQ repeat options. An interval starts at its next multiple of `everyMs` since the epoch
 * (BullMQ would otherwise tick at once and then at that odd phase), so its due times are the
 * ones `previousDue`/`nextDue` compute, as a cron schedule's are.
 */
function repeatOptions(schedule: Schedule, now: number) {
  return schedule.spec.kind === 'cron'
    ? { pattern: schedule.spec.pattern, tz: schedule.spec.timezone }
    : { every: schedule.spec.everyMs, startDate: nextDue(schedule.spec, now) };
}

/** Whether the scheduler in Redis already ticks as the schedule says. */
function matches(current: JobSchedulerJson, schedule: Schedule): boolean {
  const timing =
    schedule.spec.kind === 'cron'
      ? current.pattern === schedule.spec.pattern && current.tz === schedule.spec.timezone && !current.every
      : current.every === schedule.spec.everyMs && !current.pattern;
  const data = current.template?.data as { schedule?: unknown; dueAt?: unknown } | undefined;
  return timing && current.name === JOBS.schedule && data?.schedule === schedule.id && data.dueAt === undefined;
}

async function checkMissedTicks(deps: SyncDeps, schedule: Schedule, result: SyncResult): Promise<void> {
  const record = await readTickRecord(deps.db, schedule.id);
  // Never ticked: a new schedule, nothing was missed.
  if (!record) return;
  const now = deps.now?.() ?? Date.now();
  const lastDue = previousDue(schedule.spec, now);
  if (lastDue <= record.dueAt) return;
  const context = {
    schedule: schedule.id,
    missedTicks: dueTimesBetween(schedule.spec, record.dueAt, now),
    lastTickAt: new Date(record.dueAt).toISOString(),
    missedRuns: schedule.missedRuns,
  };
  if (schedule.missedRuns === 'skip') {
    result.missedSkipped.push(schedule.id);
    deps.logger.warn(
      { ...context, nextAt: new Date(nextDue(schedule.spec, now)).toISOString() },
      'missed ticks skipped (missedRuns: skip): waiting for the next tick',
    );
    return;
  }
  await deps.producer.enqueueTick(
    { schedule: schedule.id, dueAt: lastDue, catchUp: true },
    jobIds.tick(schedule.id, lastDue),
  );
  result.catchUps.push(schedule.id);
  deps.logger.warn(context, 'missed ticks: one catch-up tick enqueued (missedRuns: once)');
}
