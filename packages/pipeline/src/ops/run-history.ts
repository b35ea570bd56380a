import { type Db, ops, type RunStatus, type StageStatus } from '@matchflow/db';
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';

/*
 * The read side of the ops zone, for operators: the runs, one run in detail (stages, failed
 * matches, quality results, the snapshot it published) and quality results. Used by
 * `matchflow runs` / `matchflow dq` and the dashboard's ops page.
 */

/** One run as a list shows it. */
export interface RunListing {
  runId: string;
  /** `cli`, `schedule`, `rebuild`, `backfill`, ... */
  trigger: string;
  /** Competition id of the scope, when the scope names one. */
  competitionId: string | undefined;
  /** Upstream season id of the scope, when the scope names one. */
  season: string | undefined;
  /** The scope as stored (`{ source, competitionId, competition, season }` for pipeline runs). */
  scope: Record<string, unknown>;
  env: string;
  status: RunStatus;
  failedStage: string | null;
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  /** finishedAt - startedAt; null while the run is going. */
  durationMs: number | null;
  counters: Record<string, unknown>;
}

/** One row of `ops.stage_runs`. */
export interface StageRecord {
  stage: string;
  scopeKey: string;
  status: StageStatus;
  attempt: number;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  counters: Record<string, unknown>;
  error: string | null;
}

/**
 * A run's per-match ingest rows folded into one line: a big season has hundreds. A season-file
 * source records one ingest row for the whole season, whose `matches` counter says how many.
 */
export interface IngestSummary {
  /** Ingest stage rows (jobs). */
  jobs: number;
  ok: number;
  failed: number;
  running: number;
  /** Matches written by the jobs that ended ok. */
  matches: number;
  /** Upstream requests over every ingest row. */
  requests: number;
  /** Jobs that needed more than one attempt. */
  retried: number;
  /** From the first ingest's start to the last one's finish (they run in parallel). */
  wallMs: number;
  /** Sum of the jobs' durations. */
  totalDurationMs: number;
  maxDurationMs: number;
  /** The matches (scope keys) whose ingest failed for good, with the error, ordered by key. */
  failures: Array<{ match: string; attempt: number; error: string | null }>;
}

/** One quality check's outcome in a run (`ops.quality_results`). */
export interface QualityResult {
  check: string;
  scope: string;
  severity: 'warn' | 'fail';
  status: 'pass' | 'warn' | 'fail';
  observed: number;
  threshold: number;
  /** Up to ten offending rows. */
  sample: unknown[];
  checkedAt: Date;
}

/** The snapshot a run published (or found unchanged), from its counters and `ops.snapshots`. */
export interface RunSnapshot {
  /** `published`: a new version; `unchanged`: equal to the version named; `blocked`: nothing published. */
  outcome: string;
  version: string | null;
  contentHash: string | null;
  /** Whether the version is `latest` now. */
  latest: boolean;
}

export interface RunDetail {
  run: RunListing;
  /** Every stage row except the per-match ingests, in the order they started. */
  stages: StageRecord[];
  /** The ingest rows folded; null when the run ingested nothing. */
  ingest: IngestSummary | null;
  quality: QualityResult[];
  snapshot: RunSnapshot | null;
}

export interface ListRunsOptions {
  /** Most runs returned (default 20). */
  limit?: number;
  /** Only runs of this competition. */
  competitionId?: string;
  status?: RunStatus;
}

type RunRow = typeof ops.pipelineRuns.$inferSelect;

function toListing(row: RunRow): RunListing {
  const scope = (typeof row.scope === 'object' && row.scope !== null ? row.scope : {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : undefined);
  return {
    runId: row.runId,
    trigger: row.trigger,
    competitionId: text(scope.competitionId),
    season: text(scope.season),
    scope,
    env: row.env,
    status: row.status,
    failedStage: row.failedStage,
    error: row.error,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    durationMs: row.finishedAt ? row.finishedAt.getTime() - row.startedAt.getTime() : null,
    counters: (row.counters ?? {}) as Record<string, unknown>,
  };
}

/** The most recent runs, newest first (by start time, then run id). */
export async function listRuns(db: Db, options: ListRunsOptions = {}): Promise<RunListing[]> {
  const filters = [
    ...(options.competitionId ? [sql`${ops.pipelineRuns.scope}->>'competitionId' = ${options.competitionId}`] : []),
    ...(options.status ? [eq(ops.pipelineRuns.status, options.status)] : []),
  ];
  const rows = await db
    .select()
    .from(ops.pipelineRuns)
    .where(filters.length > 0 ? and(...filters) : undefined)
    .orderBy(desc(ops.pipelineRuns.startedAt), desc(ops.pipelineRuns.runId))
    .limit(options.limit ?? 20);
  return rows.map(toListing);
}

/** Everything recorded about one run; undefined for an unknown run id. */
export async function runDetail(db: Db, runId: string): Promise<RunDetail | undefined> {
  const [row] = await db.select().from(ops.pipelineRuns).where(eq(ops.pipelineRuns.runId, runId));
  if (!row) return undefined;
  const stageRows = await db
    .select()
    .from(ops.stageRuns)
    .where(eq(ops.stageRuns.runId, runId))
    .orderBy(asc(ops.stageRuns.startedAt), asc(ops.stageRuns.stage), asc(ops.stageRuns.scopeKey));
  const stages: StageRecord[] = [];
  const ingests: StageRecord[] = [];
  for (const stage of stageRows) {
    const record: StageRecord = {
      stage: stage.stage,
      scopeKey: stage.scopeKey,
      status: stage.status,
      attempt: stage.attempt,
      startedAt: stage.startedAt,
      finishedAt: stage.finishedAt,
      durationMs: stage.durationMs,
      counters: (stage.counters ?? {}) as Record<string, unknown>,
      error: stage.error,
    };
    (stage.stage === 'ingest' ? ingests : stages).push(record);
  }
  const run = toListing(row);
  return {
    run,
    stages,
    ingest: ingests.length === 0 ? null : summariseIngests(ingests),
    quality: await qualityResults(db, runId),
    snapshot: await runSnapshot(db, run, stages),
  };
}

function counter(counters: Record<string, unknown>, name: string): number | undefined {
  const value = counters[name];
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isFinite(number) ? number : undefined;
}

/** Fold a run's ingest rows into counts, requests, retries and the failures. */
export function summariseIngests(rows: readonly StageRecord[]): IngestSummary {
  const summary: IngestSummary = {
    jobs: rows.length,
    ok: 0,
    failed: 0,
    running: 0,
    matches: 0,
    requests: 0,
    retried: 0,
    wallMs: 0,
    totalDurationMs: 0,
    maxDurationMs: 0,
    failures: [],
  };
  for (const row of rows) {
    if (row.status === 'ok') {
      summary.ok += 1;
      summary.matches += counter(row.counters, 'matches') ?? 1;
    } else if (row.status === 'failed') {
      summary.failed += 1;
      summary.failures.push({ match: row.scopeKey, attempt: row.attempt, error: row.error });
    } else if (row.status === 'running') summary.running += 1;
    summary.requests += counter(row.counters, 'requests') ?? 0;
    if (row.attempt > 1) summary.retried += 1;
    summary.totalDurationMs += row.durationMs ?? 0;
    summary.maxDurationMs = Math.max(summary.maxDurationMs, row.durationMs ?? 0);
  }
  const starts = rows.map((row) => row.startedAt.getTime());
  const ends = rows.flatMap((row) => (row.finishedAt ? [row.finishedAt.getTime()] : []));
  if (starts.length > 0 && ends.length > 0) summary.wallMs = Math.max(0, Math.max(...ends) - Math.min(...starts));
  summary.failures.sort((a, b) => (a.match < b.match ? -1 : a.match > b.match ? 1 : 0));
  return summary;
}

async function runSnapshot(db: Db, run: RunListing, stages: readonly StageRecord[]): Promise<RunSnapshot | null> {
  // The build job writes the outcome into the publish stage and the run's counters; a rebuild
  // writes a publish stage too. Prefer the stage row, then the run's counters.
  const publishStage = stages.find((stage) => stage.stage === 'publish');
  const source = publishStage?.counters ?? run.counters;
  const outcome = typeof source.publish === 'string' ? source.publish : undefined;
  let version = typeof source.snapshot === 'string' ? source.snapshot : null;
  let contentHash = typeof source.contentHash === 'string' ? source.contentHash : null;
  let latest = false;
  const [own] = await db
    .select({ version: ops.snapshots.version, contentHash: ops.snapshots.contentHash, latest: ops.snapshots.latest })
    .from(ops.snapshots)
    .where(version ? eq(ops.snapshots.version, version) : eq(ops.snapshots.runId, run.runId))
    .orderBy(desc(ops.snapshots.createdAt))
    .limit(1);
  if (own) {
    version = own.version;
    contentHash = own.contentHash;
    latest = own.latest;
  }
  if (!outcome && !own) return null;
  return { outcome: outcome ?? 'published', version, contentHash, latest };
}

/** The quality results of a run, failures first, then by check and scope. */
export async function qualityResults(db: Db, runId: string): Promise<QualityResult[]> {
  const rows = await db
    .select()
    .from(ops.qualityResults)
    .where(eq(ops.qualityResults.runId, runId))
    .orderBy(
      sql`CASE ${ops.qualityResults.status} WHEN 'fail' THEN 0 WHEN 'warn' THEN 1 ELSE 2 END`,
      asc(ops.qualityResults.check),
      asc(ops.qualityResults.scope),
    );
  return rows.map((row) => ({
    check: row.check,
    scope: row.scope,
    severity: row.severity,
    status: row.status,
    observed: row.observed,
    threshold: row.threshold,
    sample: Array.isArray(row.sample) ? row.sample : [],
    checkedAt: row.checkedAt,
  }));
}

/** The newest competition run (by start time) that recorded any quality result; undefined when none has. */
export async function latestQualityRun(db: Db): Promise<RunListing | undefined> {
  const [row] = await db
    .select()
    .from(ops.pipelineRuns)
    .where(
      and(
        inArray(
          ops.pipelineRuns.runId,
          db.selectDistinct({ runId: ops.qualityResults.runId }).from(ops.qualityResults),
        ),
        // The checks that gate publishing: a standalone stage's own checks (players' coverage)
        // are shown with `--run`.
        sql`${ops.pipelineRuns.scope}->>'competitionId' IS NOT NULL`,
      ),
    )
    .orderBy(desc(ops.pipelineRuns.startedAt), desc(ops.pipelineRuns.runId))
    .limit(1);
  return row ? toListing(row) : undefined;
}

/** One run as a list shows it; undefined for an unknown run id. */
export async function findRun(db: Db, runId: string): Promise<RunListing | undefined> {
  const [row] = await db.select().from(ops.pipelineRuns).where(eq(ops.pipelineRuns.runId, runId));
  return row ? toListing(row) : undefined;
}
