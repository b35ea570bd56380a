import type { CompetitionSettings, Config, SourceKind } from '@matchflow/config';
import { core, type Db, ratings } from '@matchflow/db';
import { newRunId } from '@matchflow/queues';
import type { Logger } from '@matchflow/telemetry';
import { asc, eq, inArray, sql } from 'drizzle-orm';
import { publishSnapshot } from '../publish/publish.js';
import { markRatingsDirty } from '../store/core-records.js';
import {
  closeRun,
  createRun,
  type RunScope,
  runningRunFor,
  type StageCounters,
  scopeKey,
  stageFinished,
  stageStarted,
} from '../store/runs.js';
import { buildSeason } from './build-season.js';
import { ratePool } from './rate-pool.js';
import { openfootballRawNormaliser } from './rebuild/openfootball-raw.js';
import type { LocatedRaw, RawNormaliser, RebuildScope, SeasonRebuild } from './rebuild/raw-normaliser.js';
import { sofascoreRawNormaliser } from './rebuild/sofascore-raw.js';

export type { SeasonRebuild } from './rebuild/raw-normaliser.js';

/** The run trigger recorded for a rebuild (`ops.pipeline_runs.trigger`). */
export const REBUILD_TRIGGER = 'rebuild';

/** How stored payloads are re-normalised, per source kind; a kind not listed cannot be rebuilt from raw. */
const RAW_NORMALISERS: ReadonlyMap<SourceKind, RawNormaliser> = new Map([
  ['sofascore', sofascoreRawNormaliser],
  ['openfootball', openfootballRawNormaliser],
]);

/** The source kinds `rebuildFromRaw` can re-normalise (not football-data yet: it has no raw normaliser). */
export const RAW_REBUILD_KINDS: readonly SourceKind[] = [...RAW_NORMALISERS.keys()];

export interface RebuildDeps {
  db: Db;
  config: Pick<
    Config,
    'competitions' | 'sources' | 'ratingPools' | 'quality' | 'env' | 'runs' | 'publishDir' | 'retention'
  >;
  logger: Logger;
  now?: () => Date;
}

export interface RebuildOptions {
  /**
   * Rebuild only this configured competition (default: every configured competition whose source
   * kind is one of `RAW_REBUILD_KINDS`).
   */
  competitionId?: string;
}

export interface RebuildResult {
  seasons: SeasonRebuild[];
}

/**
 * `matchflow rebuild --from-raw`: re-normalise the stored raw payloads into core, re-rate the
 * affected rating pools from scratch, rebuild the curated tables and publish, without a single
 * upstream call. On unchanged raw it reproduces the published content exactly (the snapshot's
 * content hash does not move); after a normaliser fix it rolls the fix out over history.
 *
 * One run (trigger `rebuild`) per competition-season that raw holds payloads of, since a run's
 * scope is one competition-season: stage rows `normalise`, `ratings`, `build` and `publish`
 * per run. Only `normalise` depends on the source kind: each kind's RawNormaliser finds the
 * payloads ingest last wrote into core (the newest that are not quarantined, by `fetched_at`,
 * then id) and writes them through ingest's own code: Sofascore match by match
 * (rebuild/sofascore-raw.ts), openfootball season file by season file (rebuild/openfootball-raw.ts).
 */
export async function rebuildFromRaw(deps: RebuildDeps, options: RebuildOptions = {}): Promise<RebuildResult> {
  const { db, config, logger } = deps;
  const competitions = competitionsInScope(config, options.competitionId);
  // Whatever a normaliser locates points at its season's scope, so counters land on the right season.
  const opened = new Map<string, RebuildScope>();
  const scopeFor = (competition: CompetitionSettings, season: string): RebuildScope => {
    const key = `${competition.id}\u0000${season}`;
    let scope = opened.get(key);
    if (!scope) {
      scope = { competition, season, result: emptyResult(competition.id, season) };
      opened.set(key, scope);
    }
    return scope;
  };
  const located: LocatedRaw[] = [];
  for (const [kind, normaliser] of RAW_NORMALISERS) {
    const ofKind = competitions.filter((competition) => config.sources[competition.source]?.kind === kind);
    if (ofKind.length > 0)
      located.push(await normaliser.locate({ db, config, competitions: ofKind, scopeFor, logger }));
  }
  const scopes = [...opened.values()].sort(
    (a, b) => compare(a.competition.id, b.competition.id) || compare(a.season, b.season),
  );
  const active: RebuildScope[] = [];
  for (const scope of scopes) {
    const runScope = runScopeOf(scope);
    const running = await runningRunFor(db, runScope, { staleAfterMs: config.runs.staleAfterMs });
    if (running) {
      // Its ingests would race ours for the same core rows: leave the season to that run.
      scope.result.status = 'skipped';
      scope.result.runningRunId = running;
      logger.warn({ scope: scopeKey(runScope), runningRunId: running }, 'rebuild skipped: a run is in flight');
      continue;
    }
    const runId = newRunId(deps.now?.());
    await createRun(db, { runId, trigger: REBUILD_TRIGGER, scope: runScope, env: config.env });
    scope.result.runId = runId;
    active.push(scope);
  }

  const runIdOf = (scope: RebuildScope) => scope.result.runId as string;
  const fail = async (scope: RebuildScope, stage: string, error: string) => {
    scope.result.status = 'failed';
    scope.result.failedStage = stage;
    scope.result.error = error;
    await stageFinished(db, runIdOf(scope), stage, stageKey(scope, stage), { status: 'failed', error });
    await closeRun(db, runIdOf(scope), { status: 'failed', failedStage: stage, error, counters: runCounters(scope) });
  };

  try {
    // normalise: what each source kind located, for the active seasons only.
    for (const scope of active) await stageStarted(db, runIdOf(scope), 'normalise', scopeKey(runScopeOf(scope)), 1);
    const isActive = (scope: RebuildScope) => active.includes(scope);
    for (const work of located) await work.normalise(db, isActive);
    for (const scope of active) {
      const { payloads, matches, quarantinedSkipped, rejected } = scope.result;
      if (rejected.length > 0) {
        const first = rejected[0] as { match: string; error: string };
        await fail(
          scope,
          'normalise',
          `${rejected.length} match(es) no longer normalise, e.g. ${first.match}: ${first.error}`.slice(0, 2_000),
        );
        continue;
      }
      await stageFinished(db, runIdOf(scope), 'normalise', scopeKey(runScopeOf(scope)), {
        status: 'ok',
        counters: { payloads, matches, quarantinedSkipped },
      });
    }
  } catch (error) {
    // Not a payload's fault (the database, most likely): every season's run fails here.
    const message = error instanceof Error ? error.message : String(error);
    for (const scope of active) if (scope.result.status !== 'failed') await fail(scope, 'normalise', message);
    throw error;
  }

  // ratings: each pool of a re-normalised season, from its very first match, once.
  const pools = new Map<string, RebuildScope[]>();
  for (const scope of active.filter(ok))
    pools.set(scope.competition.ratingPool, [...(pools.get(scope.competition.ratingPool) ?? []), scope]);
  for (const [pool, members] of [...pools].sort(([a], [b]) => compare(a, b))) {
    for (const scope of members) await stageStarted(db, runIdOf(scope), 'ratings', pool, 1);
    try {
      await markPoolDirtyFromStart(db, config, pool);
      const rated = await ratePool({ db, config }, { pool, runId: runIdOf(members[0] as RebuildScope) });
      for (const scope of members) {
        scope.result.pools.push({ pool, matches: rated.matches });
        await stageFinished(db, runIdOf(scope), 'ratings', pool, { status: 'ok', counters: { ...rated } });
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.error({ err: error, pool }, 'rebuild: re-rating failed');
      for (const scope of members) await fail(scope, 'ratings', message);
    }
  }

  // build every season first, then publish: a snapshot taken after the first build would hold
  // the other seasons' tables as they were before their pool was re-rated.
  for (const scope of active.filter(ok)) {
    const runId = runIdOf(scope);
    const key = scopeKey(runScopeOf(scope));
    await stageStarted(db, runId, 'build', key, 1);
    try {
      const { quality, blocked, ...built } = await buildSeason(
        { db, config, ...(deps.now ? { now: deps.now } : {}) },
        { competitionId: scope.competition.id, season: scope.season, runId },
      );
      if (quality) scope.result.quality = quality;
      const qualityCounters: StageCounters = quality
        ? { qualityScore: quality.score, qualityFailed: quality.failed }
        : {};
      if (blocked) {
        // As in the fleet: the build rolled its tables back, the run fails, `latest` stays put.
        await fail(scope, 'build', `quality checks failed: ${quality?.failed.join(', ') ?? ''}; nothing published`);
        continue;
      }
      await stageFinished(db, runId, 'build', key, { status: 'ok', counters: { ...built, ...qualityCounters } });
    } catch (error) {
      logger.error({ err: error, runId }, 'rebuild: build failed');
      await fail(scope, 'build', error instanceof Error ? error.message : String(error));
    }
  }

  for (const scope of active.filter(ok)) {
    const runId = runIdOf(scope);
    const key = scopeKey(runScopeOf(scope));
    await stageStarted(db, runId, 'publish', key, 1);
    try {
      const published = await publishSnapshot(
        { db, config, logger, ...(deps.now ? { now: deps.now } : {}) },
        { runId },
      );
      scope.result.publish = published;
      if (published.status === 'blocked') {
        await fail(scope, 'publish', `publishing blocked by failed quality checks: ${published.failed.join(', ')}`);
        continue;
      }
      await stageFinished(db, runId, 'publish', key, {
        status: 'ok',
        counters: { publish: published.status, snapshot: published.version, contentHash: published.contentHash },
      });
    } catch (error) {
      logger.error({ err: error, runId }, 'rebuild: publish failed');
      await fail(scope, 'publish', error instanceof Error ? error.message : String(error));
      continue;
    }
    await closeRun(db, runId, { status: 'ok', counters: runCounters(scope) });
    logger.info({ runId, scope: key, ...runCounters(scope) }, 'season rebuilt from raw');
  }

  return { seasons: scopes.map((scope) => scope.result) };
}

/** The configured competitions to rebuild: every one with a raw normaliser, or the one asked for. */
function competitionsInScope(config: RebuildDeps['config'], competitionId: string | undefined): CompetitionSettings[] {
  const kindOf = (competition: CompetitionSettings) => config.sources[competition.source]?.kind;
  const rebuildable = (competition: CompetitionSettings) => {
    const kind = kindOf(competition);
    return kind !== undefined && RAW_NORMALISERS.has(kind);
  };
  if (competitionId === undefined) return config.competitions.filter(rebuildable);
  const competition = config.competitions.find((candidate) => candidate.id === competitionId);
  if (!competition) throw new Error(`unknown competition '${competitionId}'`);
  if (!rebuildable(competition))
    throw new Error(
      `rebuild from raw is not available for ${competition.id}: its source is ${kindOf(competition) ?? 'unknown'}, ` +
        `and only ${RAW_REBUILD_KINDS.join(' and ')} sources have a raw normaliser`,
    );
  return [competition];
}

/**
 * Force a full re-rate of the pool: a dirty marker at its earliest match (in core or among its
 * stored ratings) makes the ratings stage discard every stored rating and replay from nothing,
 * which is exactly a full recompute. The marker, unlike resetting the checkpoint, is safe while
 * a worker may be rating the same pool (rate-pool.ts consumes it under the pool's lock).
 */
async function markPoolDirtyFromStart(db: Db, config: RebuildDeps['config'], pool: string): Promise<void> {
  const competitionIds = config.competitions
    .filter((competition) => competition.ratingPool === pool)
    .map((competition) => competition.id);
  const byteWise = (column: typeof core.matches.id | typeof ratings.matchRatings.matchId) => sql`${column} COLLATE "C"`;
  const [firstMatch] =
    competitionIds.length === 0
      ? []
      : await db
          .select({ startTime: core.matches.startTime, matchId: core.matches.id })
          .from(core.matches)
          .where(inArray(core.matches.competitionId, competitionIds))
          .orderBy(asc(core.matches.startTime), asc(byteWise(core.matches.id)))
          .limit(1);
  const [firstRated] = await db
    .select({ startTime: ratings.matchRatings.startTime, matchId: ratings.matchRatings.matchId })
    .from(ratings.matchRatings)
    .where(eq(ratings.matchRatings.poolId, pool))
    .orderBy(asc(ratings.matchRatings.startTime), asc(byteWise(ratings.matchRatings.matchId)))
    .limit(1);
  const earliest = [firstMatch, firstRated]
    .filter((position) => position !== undefined)
    .sort((a, b) => a.startTime.getTime() - b.startTime.getTime() || compare(a.matchId, b.matchId))[0];
  if (earliest) await markRatingsDirty(db, pool, earliest.startTime, earliest.matchId);
}

function emptyResult(competitionId: string, season: string): SeasonRebuild {
  return {
    competitionId,
    season,
    status: 'ok',
    payloads: 0,
    matches: 0,
    quarantinedSkipped: 0,
    rejected: [],
    pools: [],
  };
}

function runScopeOf(scope: RebuildScope): RunScope {
  return {
    source: scope.competition.source,
    competitionId: scope.competition.id,
    competition: scope.competition.competition,
    season: scope.season,
  };
}

/** Stage rows are keyed by the season, except the ratings stage's, keyed by the pool. */
function stageKey(scope: RebuildScope, stage: string): string {
  return stage === 'ratings' ? scope.competition.ratingPool : scopeKey(runScopeOf(scope));
}

function runCounters(scope: RebuildScope): StageCounters {
  const { payloads, matches, quarantinedSkipped, rejected, quality, publish } = scope.result;
  return {
    payloads,
    matches,
    quarantinedSkipped,
    ...(rejected.length > 0 ? { rejected: rejected.length } : {}),
    ...(quality ? { qualityScore: quality.score } : {}),
    ...(publish && publish.status !== 'blocked'
      ? { publish: publish.status, snapshot: publish.version, contentHash: publish.contentHash }
      : {}),
  };
}

function ok(scope: RebuildScope): boolean {
  return scope.result.status === 'ok';
}

/** Byte-wise comparison (ids and keys sort the same everywhere). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
