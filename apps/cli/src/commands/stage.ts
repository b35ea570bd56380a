import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Config, parseDuration } from '@matchflow/config';
import { createDb, type Db, migrate, ops } from '@matchflow/db';
import {
  defaultStageRegistry,
  Fleet,
  runArtifactsDir,
  type StageBudget,
  type StageMetrics,
  type StageRegistry,
  standaloneStage,
  startStageRun,
} from '@matchflow/pipeline';
import { assertNoEviction, InvalidJobPayload, jobIds, Producer } from '@matchflow/queues';
import { createLogger } from '@matchflow/telemetry';
import { and, eq } from 'drizzle-orm';
import { commandRedis } from '../connect.js';
import { UsageError } from '../usage-error.js';

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** `matchflow stage list [--json]`: every registered stage, as the worker and the scheduler see it. */
export function stageList(
  config: Config,
  options: { json: boolean },
  io: Io,
  registry: StageRegistry = defaultStageRegistry(),
): number {
  const rows = registry.all().map((stage) => {
    const settings = registry.settings(config, stage.name);
    return {
      name: stage.name,
      kind: stage.kind,
      queue: stage.queue,
      dependsOn: [...stage.dependsOn],
      summary: stage.summary,
      ...(stage.kind === 'standalone'
        ? {
            enabled: settings.enabled,
            schedule: registry.schedule(config, stage) ?? 'off',
            inRuns: settings.enabled && settings.inRuns,
            budget: registry.budget(config, stage),
          }
        : {}),
    };
  });
  if (options.json) {
    io.out(JSON.stringify(rows, null, 2));
    return 0;
  }
  for (const row of rows) {
    const after = row.dependsOn.length > 0 ? ` (after ${row.dependsOn.join(', ')})` : '';
    io.out(`${row.name}  ${row.kind}, queue ${row.queue}${after}`);
    io.out(`    ${row.summary}`);
    if (row.budget) {
      io.out(
        `    schedule ${row.schedule}${row.inRuns ? ', in every run' : ''}${row.enabled ? '' : ', disabled'}; budget ${formatBudget(row.budget)}`,
      );
    }
  }
  return 0;
}

export interface StageRunOptions {
  stage: string;
  scope: string | undefined;
  budget: Partial<StageBudget>;
  dryRun: boolean;
  metricsJson: string | undefined;
  statusJsonl: string | undefined;
}

/** The command line of `stage run`, checked before the configuration is loaded. */
export function parseStageRunOptions(
  stage: string | undefined,
  values: {
    scope?: string | undefined;
    'batch-size'?: string | undefined;
    'max-items'?: string | undefined;
    'max-runtime'?: string | undefined;
    'dry-run'?: boolean | undefined;
    'metrics-json'?: string | undefined;
    'status-jsonl'?: string | undefined;
  },
): StageRunOptions {
  if (!stage) throw new UsageError('stage run needs <name>');
  const budget: Partial<StageBudget> = {};
  const whole = (flag: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value) || Number(value) < 1)
      throw new UsageError(`${flag} must be a whole number of at least 1, not '${value}'`);
    return Number(value);
  };
  const batchSize = whole('--batch-size', values['batch-size']);
  const maxItems = whole('--max-items', values['max-items']);
  if (batchSize !== undefined) budget.batchSize = batchSize;
  if (maxItems !== undefined) budget.maxItems = maxItems;
  if (values['max-runtime'] !== undefined) {
    try {
      budget.maxRuntimeMs = parseDuration(values['max-runtime']);
    } catch (error) {
      throw new UsageError(`--max-runtime: ${(error as Error).message}`);
    }
  }
  if (values.scope !== undefined && !/^[A-Za-z0-9_.-]+$/.test(values.scope))
    throw new UsageError(`--scope must be letters, digits, _, - and ., not '${values.scope}'`);
  return {
    stage,
    scope: values.scope,
    budget,
    dryRun: values['dry-run'] ?? false,
    metricsJson: values['metrics-json'],
    statusJsonl: values['status-jsonl'],
  };
}

/** How often the command looks at its run while waiting. */
const POLL_MS = 250;

/**
 * `matchflow stage run <name>`: one run of a standalone stage through its queue, under the same
 * run-level lock as its scheduled runs (so the two cannot overlap: the `runs.overlap` policy
 * refuses or queues it). When no worker serves the stage's queue, this process works it. Waits
 * for the end, prints a summary, writes `--metrics-json` and streams `--status-jsonl`.
 * Exit 0 when the run ended ok, 1 otherwise (refused included), 2 for bad input.
 */
export async function stageRun(
  config: Config,
  options: StageRunOptions,
  io: Io,
  /** For tests: the stages to know, and a database already open (not closed here). */
  inject: { registry?: StageRegistry; db?: Db } = {},
): Promise<number> {
  const registry = inject.registry ?? defaultStageRegistry();
  let stage: ReturnType<typeof standaloneStage>;
  try {
    stage = standaloneStage(registry, options.stage);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { redis, lastError } = commandRedis(config.redis.url);
  try {
    await redis.connect();
  } catch (error) {
    io.err(`matchflow: Redis at ${config.redis.url} is unreachable: ${(lastError() ?? (error as Error)).message}`);
    redis.disconnect();
    return 1;
  }
  const database = inject.db ? undefined : await createDb(config);
  const db = inject.db ?? (database as NonNullable<typeof database>).db;
  const producer = new Producer({ connection: redis, prefix: config.redis.prefix, config });
  let fleet: Fleet | undefined;
  try {
    await assertNoEviction(redis);
    if (database) await migrate(database);
    const started = await startStageRun(
      { db, producer, config, registry },
      {
        stage: stage.name,
        trigger: 'cli',
        dryRun: options.dryRun,
        budget: options.budget,
        ...(options.scope ? { scope: options.scope } : {}),
      },
    ).catch((error: unknown) => {
      if (error instanceof InvalidJobPayload) throw new UsageError(error.problems.join('; '));
      throw error;
    });
    if (started.outcome === 'skipped') {
      io.err(
        `matchflow: a ${stage.name} run over ${options.scope ?? 'all'} is still going (${started.runningRunId ?? 'unknown'}): refused (runs.overlap: skip)`,
      );
      return 1;
    }
    io.out(
      `${stage.name}: run ${started.runId} started${options.dryRun ? ' (dry run)' : ''}, budget ${formatBudget(started.budget)}`,
    );
    const queue = producer.queue(stage.queue);
    if ((await queue.getWorkersCount()) === 0) {
      io.out(`${stage.name}: no worker serves the '${stage.queue}' queue: working it in this process`);
      const logger = createLogger({ service: 'cli', level: 'warn', destination: process.stderr });
      fleet = Fleet.start({ config, db, logger, registry, queues: [stage.queue] });
    }
    const jobId = jobIds.stage({ stage: stage.name, runId: started.runId });
    const status = options.statusJsonl ? await openStatusStream(options.statusJsonl) : undefined;
    let streamed = 0;
    const stream = async () => {
      if (!status) return;
      const { logs } = await queue.getJobLogs(jobId, streamed, -1, true);
      streamed += logs.length;
      if (logs.length > 0) await status.append(logs);
    };
    while ((await runStatus(db, started.runId)) === 'running') {
      await stream();
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    await stream();
    const metrics = await stageRunMetrics(db, started.runId, stage.name, started.budget);
    if (options.metricsJson) {
      await mkdir(path.dirname(path.resolve(options.metricsJson)), { recursive: true });
      await writeFile(options.metricsJson, `${JSON.stringify(metrics, null, 2)}\n`);
    }
    for (const line of summaryLines(metrics)) io.out(line);
    io.out(`  artifacts: ${runArtifactsDir(config, started.runId)}`);
    return metrics.status === 'ok' ? 0 : 1;
  } finally {
    await fleet?.stop(5_000);
    await producer.close();
    redis.disconnect();
    await database?.close();
  }
}

async function runStatus(db: Db, runId: string): Promise<string | undefined> {
  const [row] = await db
    .select({ status: ops.pipelineRuns.status })
    .from(ops.pipelineRuns)
    .where(eq(ops.pipelineRuns.runId, runId));
  return row?.status;
}

/** A stage run's metrics, from its run and stage rows (wherever the worker ran). */
async function stageRunMetrics(db: Db, runId: string, stage: string, budget: StageBudget): Promise<StageMetrics> {
  const [run] = await db.select().from(ops.pipelineRuns).where(eq(ops.pipelineRuns.runId, runId));
  const [row] = await db
    .select()
    .from(ops.stageRuns)
    .where(and(eq(ops.stageRuns.runId, runId), eq(ops.stageRuns.stage, stage)));
  const counters = { ...((row?.counters ?? {}) as Record<string, number | string>) };
  const take = (name: string) => {
    const value = Number(counters[name] ?? 0);
    delete counters[name];
    return value;
  };
  const scanned = take('scanned');
  const processed = take('processed');
  const skipped = take('skipped');
  const failed = take('failed');
  const complete = counters.complete === 'yes';
  delete counters.complete;
  const dryRun = counters.dryRun === 'yes';
  delete counters.dryRun;
  const status = run?.status === 'running' || !run ? 'failed' : run.status;
  const error = row?.error ?? run?.error ?? undefined;
  const scope = (run?.scope ?? {}) as { scope?: string };
  return {
    runId,
    stage,
    scope: scope.scope ?? 'all',
    trigger: run?.trigger ?? 'cli',
    dryRun,
    status,
    startedAt: (row?.startedAt ?? run?.startedAt ?? new Date()).toISOString(),
    finishedAt: (row?.finishedAt ?? run?.finishedAt ?? new Date()).toISOString(),
    durationMs: row?.durationMs ?? 0,
    budget,
    scanned,
    processed,
    skipped,
    failed,
    complete,
    counters,
    ...(error ? { error } : {}),
  };
}

function summaryLines(metrics: StageMetrics): string[] {
  const counters = Object.entries(metrics.counters)
    .filter(([name]) => name !== 'worker')
    .map(([name, value]) => `${name} ${value}`)
    .join(' · ');
  return [
    `${metrics.stage}: run ${metrics.runId} ${metrics.status} in ${(metrics.durationMs / 1000).toFixed(1)} s${metrics.dryRun ? ' (dry run: nothing fetched or written)' : ''}`,
    `  scanned ${metrics.scanned} · processed ${metrics.processed} · skipped ${metrics.skipped} · failed ${metrics.failed} · ${metrics.complete ? 'complete' : 'budget ran out: the next run goes on from the checkpoint'}`,
    ...(counters ? [`  ${counters}`] : []),
    ...(metrics.error ? [`  error: ${metrics.error}`] : []),
  ];
}

function formatBudget(budget: StageBudget): string {
  return `batch ${budget.batchSize}, at most ${budget.maxItems} items, ${formatMs(budget.maxRuntimeMs)}`;
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

async function openStatusStream(file: string): Promise<{ append: (lines: string[]) => Promise<void> }> {
  const { appendFile } = await import('node:fs/promises');
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, '');
  return { append: (lines) => appendFile(file, lines.map((line) => `${line}\n`).join('')) };
}
