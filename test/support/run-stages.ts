import type { Config } from '@matchflow/config';
import type { Db } from '@matchflow/db';
import {
  type BuildResult,
  buildSeason,
  closeRun,
  createRun,
  discoverSeason,
  type Fetcher,
  ingestMatch,
  type PublishOutcome,
  publishSnapshot,
  ratePool,
} from '@matchflow/pipeline';
import { newRunId } from '@matchflow/queues';
import type { Logger } from '@matchflow/telemetry';

export interface SeasonScope {
  source: string;
  competitionId: string;
  /** The upstream competition id. */
  competition: string;
  season: string;
}

export interface StagesRun {
  runId: string;
  matches: number;
  built: BuildResult;
  published: PublishOutcome | undefined;
}

/** Run `work` over `items`, `concurrency` at a time. */
export async function eachLimited<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next] as T;
        next += 1;
        await work(item);
      }
    }),
  );
}

/**
 * One run of a competition-season with the stages chained by hand (the fleet chains them through
 * queues): discover, ingest, rate the competition's pool, build, and (unless `publish: false`)
 * publish. The run is closed as the fleet would close it.
 */
export async function runStages(
  deps: { db: Db; fetcher: Fetcher; config: Config; logger: Logger; now?: () => Date },
  scope: SeasonScope,
  options: { mode?: 'full' | 'changed'; publish?: boolean } = {},
): Promise<StagesRun> {
  const runId = newRunId();
  const pool = deps.config.competitions.find((competition) => competition.id === scope.competitionId)?.ratingPool;
  if (!pool) throw new Error(`competition '${scope.competitionId}' is not configured`);
  await createRun(deps.db, { runId, trigger: 'cli', scope, env: 'dev' });
  const discovered = await discoverSeason(deps, { ...scope, runId, mode: options.mode ?? 'full', trigger: 'cli' });
  await eachLimited(discovered.matches, 8, (match) => ingestMatch(deps, { ...scope, runId, match, trigger: 'cli' }));
  await ratePool({ db: deps.db, config: deps.config }, { runId, pool });
  const built = await buildSeason(
    { db: deps.db, config: deps.config, ...(deps.now ? { now: deps.now } : {}) },
    { ...scope, runId },
  );
  const published = built.blocked || options.publish === false ? undefined : await publishSnapshot(deps, { runId });
  await closeRun(deps.db, runId, built.blocked ? { status: 'failed', failedStage: 'build' } : { status: 'ok' });
  return { runId, matches: discovered.matches.length, built, published };
}
