import { z } from 'zod';

/*
 * The catalog every producer and consumer shares: queue names, job names, payload schemas and
 * job ids. Processors live elsewhere; this package never imports them.
 */

export const QUEUES = {
  discover: 'discover',
  ingest: 'ingest',
  ratings: 'ratings',
  build: 'build',
  maintenance: 'maintenance',
  /** Ticks of the job schedulers (docs/scheduling.md): each becomes runs or maintenance jobs. */
  schedule: 'schedule',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** Job names say what happens. */
export const JOBS = {
  discover: 'season.discover',
  ingest: 'match.ingest',
  ratings: 'pool.rate',
  build: 'season.build',
  maintenance: 'fleet.maintain',
  schedule: 'schedule.tick',
} as const;

const slug = z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a config name: lowercase letters, digits and -');
const upstreamId = z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be an upstream id: letters, digits, _ and -');
/**
 * Competition and season ids may also hold inner dots: openfootball names its files after the
 * country and division (`en.1`). Match ids may not: the fleet reads them back out of ingest job ids.
 */
const upstreamScopeId = z
  .string()
  .regex(/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/, 'must be an upstream id: letters, digits, _, - and inner dots');
export const RunId = z.string().regex(/^run-[a-z0-9-]+$/, "must look like 'run-…'");
export type RunId = z.output<typeof RunId>;

/** Why a run happens: scheduled work, an operator, or a backfill (which must not starve the schedule). */
export const Trigger = z.enum(['schedule', 'cli', 'backfill', 'start']);
export type Trigger = z.output<typeof Trigger>;

/** What one run covers: one competition-season of one source. */
const Scope = {
  runId: RunId,
  source: slug,
  /** Our config id of the competition. */
  competitionId: slug,
  /** The upstream's ids. */
  competition: upstreamScopeId,
  season: upstreamScopeId,
};

/** Most matches one discover job may name (`matchflow backfill --matches`): payloads stay small. */
export const MAX_SELECTED_MATCHES = 10_000;

export const DiscoverJob = z
  .strictObject({
    ...Scope,
    /** `changed`: only new or changed matches; `full`: every match of the season. */
    mode: z.enum(['changed', 'full']),
    trigger: Trigger,
    /** Only these upstream match ids of the season (a backfill's `--matches`). */
    matches: z.array(upstreamId).min(1).max(MAX_SELECTED_MATCHES).optional(),
    /** Only matches starting at or after this time (ISO 8601 UTC; a backfill's `--from`). */
    from: z.iso.datetime().optional(),
    /** Only matches starting before this time (ISO 8601 UTC, exclusive; a backfill's `--to`). */
    to: z.iso.datetime().optional(),
  })
  .refine((job) => job.from === undefined || job.to === undefined || Date.parse(job.from) < Date.parse(job.to), {
    message: 'from must be before to',
    path: ['to'],
  });
export type DiscoverJob = z.output<typeof DiscoverJob>;

export const IngestJob = z.strictObject({
  ...Scope,
  match: upstreamId,
  trigger: Trigger,
});
export type IngestJob = z.output<typeof IngestJob>;

export const RatingsJob = z.strictObject({
  runId: RunId,
  pool: slug,
});
export type RatingsJob = z.output<typeof RatingsJob>;

export const BuildJob = z.strictObject({
  ...Scope,
  pool: slug,
  trigger: Trigger,
});
export type BuildJob = z.output<typeof BuildJob>;

/**
 * What a maintenance job does: the nightly `reap-stale-runs`, `retention` and `clean-queues`;
 * `sample-ops` (every minute by default) records the ops samples (`ops.samples`); `freshness`
 * does nothing (the alerts evaluate freshness on their own loop).
 */
export const MaintenanceTask = z.enum(['retention', 'freshness', 'reap-stale-runs', 'clean-queues', 'sample-ops']);
export type MaintenanceTask = z.output<typeof MaintenanceTask>;

export const MaintenanceJob = z.strictObject({
  task: MaintenanceTask,
});
export type MaintenanceJob = z.output<typeof MaintenanceJob>;

/** A schedule's id: `competition.{id}` or `maintenance` (BullMQ scheduler ids may not hold `:`). */
export const ScheduleId = z
  .string()
  .regex(/^[a-z][a-z0-9.-]*$/, 'must be a schedule id: lowercase letters, digits, . and -');

/**
 * One tick of a schedule. The job scheduler's ticks carry only `schedule` (their due time is in
 * the job id BullMQ gives them); a catch-up tick for missed ones carries the due time it stands
 * for and `catchUp`.
 */
export const ScheduleTick = z.strictObject({
  schedule: ScheduleId,
  /** The due time this tick stands for (ms since the epoch). */
  dueAt: z.number().int().nonnegative().optional(),
  catchUp: z.boolean().optional(),
});
export type ScheduleTick = z.output<typeof ScheduleTick>;

/** How much one run of a standalone stage may do (see the stage registry in packages/pipeline). */
export const StageBudgetPayload = z.strictObject({
  batchSize: z.number().int().positive(),
  maxItems: z.number().int().positive(),
  maxRuntimeMs: z.number().int().positive(),
});

/**
 * A run of a standalone stage (`matchflow stage run`, its schedule, or a step of a run flow):
 * which stage, over what scope, within what budget. Every standalone stage's payload is this
 * shape; the stage's queue and job name come from its registry entry.
 */
export const StageJob = z.strictObject({
  runId: RunId,
  stage: slug,
  /** What the stage runs over, as the stage reads it (`all` for everything). */
  scope: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, _, - and .')
    .max(200),
  trigger: Trigger,
  dryRun: z.boolean(),
  budget: StageBudgetPayload,
});
export type StageJob = z.output<typeof StageJob>;

export const PAYLOADS = {
  discover: DiscoverJob,
  ingest: IngestJob,
  ratings: RatingsJob,
  build: BuildJob,
  maintenance: MaintenanceJob,
  schedule: ScheduleTick,
} as const;

/**
 * Job ids are the dedup keys (DESIGN §4). BullMQ rejects integer-looking ids and ids with `:`,
 * so segments are joined with `.` and every id starts with its queue's name.
 */
export const jobIds = {
  /** One discover per scope in flight: an overlapping tick finds the id taken. */
  discover: (job: Pick<DiscoverJob, 'source' | 'competition' | 'season'>) =>
    id('discover', job.source, job.competition, job.season),
  ingest: (job: Pick<IngestJob, 'source' | 'match' | 'runId'>) => id('ingest', job.source, job.match, job.runId),
  ratings: (job: RatingsJob) => id('ratings', job.pool, job.runId),
  build: (job: Pick<BuildJob, 'runId' | 'competition' | 'season'>) =>
    id('build', job.runId, job.competition, job.season),
  /** A catch-up tick: one per schedule and due time, however many scheduler replicas add it. */
  tick: (schedule: string, dueAt: number) => id('schedule', schedule, `t${dueAt}`),
  /** One run of a standalone stage: fixed per run, so re-adding it (a retried trigger) is a no-op. */
  stage: (job: Pick<StageJob, 'stage' | 'runId'>) => id('stage', job.stage, job.runId),
  /** A maintenance task of one maintenance tick: a retried tick adds nothing twice. */
  maintenance: (task: MaintenanceTask, dueAt: number) => id('maintenance', task, `t${dueAt}`),
};

function id(...segments: string[]): string {
  return segments.map((segment) => segment.replaceAll(':', '-')).join('.');
}

/** A new run id: sortable by time, unique across the fleet. */
export function newRunId(now = new Date(), random: () => number = Math.random): RunId {
  const stamp = now
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .toLowerCase();
  const suffix = Math.floor(random() * 36 ** 6)
    .toString(36)
    .padStart(6, '0');
  return `run-${stamp}-${suffix}`;
}
