import type { Config } from '@matchflow/config';
import { createDb, migrate, ops } from '@matchflow/db';
import {
  type BackfillPlan,
  type BackfillPreview,
  BackfillScopeError,
  type BackfillStart,
  planBackfill,
  previewBackfill,
  startBackfill,
} from '@matchflow/pipeline';
import { assertNoEviction, createRedis, Producer } from '@matchflow/queues';
import { SourceClient } from '@matchflow/sources';
import { createLogger } from '@matchflow/telemetry';
import { asc, inArray } from 'drizzle-orm';
import { progressLine, waitForRuns } from '../embedded/run-report.js';
import { json, table } from '../format.js';
import { UsageError } from '../usage-error.js';

export interface BackfillOptions {
  competition: string;
  source: string | undefined;
  seasons: string[] | undefined;
  matches: string[] | undefined;
  from: Date | undefined;
  to: Date | undefined;
  dryRun: boolean;
  wait: boolean;
  json: boolean;
}

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * `--from` / `--to`: a day (`2024-01-31`, UTC) or an ISO 8601 time with its offset. A day given
 * to `--to` is included: the bound is the next midnight (exclusive).
 */
function parseDate(value: string, flag: '--from' | '--to'): Date {
  const day = DAY.test(value);
  const time = day ? Date.parse(`${value}T00:00:00Z`) : TIMESTAMP.test(value) ? Date.parse(value) : Number.NaN;
  // Date.parse rolls 2024-02-30 over to March: a day must read back as itself.
  if (Number.isNaN(time) || (day && new Date(time).toISOString().slice(0, 10) !== value)) {
    throw new UsageError(`${flag} must be a day (YYYY-MM-DD) or an ISO 8601 time with offset, not '${value}'`);
  }
  return new Date(day && flag === '--to' ? time + 86_400_000 : time);
}

function list(value: string, flag: string): string[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  if (items.length === 0) throw new UsageError(`${flag} needs at least one value`);
  return items;
}

/** The command line of `backfill`, checked before any configuration is read (exit 2 on a problem). */
export function parseBackfillOptions(values: {
  competition?: string | undefined;
  source?: string | undefined;
  season?: string | undefined;
  seasons?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  matches?: string | undefined;
  'dry-run'?: boolean | undefined;
  wait?: boolean | undefined;
  json?: boolean | undefined;
}): BackfillOptions {
  if (!values.competition) throw new UsageError('backfill needs --competition ID');
  if (values.season !== undefined && values.seasons !== undefined) {
    throw new UsageError('give --season or --seasons, not both');
  }
  if (values.matches !== undefined && (values.from !== undefined || values.to !== undefined)) {
    throw new UsageError('give --matches or --from/--to, not both');
  }
  const seasons =
    values.season !== undefined ? list(values.season, '--season') : values.seasons && list(values.seasons, '--seasons');
  const matches = values.matches === undefined ? undefined : list(values.matches, '--matches');
  const from = values.from === undefined ? undefined : parseDate(values.from, '--from');
  const to = values.to === undefined ? undefined : parseDate(values.to, '--to');
  if (!seasons && !matches && !from && !to) {
    throw new UsageError(
      'backfill needs a scope: --season ID, --seasons A,B, --from DATE --to DATE or --matches ID,..',
    );
  }
  if (from && to && from.getTime() >= to.getTime()) throw new UsageError('--from must be before --to');
  if (values['dry-run'] && values.wait) throw new UsageError('--dry-run starts nothing to --wait for');
  return {
    competition: values.competition,
    source: values.source,
    seasons: seasons || undefined,
    matches,
    from,
    to,
    dryRun: values['dry-run'] ?? false,
    wait: values.wait ?? false,
    json: values.json ?? false,
  };
}

function plan(config: Config, options: BackfillOptions): BackfillPlan {
  try {
    return planBackfill(config, {
      competitionId: options.competition,
      ...(options.source !== undefined ? { source: options.source } : {}),
      ...(options.seasons ? { seasons: options.seasons } : {}),
      ...(options.matches ? { matches: options.matches } : {}),
      ...(options.from ? { from: options.from } : {}),
      ...(options.to ? { to: options.to } : {}),
    });
  } catch (error) {
    if (error instanceof BackfillScopeError) throw new UsageError(error.message);
    throw error;
  }
}

function describeFilter(backfill: BackfillPlan): string {
  if (backfill.matches) return `${backfill.matches.length} named match(es)`;
  const from = backfill.from ? backfill.from.toISOString() : 'the start';
  const to = backfill.to ? backfill.to.toISOString() : 'the end';
  return backfill.from || backfill.to ? `matches starting from ${from} to before ${to}` : 'every match';
}

function filterJson(backfill: BackfillPlan) {
  return {
    matches: backfill.matches ?? null,
    from: backfill.from?.toISOString() ?? null,
    to: backfill.to?.toISOString() ?? null,
  };
}

/**
 * `matchflow backfill`: start one `changed` run per season in scope with trigger `backfill`
 * (lower priority, the backfill share of the source budget; docs/backfill.md), or with
 * `--dry-run` count what it would ingest without enqueueing anything.
 */
export async function backfillCommand(config: Config, options: BackfillOptions, io: Io): Promise<number> {
  const backfill = plan(config, options);
  if (options.dryRun) return dryRun(config, backfill, options, io);
  if (!config.database.url) {
    throw new UsageError(
      'backfill hands work to worker processes, which need a shared database: set DATABASE_URL (--dry-run works without)',
    );
  }
  const database = await createDb(config);
  const connection = createRedis(config.redis.url, 'client');
  const producer = new Producer({ connection, prefix: config.redis.prefix, config });
  try {
    await assertNoEviction(connection);
    const started = await startBackfill({ db: database.db, producer, config }, backfill);
    if (!options.json) {
      io.out(
        `backfill ${backfill.competitionId} (source ${backfill.source}): ${describeFilter(backfill)} of ${started.length} season(s), at backfill priority; what core already holds is skipped`,
      );
      for (const line of describeStarts(started)) io.out(line);
    }
    // A season skipped because its run is still going is followed too: that run carries its work.
    const followed = started.flatMap((run) =>
      run.outcome === 'started' ? [run.runId] : run.runningRunId ? [run.runningRunId] : [],
    );
    if (!options.wait) {
      if (options.json) io.out(json({ dryRun: false, ...header(backfill), seasons: startsJson(started) }));
      return 0;
    }
    const began = performance.now();
    const tty = process.stdout.isTTY === true && !options.json;
    let lastPlain = 0;
    await waitForRuns(
      database.db,
      followed,
      (progress) => {
        if (options.json) return;
        const line = progressLine(progress, performance.now() - began);
        if (tty) process.stdout.write(`\r${line}`);
        else if (performance.now() - lastPlain > 5_000 || progress.closed >= progress.runs) {
          lastPlain = performance.now();
          io.out(line);
        }
      },
      500,
    );
    if (tty) process.stdout.write('\n');
    const runs = await database.db
      .select()
      .from(ops.pipelineRuns)
      .where(inArray(ops.pipelineRuns.runId, followed.length > 0 ? followed : ['-']))
      .orderBy(asc(ops.pipelineRuns.startedAt));
    const results = runs.map((run) => ({
      runId: run.runId,
      season: (run.scope as { season: string }).season,
      trigger: run.trigger,
      status: run.status,
      matches: (run.counters as { matches?: number }).matches ?? 0,
      failedStage: run.failedStage,
      error: run.error,
    }));
    if (options.json) {
      io.out(json({ dryRun: false, ...header(backfill), seasons: startsJson(started), runs: results }));
    } else {
      for (const run of results) {
        io.out(
          `  ${run.season}  ${run.runId}: ${run.status} · ${run.matches} match(es) ingested` +
            (run.failedStage ? ` · failed at ${run.failedStage}: ${run.error ?? ''}` : ''),
        );
      }
    }
    return results.every((run) => run.status === 'ok') ? 0 : 1;
  } finally {
    await producer.close();
    connection.disconnect();
    await database.close();
  }
}

function header(backfill: BackfillPlan) {
  return { competitionId: backfill.competitionId, source: backfill.source, filter: filterJson(backfill) };
}

function startsJson(started: BackfillStart[]) {
  return started.map((run) =>
    run.outcome === 'started'
      ? { season: run.season, outcome: run.outcome, runId: run.runId }
      : { season: run.season, outcome: run.outcome, runningRunId: run.runningRunId ?? null },
  );
}

function describeStarts(started: BackfillStart[]): string[] {
  return started.map((run) =>
    run.outcome === 'started'
      ? `  ${run.season}  run ${run.runId} started`
      : `  ${run.season}  skipped: run ${run.runningRunId ?? 'unknown'} of this season is still going`,
  );
}

/**
 * `--dry-run`: list each season from the upstream (through the fleet-wide limiter, at backfill
 * priority; nothing kept in raw) and compare with core as the run's discover would. Needs Redis
 * (the limiter) and the database (core), not DATABASE_URL: it works on the embedded database
 * too, when no other process holds it.
 */
async function dryRun(config: Config, backfill: BackfillPlan, options: BackfillOptions, io: Io): Promise<number> {
  const database = await createDb(config);
  // The embedded database of a fresh checkout has no tables yet; a shared one is migrated by deploys.
  if (!config.database.url) await migrate(database);
  const connection = createRedis(config.redis.url, 'client');
  const logger = createLogger({ service: 'cli', level: 'warn', destination: process.stderr });
  const settings = config.sources[backfill.source];
  const client =
    settings?.kind === 'sofascore'
      ? new SourceClient({ name: backfill.source, settings, redis: connection, prefix: config.redis.prefix, logger })
      : undefined;
  try {
    const previews = await previewBackfill({ db: database.db, fetcher: client, config, logger }, backfill);
    const totals = sumPreviews(previews);
    const notFound = backfill.matches && totals.inScope !== null ? backfill.matches.length - totals.inScope : null;
    if (options.json) {
      io.out(json({ dryRun: true, ...header(backfill), seasons: previews, totals: { ...totals, notFound } }));
      return 0;
    }
    io.out(
      `backfill ${backfill.competitionId} (source ${backfill.source}), dry run: ${describeFilter(backfill)}; nothing enqueued`,
    );
    const count = (value: number | null) => (value === null ? '?' : String(value));
    for (const line of table(
      ['season', 'listed', 'in scope', 'done', 'to ingest', 'requests', 'running run'],
      previews.map((preview) => [
        preview.season,
        count(preview.listed),
        count(preview.inScope),
        count(preview.done),
        count(preview.toIngest),
        String(preview.requests),
        preview.runningRunId ?? '-',
      ]),
      [1, 2, 3, 4, 5],
    ))
      io.out(`  ${line}`);
    io.out(
      `would start ${previews.length} run(s) at backfill priority: ${count(totals.toIngest)} match(es) to ingest, ${count(totals.done)} already done and skipped` +
        (notFound ? `; ${notFound} named match(es) not listed in these seasons` : ''),
    );
    if (previews.some((preview) => preview.listed === null))
      io.out('(a season-file source is not fetched by a dry run: its run fetches and compares the file)');
    if (previews.some((preview) => preview.runningRunId))
      io.out('(a season with a run still going would be skipped: that run carries its work)');
    return 0;
  } finally {
    await client?.close();
    connection.disconnect();
    await database.close();
  }
}

function sumPreviews(previews: BackfillPreview[]) {
  const sum = (pick: (preview: BackfillPreview) => number | null) =>
    previews.some((preview) => pick(preview) === null)
      ? null
      : previews.reduce((total, preview) => total + (pick(preview) ?? 0), 0);
  return {
    listed: sum((preview) => preview.listed),
    inScope: sum((preview) => preview.inScope),
    done: sum((preview) => preview.done),
    toIngest: sum((preview) => preview.toIngest),
    requests: sum((preview) => preview.requests),
  };
}
