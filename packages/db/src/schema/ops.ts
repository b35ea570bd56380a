import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/** Ops zone: what ran, when, how it went, and where each stage got to. */
export const opsZone = pgSchema('ops');

export const RUN_STATUSES = ['running', 'ok', 'partial', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const pipelineRuns = opsZone.table(
  'pipeline_runs',
  {
    runId: text('run_id').primaryKey(),
    /** `schedule`, `cli`, `backfill`, ... */
    trigger: text('trigger').notNull(),
    /** Which competitions and seasons the run covers. */
    scope: jsonb('scope').notNull(),
    env: text('env').notNull(),
    status: text('status').$type<RunStatus>().notNull().default('running'),
    failedStage: text('failed_stage'),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
    counters: jsonb('counters').notNull().default({}),
    error: text('error'),
  },
  (table) => [
    index('pipeline_runs_started').on(table.startedAt),
    index('pipeline_runs_status').on(table.status, table.startedAt),
    check('pipeline_runs_status', sql`${table.status} IN ('running', 'ok', 'partial', 'failed')`),
    check('pipeline_runs_failed_stage', sql`${table.status} <> 'failed' OR ${table.failedStage} IS NOT NULL`),
  ],
);

export const STAGE_STATUSES = ['running', 'ok', 'partial', 'failed', 'skipped'] as const;
export type StageStatus = (typeof STAGE_STATUSES)[number];

export const stageRuns = opsZone.table(
  'stage_runs',
  {
    runId: text('run_id')
      .notNull()
      .references(() => pipelineRuns.runId, { onDelete: 'cascade' }),
    /** `discover`, `ingest`, `ratings`, `build`, ... */
    stage: text('stage').notNull(),
    /** What the stage ran over: `demo-league.52186`, a pool id, a match id. */
    scopeKey: text('scope_key').notNull(),
    status: text('status').$type<StageStatus>().notNull().default('running'),
    attempt: integer('attempt').notNull().default(1),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
    durationMs: integer('duration_ms'),
    counters: jsonb('counters').notNull().default({}),
    error: text('error'),
  },
  (table) => [
    primaryKey({ columns: [table.runId, table.stage, table.scopeKey] }),
    // A stage's latest runs (the ops page's Stages section, `stage-failed` alerts) without
    // scanning every ingest's row.
    index('stage_runs_stage_started').on(table.stage, table.startedAt),
    check('stage_runs_status', sql`${table.status} IN ('running', 'ok', 'partial', 'failed', 'skipped')`),
  ],
);

/** Named high-water marks (e.g. the last change time seen per discover scope). */
export const checkpoints = opsZone.table('checkpoints', {
  name: text('name').primaryKey(),
  value: jsonb('value').notNull(),
  runId: text('run_id'),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/**
 * One quality check's outcome in a run (DESIGN §8): `pass`, `warn` or `fail` (a failed check of
 * severity `fail` blocks publishing), what was observed against what threshold, and a few of the
 * offending rows.
 */
export const qualityResults = opsZone.table(
  'quality_results',
  {
    runId: text('run_id')
      .notNull()
      .references(() => pipelineRuns.runId, { onDelete: 'cascade' }),
    check: text('check').notNull(),
    /** What was checked: a competition-season (`demo-league.50001`), a pool, a competition. */
    scope: text('scope').notNull(),
    severity: text('severity').$type<'warn' | 'fail'>().notNull(),
    status: text('status').$type<'pass' | 'warn' | 'fail'>().notNull(),
    observed: doublePrecision('observed').notNull(),
    threshold: doublePrecision('threshold').notNull(),
    /** Up to ten offending rows (ids and values), to start an investigation from. */
    sample: jsonb('sample').notNull().default([]),
    checkedAt: timestamp('checked_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.runId, table.check, table.scope] })],
);

/**
 * Published snapshots (DESIGN §8): one row per version written to the publish directory. Exactly
 * one row is `latest` once anything is published; rollback moves the flag. Rows of snapshots
 * removed by retention stay, with `prunedAt`, as history.
 */
export const snapshots = opsZone.table(
  'snapshots',
  {
    /** The directory name under the publish directory. */
    version: text('version').primaryKey(),
    runId: text('run_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** SHA-256 of the snapshot's SHA256SUMS: equal data, equal hash. */
    contentHash: text('content_hash').notNull(),
    /** Rows per published table. */
    rowCounts: jsonb('row_counts').notNull(),
    qualityScore: doublePrecision('quality_score').notNull(),
    /** The whole manifest.json, so history outlives the files. */
    manifest: jsonb('manifest').notNull(),
    latest: boolean('latest').notNull().default(false),
    /** When `latest` last moved to this version (publish or rollback). */
    latestSince: timestamp('latest_since', { withTimezone: true, mode: 'date' }),
    prunedAt: timestamp('pruned_at', { withTimezone: true, mode: 'date' }),
  },
  (table) => [
    uniqueIndex('snapshots_one_latest').on(table.latest).where(sql`${table.latest}`),
    index('snapshots_created').on(table.createdAt),
    check('snapshots_content_hash_hex', sql`${table.contentHash} ~ '^[0-9a-f]{64}$'`),
    check('snapshots_latest_not_pruned', sql`NOT (${table.latest} AND ${table.prunedAt} IS NOT NULL)`),
  ],
);

export const ALERT_SEVERITIES = ['warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/**
 * Alerts sent (DESIGN §6, docs/alerts.md): one row per occurrence of an open problem, from the
 * evaluation that found it (`opened_at`, the "firing" notification) to the one that found it gone
 * (`resolved_at`, the "resolved" notification). At most one row per key is open: the partial
 * unique index is what lets several processes evaluate at once and still notify a transition once.
 */
export const alerts = opsZone.table(
  'alerts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** Stable name of the problem: `run-failed:demo-league.50001`, `breaker-open:sofascore`. */
    key: text('key').notNull(),
    /** The key's first segment: `run-failed`, `quality-fail`, `breaker-open`, ... */
    kind: text('kind').notNull(),
    severity: text('severity').$type<AlertSeverity>().notNull(),
    summary: text('summary').notNull(),
    details: jsonb('details').notNull().default({}),
    openedAt: timestamp('opened_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** When a notification (firing, escalated) last went out for this occurrence. */
    lastNotifiedAt: timestamp('last_notified_at', { withTimezone: true, mode: 'date' }),
    resolvedAt: timestamp('resolved_at', { withTimezone: true, mode: 'date' }),
  },
  (table) => [
    uniqueIndex('alerts_one_open_per_key').on(table.key).where(sql`${table.resolvedAt} IS NULL`),
    index('alerts_opened').on(table.openedAt),
    check('alerts_severity', sql`${table.severity} IN ('warning', 'critical')`),
  ],
);

/**
 * Ops samples (docs/dashboard.md, "Fleet resources and upstream"): one value per metric and
 * subject at a sample time, written by the `sample-ops` maintenance task about every minute
 * (`scheduler.opsSamples`). `metric` names what was measured (`redis.used_memory`,
 * `queue.waiting`, `upstream.requests`, ...), `subject` of what (a queue, `<source>:<status>`, a
 * process; `''` when there is one). The sample time is truncated to the sampling interval, so a
 * task that runs twice for one interval writes the same keys. Pruned after
 * `retention.samplesDays`.
 */
export const samples = opsZone.table(
  'samples',
  {
    sampledAt: timestamp('sampled_at', { withTimezone: true, mode: 'date' }).notNull(),
    metric: text('metric').notNull(),
    subject: text('subject').notNull().default(''),
    value: doublePrecision('value').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.metric, table.subject, table.sampledAt] }),
    // The ops page reads a time window of every metric; retention deletes by age.
    index('samples_sampled_at').on(table.sampledAt),
  ],
);
