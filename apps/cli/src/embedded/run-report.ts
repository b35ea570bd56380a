import { core, curated, type Db, ops } from '@matchflow/db';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';

export interface RunProgress {
  runs: number;
  closed: number;
  /** Matches selected by discover, over all runs (known once each discover finished). */
  selected: number;
  /** Ingests finished (ok or failed for good). */
  ingested: number;
  requests: number;
}

/** How far the given runs have got, from their stage rows. */
export async function runProgress(db: Db, runIds: string[]): Promise<RunProgress> {
  if (runIds.length === 0) return { runs: 0, closed: 0, selected: 0, ingested: 0, requests: 0 };
  const runs = await db
    .select({ status: ops.pipelineRuns.status })
    .from(ops.pipelineRuns)
    .where(inArray(ops.pipelineRuns.runId, runIds));
  const [row] = await db
    .select({
      selected: sql<number>`coalesce(sum(case when ${ops.stageRuns.stage} = 'discover' then (${ops.stageRuns.counters}->>'selected')::int end), 0)::int`,
      ingested: sql<number>`count(*) filter (where ${ops.stageRuns.stage} = 'ingest' and ${ops.stageRuns.status} in ('ok', 'failed'))::int`,
      requests: sql<number>`coalesce(sum((${ops.stageRuns.counters}->>'requests')::int), 0)::int`,
    })
    .from(ops.stageRuns)
    .where(inArray(ops.stageRuns.runId, runIds));
  return {
    runs: runs.length,
    closed: runs.filter((run) => run.status !== 'running').length,
    selected: Number(row?.selected ?? 0),
    ingested: Number(row?.ingested ?? 0),
    requests: Number(row?.requests ?? 0),
  };
}

/** `[########------------] 412/760 matches · 1,650 requests · 320 req/s · ETA 2 s` */
export function progressLine(progress: RunProgress, elapsedMs: number, width = 24): string {
  const total = Math.max(progress.selected, progress.ingested);
  const share = total === 0 ? 0 : progress.ingested / total;
  const filled = Math.round(share * width);
  const rate = elapsedMs > 0 ? progress.requests / (elapsedMs / 1000) : 0;
  const perMatch = progress.ingested > 0 ? elapsedMs / progress.ingested : 0;
  const etaSec =
    total > progress.ingested && perMatch > 0 ? Math.ceil(((total - progress.ingested) * perMatch) / 1000) : 0;
  return (
    `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${progress.ingested}/${total || '?'} matches · ` +
    `${progress.requests.toLocaleString('en')} requests · ${rate.toFixed(0)} req/s · ETA ${etaSec} s`
  );
}

/** What a person wants to know once the runs are over. */
export async function runSummary(db: Db, runIds: string[]): Promise<string[]> {
  const lines: string[] = [];
  const runs = await db
    .select()
    .from(ops.pipelineRuns)
    .where(inArray(ops.pipelineRuns.runId, runIds))
    .orderBy(asc(ops.pipelineRuns.startedAt));
  for (const run of runs) {
    const scope = run.scope as { competitionId: string; season: string };
    const counters = run.counters as {
      matches?: number;
      failedMatches?: string[];
      publish?: string;
      snapshot?: string;
    };
    const [requests] = await db
      .select({ total: sql<number>`coalesce(sum((${ops.stageRuns.counters}->>'requests')::int), 0)::int` })
      .from(ops.stageRuns)
      .where(eq(ops.stageRuns.runId, run.runId));
    const seconds = run.finishedAt ? ((run.finishedAt.getTime() - run.startedAt.getTime()) / 1000).toFixed(1) : '?';
    lines.push(
      `${run.runId}  ${scope.competitionId} season ${scope.season}: ${run.status}` +
        ` · ${counters.matches ?? 0} matches · ${Number(requests?.total ?? 0)} upstream requests · ${seconds} s` +
        (counters.failedMatches?.length ? ` · failed: ${counters.failedMatches.join(', ')}` : '') +
        (run.failedStage ? ` · failed at ${run.failedStage}: ${run.error ?? ''}` : '') +
        (counters.snapshot
          ? ` · snapshot ${counters.snapshot}${counters.publish === 'unchanged' ? ' (unchanged)' : ''}`
          : ''),
    );
    const top = await db
      .select({
        position: curated.standings.position,
        name: core.participants.name,
        played: curated.standings.played,
        points: curated.standings.points,
      })
      .from(curated.standings)
      .innerJoin(core.participants, eq(core.participants.id, curated.standings.participantId))
      .where(
        and(
          eq(curated.standings.competitionId, scope.competitionId),
          eq(curated.standings.seasonId, `${scope.competitionId}.${scope.season}`),
        ),
      )
      .orderBy(asc(curated.standings.position))
      .limit(5);
    for (const row of top)
      lines.push(
        `      ${String(row.position).padStart(2)}. ${row.name.padEnd(24)} ${String(row.played).padStart(2)} played  ${String(row.points).padStart(3)} pts`,
      );
  }
  return lines;
}

/** Resolves once every run is closed; calls `onTick` on the way. */
export async function waitForRuns(
  db: Db,
  runIds: string[],
  onTick: (progress: RunProgress) => void,
  intervalMs = 250,
): Promise<RunProgress> {
  for (;;) {
    const progress = await runProgress(db, runIds);
    onTick(progress);
    if (progress.closed >= progress.runs) return progress;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
