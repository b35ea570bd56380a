import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgSchema, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

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
