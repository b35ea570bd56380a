import { type Config, type MissedRunPolicy, parseSchedule, type ScheduleSpec } from '@matchflow/config';
import { type Db, ops } from '@matchflow/db';
import type { MaintenanceTask } from '@matchflow/queues';
import { eq, sql } from 'drizzle-orm';
import { defaultStageRegistry } from '../stages/default-registry.js';
import type { StageRegistry } from '../stages/registry.js';

/*
 * The schedules the config asks for, and the record of their last tick (`ops.checkpoints`,
 * `schedule.{id}`): what the missed-run policy compares against and what makes a tick count once.
 */

/** Id of the maintenance schedule (its BullMQ job scheduler's id on the `schedule` queue). */
export const MAINTENANCE_SCHEDULE = 'maintenance';

/**
 * Id of the ops-samples schedule (`scheduler.opsSamples`): each tick enqueues one `sample-ops`
 * maintenance job.
 */
export const OPS_SAMPLES_SCHEDULE = 'ops-samples';

/**
 * What a maintenance tick enqueues, in this order (the maintenance queue works one job at a
 * time): close dead runs first, so run-history retention sees them closed. `freshness` is
 * not here: the alerts evaluate freshness on their own loop.
 */
export const MAINTENANCE_TASKS: readonly MaintenanceTask[] = ['reap-stale-runs', 'retention', 'clean-queues'];

/** One schedule from the config: when it is due and what a tick does. */
export interface Schedule {
  /** The job scheduler's id: `competition.{id}`, `stage.{name}`, `maintenance` or `ops-samples`. */
  id: string;
  target:
    | { kind: 'competition'; competitionId: string }
    | { kind: 'maintenance' }
    | { kind: 'stage'; stage: string }
    | { kind: 'ops-samples' };
  /** As written in the config (`0 * * * *`, `every 30m`). */
  expression: string;
  spec: ScheduleSpec;
  missedRuns: MissedRunPolicy;
}

export function competitionScheduleId(competitionId: string): string {
  return `competition.${competitionId}`;
}

export function stageScheduleId(stage: string): string {
  return `stage.${stage}`;
}

/** `every 1m`, `every 90s`: an interval as the schedule syntax writes it (`every 1500ms` when no unit fits). */
function everyExpression(everyMs: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ];
  const [unit, size] = units.find(([, ms]) => everyMs % ms === 0) ?? ['ms', 1];
  return `every ${everyMs / size}${unit}`;
}

/**
 * Every schedule the config asks for: one per tracked competition, nightly maintenance, one
 * per enabled standalone stage with a schedule (the stage's default unless `stages.<name>` says),
 * and the ops samples unless `scheduler.opsSamples.every` is `off`.
 */
export function desiredSchedules(
  config: Pick<Config, 'competitions' | 'scheduler' | 'stages'>,
  registry: StageRegistry = defaultStageRegistry(),
): Schedule[] {
  const competitions = config.competitions.map(
    (competition): Schedule => ({
      id: competitionScheduleId(competition.id),
      target: { kind: 'competition', competitionId: competition.id },
      expression: competition.schedule,
      spec: parseSchedule(competition.schedule, competition.timezone),
      missedRuns: competition.missedRuns,
    }),
  );
  const { maintenance } = config.scheduler;
  const stages = registry.standalone().flatMap((stage): Schedule[] => {
    const expression = registry.schedule(config, stage);
    if (!expression) return [];
    const settings = registry.settings(config, stage.name);
    return [
      {
        id: stageScheduleId(stage.name),
        target: { kind: 'stage', stage: stage.name },
        expression,
        spec: parseSchedule(expression, settings.timezone),
        missedRuns: settings.missedRuns,
      },
    ];
  });
  const { every } = config.scheduler.opsSamples;
  const samples: Schedule[] =
    every === 'off'
      ? []
      : [
          {
            id: OPS_SAMPLES_SCHEDULE,
            target: { kind: 'ops-samples' },
            expression: everyExpression(every),
            spec: { kind: 'every', everyMs: every },
            // Samples are of the present: ticks missed while nothing ran are not made up.
            missedRuns: 'skip',
          },
        ];
  return [
    ...competitions,
    ...stages,
    {
      id: MAINTENANCE_SCHEDULE,
      target: { kind: 'maintenance' },
      expression: maintenance.schedule,
      spec: parseSchedule(maintenance.schedule, maintenance.timezone),
      missedRuns: maintenance.missedRuns,
    },
    ...samples,
  ];
}

/** The last tick a schedule handled. */
export interface TickRecord {
  /** The due time it stood for (ms since the epoch). */
  dueAt: number;
  /** The BullMQ job that handled it (a retry of that job may handle it again). */
  jobId: string;
  /** When it was handled (ms since the epoch). */
  handledAt: number;
  /** What came of it: `runs`, `maintenance`, `missed-skipped`. */
  outcome?: string;
}

function recordName(scheduleId: string): string {
  return `schedule.${scheduleId}`;
}

export async function readTickRecord(db: Db, scheduleId: string): Promise<TickRecord | undefined> {
  const [row] = await db
    .select({ value: ops.checkpoints.value })
    .from(ops.checkpoints)
    .where(eq(ops.checkpoints.name, recordName(scheduleId)));
  const value = row?.value as Partial<TickRecord> | undefined;
  return typeof value?.dueAt === 'number' ? (value as TickRecord) : undefined;
}

/**
 * Claim a due time for a tick: true when no tick handled this due time (or a later one) yet, or
 * when the claim is this same job's (a retry). Atomic, so of two ticks standing for the same due
 * time (a scheduler tick and a catch-up, or two replicas' catch-ups) exactly one does the work.
 */
export async function claimTick(db: Db, scheduleId: string, record: TickRecord): Promise<boolean> {
  const claimed = await db
    .insert(ops.checkpoints)
    .values({ name: recordName(scheduleId), value: record, updatedAt: sql`now()` })
    .onConflictDoUpdate({
      target: ops.checkpoints.name,
      set: { value: record, updatedAt: sql`now()` },
      setWhere: sql`(${ops.checkpoints.value} ->> 'dueAt')::bigint < ${record.dueAt} OR ${ops.checkpoints.value} ->> 'jobId' = ${record.jobId}`,
    })
    .returning({ name: ops.checkpoints.name });
  return claimed.length > 0;
}

/** Note what a claimed tick came to (for the dashboard and the logs of the next check). */
export async function recordTickOutcome(db: Db, scheduleId: string, jobId: string, outcome: string): Promise<void> {
  await db
    .update(ops.checkpoints)
    .set({ value: sql`${ops.checkpoints.value} || ${JSON.stringify({ outcome })}::jsonb` })
    .where(
      sql`${ops.checkpoints.name} = ${recordName(scheduleId)} AND ${ops.checkpoints.value} ->> 'jobId' = ${jobId}`,
    );
}

/** For tests and repairs: set a schedule's last-tick record as if that tick had been handled. */
export async function writeTickRecord(db: Db, scheduleId: string, record: TickRecord): Promise<void> {
  await db
    .insert(ops.checkpoints)
    .values({ name: recordName(scheduleId), value: record, updatedAt: sql`now()` })
    .onConflictDoUpdate({ target: ops.checkpoints.name, set: { value: record, updatedAt: sql`now()` } });
}
