import type { CompetitionSettings, Config } from '@matchflow/config';
import { core, type Db, ratings, raw } from '@matchflow/db';
import { newRunId } from '@matchflow/queues';
import { ContractViolation, SOFASCORE_ENDPOINTS } from '@matchflow/sources';
import type { Logger } from '@matchflow/telemetry';
import { and, asc, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import { type PublishOutcome, publishSnapshot } from '../publish/publish.js';
import { chunks } from '../store/chunks.js';
import { coreIds } from '../store/core-ids.js';
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
import { type MatchPayloadBodies, mapEventPayload, normaliseMatch } from './normalise-match.js';
import { ratePool } from './rate-pool.js';

/** The run trigger recorded for a rebuild (`ops.pipeline_runs.trigger`). */
export const REBUILD_TRIGGER = 'rebuild';

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
  /** Rebuild only this configured competition (default: every configured Sofascore competition). */
  competitionId?: string;
}

/** What a rebuild did for one competition-season (one run). */
export interface SeasonRebuild {
  competitionId: string;
  season: string;
  /** The rebuild's run for this competition-season (absent when skipped). */
  runId?: string;
  /**
   * `ok`: re-normalised, re-rated, built and published (or found unchanged); `failed`: a stage
   * failed or publishing was blocked (`failedStage`, `error`); `skipped`: another run of this
   * competition-season was in flight (`runningRunId`), so nothing was touched.
   */
  status: 'ok' | 'failed' | 'skipped';
  /** Raw payloads read and re-normalised (event, lineups, incidents). */
  payloads: number;
  /** Matches written to core (rows that were already equal stay untouched). */
  matches: number;
  /** Quarantined payloads of these matches, left out. */
  quarantinedSkipped: number;
  /** Matches whose stored payloads the mappers now reject (with the reason). */
  rejected: Array<{ match: string; error: string }>;
  /** Rating pools re-rated from their first match, and the matches rated. */
  pools: Array<{ pool: string; matches: number }>;
  quality?: { score: number; failed: string[] };
  publish?: PublishOutcome;
  failedStage?: string;
  error?: string;
  runningRunId?: string;
}

export interface RebuildResult {
  seasons: SeasonRebuild[];
}

/** Matches re-normalised per database round trip for their payloads. */
const MATCH_BATCH = 100;
/** Event payloads read per page while finding which competition-season each match belongs to. */
const LOCATE_PAGE = 500;

/** One match to re-normalise: its key, the event payload chosen, and whose it is. */
interface Located {
  source: string;
  key: string;
  eventPayloadId: number;
  fetchedAt: Date;
  scope: ScopeState;
}

interface ScopeState {
  competition: CompetitionSettings;
  season: string;
  result: SeasonRebuild;
}

/**
 * `matchflow rebuild --from-raw`: re-normalise the stored raw payloads into core, re-rate the
 * affected rating pools from scratch, rebuild the curated tables and publish, without a single
 * upstream call. On unchanged raw it reproduces the published content exactly (the snapshot's
 * content hash does not move); after a normaliser fix it rolls the fix out over history.
 *
 * One run (trigger `rebuild`) per competition-season that raw holds matches of, since a run's
 * scope is one competition-season: stage rows `normalise`, `ratings`, `build` and `publish`
 * per run. For each match the newest payload per endpoint that is not quarantined is used (by
 * `fetched_at`, then id): the same payloads ingest last wrote into core. A match belongs to the
 * competition-season its event payload names (unique tournament and season), mapped with the
 * source's own mapper, so a corrupted core cannot misplace it.
 *
 * Matches are re-normalised in the order their event payloads were fetched, as ingest wrote
 * them, so where payloads disagree (a renamed team) the most recent one has the last word.
 */
export async function rebuildFromRaw(deps: RebuildDeps, options: RebuildOptions = {}): Promise<RebuildResult> {
  const { db, config, logger } = deps;
  const competitions = competitionsInScope(config, options.competitionId);
  // Each located match points at its season's state, so counters land on the right season.
  const { located, scopes } = await locateMatches(db, competitions, logger);
  const active: ScopeState[] = [];
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

  const runIdOf = (scope: ScopeState) => scope.result.runId as string;
  const fail = async (scope: ScopeState, stage: string, error: string) => {
    scope.result.status = 'failed';
    scope.result.failedStage = stage;
    scope.result.error = error;
    await stageFinished(db, runIdOf(scope), stage, stageKey(scope, stage), { status: 'failed', error });
    await closeRun(db, runIdOf(scope), { status: 'failed', failedStage: stage, error, counters: runCounters(scope) });
  };

  try {
    // normalise: every match of every active season, oldest fetch first (see above).
    for (const scope of active) await stageStarted(db, runIdOf(scope), 'normalise', scopeKey(runScopeOf(scope)), 1);
    const work = located.filter((entry) => active.includes(entry.scope));
    await normaliseAll(db, work);
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
  const pools = new Map<string, ScopeState[]>();
  for (const scope of active.filter(ok))
    pools.set(scope.competition.ratingPool, [...(pools.get(scope.competition.ratingPool) ?? []), scope]);
  for (const [pool, members] of [...pools].sort(([a], [b]) => compare(a, b))) {
    for (const scope of members) await stageStarted(db, runIdOf(scope), 'ratings', pool, 1);
    try {
      await markPoolDirtyFromStart(db, config, pool);
      const rated = await ratePool({ db, config }, { pool, runId: runIdOf(members[0] as ScopeState) });
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

/** The configured Sofascore competitions to rebuild (all of them, or the one asked for). */
function competitionsInScope(config: RebuildDeps['config'], competitionId: string | undefined): CompetitionSettings[] {
  const isSofascore = (competition: CompetitionSettings) => config.sources[competition.source]?.kind === 'sofascore';
  if (competitionId === undefined) return config.competitions.filter(isSofascore);
  const competition = config.competitions.find((candidate) => candidate.id === competitionId);
  if (!competition) throw new Error(`unknown competition '${competitionId}'`);
  if (!isSofascore(competition))
    throw new Error(`rebuild from raw is only available for Sofascore sources, not for ${competition.id}`);
  return [competition];
}

/**
 * Every match raw holds an event payload of, for the competition-seasons configured: the newest
 * event payload per key that is not quarantined, mapped to read its tournament and season.
 * Paged by key, keeping only ids in memory. An event the mapper now rejects is placed where core
 * holds it, if anywhere, and reported there; one core has never held stays out.
 */
async function locateMatches(
  db: Db,
  competitions: CompetitionSettings[],
  logger: Logger,
): Promise<{ located: Located[]; scopes: ScopeState[] }> {
  const located: Located[] = [];
  const scopes = new Map<string, ScopeState>();
  const scopeFor = (competition: CompetitionSettings, season: string): ScopeState => {
    const key = `${competition.id}\u0000${season}`;
    let scope = scopes.get(key);
    if (!scope) {
      scope = {
        competition,
        season,
        result: {
          competitionId: competition.id,
          season,
          status: 'ok',
          payloads: 0,
          matches: 0,
          quarantinedSkipped: 0,
          rejected: [],
          pools: [],
        },
      };
      scopes.set(key, scope);
    }
    return scope;
  };

  for (const source of [...new Set(competitions.map((competition) => competition.source))].sort(compare)) {
    const bySourceId = competitions.filter((competition) => competition.source === source);
    let after: string | undefined;
    for (;;) {
      const page = await db
        .selectDistinctOn([raw.payloads.key], {
          id: raw.payloads.id,
          key: raw.payloads.key,
          fetchedAt: raw.payloads.fetchedAt,
          body: raw.payloads.body,
        })
        .from(raw.payloads)
        .where(
          and(
            eq(raw.payloads.source, source),
            eq(raw.payloads.endpoint, SOFASCORE_ENDPOINTS.event),
            eq(raw.payloads.quarantined, false),
            after === undefined ? undefined : gt(raw.payloads.key, after),
          ),
        )
        .orderBy(asc(raw.payloads.key), desc(raw.payloads.fetchedAt), desc(raw.payloads.id))
        .limit(LOCATE_PAGE);
      for (const row of page) {
        let place: { competition: CompetitionSettings; season: string } | undefined;
        let rejection: string | undefined;
        try {
          const event = mapEventPayload(row.body, source, row.key);
          const tournament = event.batch.competitions[0]?.sourceId;
          const competition = bySourceId.find(
            (candidate) => candidate.competition === tournament && candidate.seasons.includes(event.season.sourceId),
          );
          if (competition) place = { competition, season: event.season.sourceId };
        } catch (error) {
          if (!(error instanceof ContractViolation)) throw error;
          rejection = error.problems.join('; ');
          place = await placeFromCore(db, source, row.key, bySourceId);
          if (!place) logger.warn({ source, key: row.key, error: rejection }, 'rebuild: unreadable event left out');
        }
        if (!place) continue;
        const scope = scopeFor(place.competition, place.season);
        if (rejection !== undefined) scope.result.rejected.push({ match: row.key, error: rejection });
        else located.push({ source, key: row.key, eventPayloadId: row.id, fetchedAt: row.fetchedAt, scope });
      }
      if (page.length < LOCATE_PAGE) break;
      after = (page.at(-1) as (typeof page)[number]).key;
    }
  }
  return {
    located: located.sort(
      (a, b) => a.fetchedAt.getTime() - b.fetchedAt.getTime() || a.eventPayloadId - b.eventPayloadId,
    ),
    scopes: [...scopes.values()].sort(
      (a, b) => compare(a.competition.id, b.competition.id) || compare(a.season, b.season),
    ),
  };
}

/** Where core holds a match (for an event the mapper can no longer read). */
async function placeFromCore(
  db: Db,
  source: string,
  key: string,
  competitions: CompetitionSettings[],
): Promise<{ competition: CompetitionSettings; season: string } | undefined> {
  const [row] = await db
    .select({ competitionId: core.matches.competitionId, seasonId: core.matches.seasonId })
    .from(core.matches)
    .where(eq(core.matches.id, coreIds.match(source, key)));
  const competition = competitions.find((candidate) => candidate.id === row?.competitionId);
  const season = competition?.seasons.find((candidate) => coreIds.season(competition.id, candidate) === row?.seasonId);
  return competition && season ? { competition, season } : undefined;
}

/** Re-normalise the located matches in order, a batch of payload reads at a time. */
async function normaliseAll(db: Db, located: Located[]): Promise<void> {
  const details = [SOFASCORE_ENDPOINTS.lineups, SOFASCORE_ENDPOINTS.incidents];
  for (const batch of chunks(located, MATCH_BATCH)) {
    const source = (batch[0] as Located).source;
    // One source per batch keeps the queries simple; split where the source changes.
    const sameSource = batch.every((entry) => entry.source === source);
    if (!sameSource) {
      for (const entry of batch) await normaliseAll(db, [entry]);
      continue;
    }
    const keys = batch.map((entry) => entry.key);
    const events = await db
      .select({ id: raw.payloads.id, body: raw.payloads.body })
      .from(raw.payloads)
      .where(
        inArray(
          raw.payloads.id,
          batch.map((entry) => entry.eventPayloadId),
        ),
      );
    const newest = await db
      .selectDistinctOn([raw.payloads.endpoint, raw.payloads.key], {
        endpoint: raw.payloads.endpoint,
        key: raw.payloads.key,
        body: raw.payloads.body,
      })
      .from(raw.payloads)
      .where(
        and(
          eq(raw.payloads.source, source),
          inArray(raw.payloads.endpoint, details),
          inArray(raw.payloads.key, keys),
          eq(raw.payloads.quarantined, false),
        ),
      )
      .orderBy(asc(raw.payloads.endpoint), asc(raw.payloads.key), desc(raw.payloads.fetchedAt), desc(raw.payloads.id));
    const quarantined = await db
      .select({ key: raw.payloads.key, count: sql<number>`count(*)::int` })
      .from(raw.payloads)
      .where(
        and(
          eq(raw.payloads.source, source),
          inArray(raw.payloads.endpoint, [SOFASCORE_ENDPOINTS.event, ...details]),
          inArray(raw.payloads.key, keys),
          eq(raw.payloads.quarantined, true),
        ),
      )
      .groupBy(raw.payloads.key);

    const eventBodies = new Map(events.map((row) => [row.id, row.body]));
    const detailBodies = new Map(newest.map((row) => [`${row.endpoint}\u0000${row.key}`, row.body]));
    const quarantinedByKey = new Map(quarantined.map((row) => [row.key, Number(row.count)]));
    for (const entry of batch) {
      const result = entry.scope.result;
      const payloads: MatchPayloadBodies = { key: entry.key, event: eventBodies.get(entry.eventPayloadId) };
      const lineups = detailBodies.get(`${SOFASCORE_ENDPOINTS.lineups}\u0000${entry.key}`);
      const incidents = detailBodies.get(`${SOFASCORE_ENDPOINTS.incidents}\u0000${entry.key}`);
      if (lineups !== undefined) payloads.lineups = lineups;
      if (incidents !== undefined) payloads.incidents = incidents;
      result.payloads += 1 + (lineups === undefined ? 0 : 1) + (incidents === undefined ? 0 : 1);
      result.quarantinedSkipped += quarantinedByKey.get(entry.key) ?? 0;
      try {
        await normaliseMatch(db, { source: entry.source, competition: entry.scope.competition, payloads });
        result.matches += 1;
      } catch (error) {
        // A fixed normaliser that now rejects a stored payload: reported, the season not published.
        if (!(error instanceof ContractViolation)) throw error;
        result.rejected.push({ match: entry.key, error: error.problems.join('; ') });
      }
    }
  }
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

function runScopeOf(scope: ScopeState): RunScope {
  return {
    source: scope.competition.source,
    competitionId: scope.competition.id,
    competition: scope.competition.competition,
    season: scope.season,
  };
}

/** Stage rows are keyed by the season, except the ratings stage's, keyed by the pool. */
function stageKey(scope: ScopeState, stage: string): string {
  return stage === 'ratings' ? scope.competition.ratingPool : scopeKey(runScopeOf(scope));
}

function runCounters(scope: ScopeState): StageCounters {
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

function ok(scope: ScopeState): boolean {
  return scope.result.status === 'ok';
}

/** Byte-wise comparison (ids and keys sort the same everywhere). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
