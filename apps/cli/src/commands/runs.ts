import type { Config } from '@matchflow/config';
import { createDb } from '@matchflow/db';
import { listRuns, type QualityResult, type RunDetail, type RunListing, runDetail } from '@matchflow/pipeline';
import { clip, describeCounters, duration, figure, json, table, utcTime } from '../format.js';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** `demo-league 50001`, `stage players (all)`, or the stored scope as JSON when it names neither. */
export function describeScope(run: Pick<RunListing, 'competitionId' | 'season' | 'scope'>): string {
  if (run.competitionId && run.season) return `${run.competitionId} ${run.season}`;
  if (run.competitionId) return run.competitionId;
  const stage = run.scope as { stage?: unknown; scope?: unknown };
  if (typeof stage.stage === 'string') return `stage ${stage.stage} (${String(stage.scope ?? 'all')})`;
  return JSON.stringify(run.scope);
}

/**
 * `matchflow runs list [-n N] [--json]`: the most recent runs, newest first: when, trigger,
 * scope, status, failed stage, duration.
 */
export async function runsList(config: Config, options: { limit: number; json: boolean }, io: Io): Promise<number> {
  const database = await createDb(config);
  try {
    const runs = await listRuns(database.db, { limit: options.limit });
    if (options.json) {
      io.out(json({ runs }));
      return 0;
    }
    if (runs.length === 0) {
      io.out('no runs recorded yet');
      return 0;
    }
    const rows = runs.map((run) => [
      utcTime(run.startedAt),
      run.trigger,
      describeScope(run),
      run.status,
      run.failedStage ?? '-',
      run.durationMs === null ? 'running' : duration(run.durationMs),
      run.runId,
    ]);
    for (const line of table(['started (UTC)', 'trigger', 'scope', 'status', 'failed stage', 'duration', 'run'], rows))
      io.out(line);
    return 0;
  } finally {
    await database.close();
  }
}

/**
 * `matchflow runs show <id> [--json]`: one run: its row, its stages (the per-match ingests
 * folded, with the matches that failed), its quality results and the snapshot it published.
 * Exit 1 for an unknown run.
 */
export async function runsShow(config: Config, options: { runId: string; json: boolean }, io: Io): Promise<number> {
  const database = await createDb(config);
  try {
    const detail = await runDetail(database.db, options.runId);
    if (!detail) {
      io.err(`matchflow: no run '${options.runId}' (matchflow runs list shows the recent ones)`);
      return 1;
    }
    if (options.json) io.out(json(detail));
    else for (const line of describeRun(detail)) io.out(line);
    return 0;
  } finally {
    await database.close();
  }
}

function describeRun(detail: RunDetail): string[] {
  const { run } = detail;
  const source = typeof run.scope.source === 'string' ? ` (source ${run.scope.source})` : '';
  const lines = [
    `run ${run.runId}: ${describeScope(run)}${source}`,
    `  status ${run.status}${run.failedStage ? ` at ${run.failedStage}` : ''} · trigger ${run.trigger} · env ${run.env}`,
    `  started ${utcTime(run.startedAt)} UTC · finished ${utcTime(run.finishedAt)} · ${run.durationMs === null ? 'still running' : duration(run.durationMs)}`,
  ];
  if (run.error) lines.push(`  error: ${run.error}`);
  const counters = describeCounters(run.counters);
  if (counters) lines.push(`  counters: ${counters}`);

  lines.push('', 'stages');
  const rows: string[][] = [];
  const ingestRow = (): string[] | undefined => {
    const ingest = detail.ingest;
    if (!ingest) return undefined;
    const status = ingest.failed > 0 ? 'partial' : ingest.running > 0 ? 'running' : 'ok';
    const parts = [`${ingest.ok} ok, ${ingest.failed} failed${ingest.running ? `, ${ingest.running} running` : ''}`];
    parts.push(`matches ${ingest.matches}`, `requests ${ingest.requests}`);
    if (ingest.retried > 0) parts.push(`retried ${ingest.retried}`);
    parts.push(`slowest ${duration(ingest.maxDurationMs)}`);
    return ['ingest', `${ingest.jobs} job(s)`, status, '', duration(ingest.wallMs), parts.join(', ')];
  };
  // Ingests run after discover and before ratings: show them there.
  let ingestShown = false;
  for (const stage of detail.stages) {
    if (!ingestShown && stage.stage !== 'discover') {
      const row = ingestRow();
      if (row) rows.push(row);
      ingestShown = true;
    }
    const counters = describeCounters(stage.counters);
    rows.push([
      stage.stage,
      stage.scopeKey,
      stage.status,
      String(stage.attempt),
      duration(stage.durationMs),
      [counters, stage.error ? `error: ${clip(stage.error, 200)}` : ''].filter(Boolean).join(' · '),
    ]);
  }
  if (!ingestShown) {
    const row = ingestRow();
    if (row) rows.push(row);
  }
  if (rows.length === 0) lines.push('  none recorded');
  else
    for (const line of table(['stage', 'scope', 'status', 'attempt', 'duration', 'counters'], rows, [3, 4]))
      lines.push(`  ${line}`);
  const failures = detail.ingest?.failures ?? [];
  if (failures.length > 0) {
    lines.push('', `failed matches (${failures.length})`);
    for (const failure of failures.slice(0, 20))
      lines.push(`  ${failure.match} (attempt ${failure.attempt}): ${clip(failure.error ?? 'no error recorded', 200)}`);
    if (failures.length > 20) lines.push(`  ... and ${failures.length - 20} more (--json lists them all)`);
  }

  lines.push('', `quality${qualityHeadline(detail.quality)}`);
  if (detail.quality.length === 0) lines.push('  no quality results recorded');
  else for (const line of qualityTable(detail.quality)) lines.push(`  ${line}`);

  const snapshot = detail.snapshot;
  lines.push('');
  if (!snapshot) lines.push('snapshot: none published');
  else
    lines.push(
      `snapshot: ${snapshot.outcome}${snapshot.version ? ` ${snapshot.version}` : ''}` +
        (snapshot.contentHash ? ` (content ${snapshot.contentHash.slice(0, 16)})` : '') +
        (snapshot.latest ? ' · latest' : ''),
    );
  return lines;
}

/** ` (11 checks: 10 pass, 1 warn, 0 fail)`, or empty. */
export function qualityHeadline(results: readonly QualityResult[]): string {
  if (results.length === 0) return '';
  const count = (status: QualityResult['status']) => results.filter((result) => result.status === status).length;
  return ` (${results.length} checks: ${count('pass')} pass, ${count('warn')} warn, ${count('fail')} fail)`;
}

/** One line per check: status, severity, check, scope, observed vs threshold. */
export function qualityTable(results: readonly QualityResult[]): string[] {
  return table(
    ['status', 'severity', 'check', 'scope', 'observed', 'threshold'],
    results.map((result) => [
      result.status.toUpperCase(),
      result.severity,
      result.check,
      result.scope,
      figure(result.observed),
      figure(result.threshold),
    ]),
    [4, 5],
  );
}
