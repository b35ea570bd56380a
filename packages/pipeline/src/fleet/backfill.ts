import type { Config } from '@matchflow/config';
import type { Db } from '@matchflow/db';
import { MAX_SELECTED_MATCHES, type Producer } from '@matchflow/queues';
import type { Logger } from '@matchflow/telemetry';
import { discoverSeason } from '../stages/discover-season.js';
import type { Fetcher } from '../stages/ingest-match.js';
import { runningRunFor } from '../store/runs.js';
import { type RunStart, triggerRun } from './trigger.js';

/*
 * Backfill: load a competition's history without getting in the way of the schedule
 * (docs/backfill.md). A backfill is one ordinary run per competition-season in scope, with
 * trigger `backfill`: run history, stage rows, publishing and alerts work as for any run. What
 * makes it a backfill:
 *
 * - every job of its runs (discover, ingest, ratings, build) carries a lower BullMQ priority
 *   than scheduled and operator work (`Producer`), so queued backfill work never stands in front
 *   of an hourly run's jobs;
 * - its upstream requests ask the fleet-wide limiter at `backfill` priority, so while scheduled
 *   requests wait, backfill may hold only `rateLimit.backfillShare` of the source's budget;
 * - it runs in `changed` mode: discover leaves out every match core already holds as the
 *   upstream lists it, so re-running a backfill (after a crash, a stop, a partial run) fetches
 *   only what is not done yet, and a finished one again costs only the season listings.
 */

/** A backfill request the operator (or a script) cannot fix by waiting: a usage error. */
export class BackfillScopeError extends Error {
  override readonly name = 'BackfillScopeError';
}

export interface BackfillRequest {
  /** Our config id of the competition. */
  competitionId: string;
  /** The competition's source; when given it must be the configured one. */
  source?: string;
  /** Upstream season ids (default: every season the competition tracks). */
  seasons?: string[];
  /** Only these upstream match ids. */
  matches?: string[];
  /** Only matches starting at or after this time. */
  from?: Date;
  /** Only matches starting before this time (exclusive). */
  to?: Date;
}

/** A validated backfill: which competition, which seasons, which matches of them. */
export interface BackfillPlan {
  competitionId: string;
  source: string;
  /** The upstream competition id. */
  competition: string;
  seasons: string[];
  matches?: string[];
  from?: Date;
  to?: Date;
}

const MATCH_ID = /^[A-Za-z0-9_-]+$/;

/**
 * Check a backfill request against the configuration and resolve its seasons. Throws
 * `BackfillScopeError` naming the problem (unknown competition or season, a source that has no
 * season listing to filter, a bad match id, `from` not before `to`, nothing selected).
 */
export function planBackfill(config: Pick<Config, 'competitions' | 'sources'>, request: BackfillRequest): BackfillPlan {
  const competition = config.competitions.find((candidate) => candidate.id === request.competitionId);
  if (!competition) {
    const known = config.competitions.map((candidate) => candidate.id).join(', ') || 'none';
    throw new BackfillScopeError(`unknown competition '${request.competitionId}' (configured: ${known})`);
  }
  if (request.source !== undefined && request.source !== competition.source) {
    throw new BackfillScopeError(
      `competition '${competition.id}' comes from source '${competition.source}', not '${request.source}'`,
    );
  }
  if (!request.seasons && !request.matches && !request.from && !request.to) {
    throw new BackfillScopeError('backfill needs a scope: --season, --seasons, --from/--to or --matches');
  }
  const kind = config.sources[competition.source]?.kind;
  const filtered = request.matches !== undefined || request.from !== undefined || request.to !== undefined;
  if (kind === 'openfootball' && filtered) {
    throw new BackfillScopeError(
      `source '${competition.source}' publishes whole season files: backfill it by --season or --seasons`,
    );
  }
  if (kind !== 'sofascore' && kind !== 'openfootball') {
    throw new BackfillScopeError(
      `source '${competition.source}' (${kind ?? 'unknown'}) has no season listing to backfill from`,
    );
  }
  const seasons = [...new Set(request.seasons ?? competition.seasons)];
  const untracked = seasons.filter((season) => !competition.seasons.includes(season));
  if (untracked.length > 0) {
    throw new BackfillScopeError(
      `season(s) ${untracked.join(', ')} not tracked for ${competition.id} (tracked: ${competition.seasons.join(', ')}): add them to the config first`,
    );
  }
  if (seasons.length === 0) throw new BackfillScopeError('backfill needs at least one season');
  let matches: string[] | undefined;
  if (request.matches) {
    matches = [...new Set(request.matches)];
    const bad = matches.filter((match) => !MATCH_ID.test(match));
    if (matches.length === 0) throw new BackfillScopeError('--matches needs at least one match id');
    if (bad.length > 0) throw new BackfillScopeError(`not upstream match ids: ${bad.slice(0, 5).join(', ')}`);
    if (matches.length > MAX_SELECTED_MATCHES) {
      throw new BackfillScopeError(`at most ${MAX_SELECTED_MATCHES} match ids at once, not ${matches.length}`);
    }
  }
  if (request.from && request.to && request.from.getTime() >= request.to.getTime()) {
    throw new BackfillScopeError('--from must be before --to');
  }
  return {
    competitionId: competition.id,
    source: competition.source,
    competition: competition.competition,
    seasons,
    ...(matches ? { matches } : {}),
    ...(request.from ? { from: request.from } : {}),
    ...(request.to ? { to: request.to } : {}),
  };
}

export type BackfillStart = RunStart & { season: string };

/**
 * Start the backfill: one `changed` run per season with trigger `backfill` (the overlap policy
 * applies as for any run: a season whose run is still going is skipped under `skip`).
 */
export async function startBackfill(
  deps: { db: Db; producer: Producer; config: Pick<Config, 'competitions' | 'env' | 'runs'> },
  plan: BackfillPlan,
): Promise<BackfillStart[]> {
  const started: BackfillStart[] = [];
  for (const season of plan.seasons) {
    const run = await triggerRun(deps, {
      competitionId: plan.competitionId,
      season,
      mode: 'changed',
      trigger: 'backfill',
      ...(plan.matches ? { matches: plan.matches } : {}),
      ...(plan.from ? { from: plan.from } : {}),
      ...(plan.to ? { to: plan.to } : {}),
    });
    started.push({ ...run, season });
  }
  return started;
}

/** What a backfill would do for one season (`--dry-run`). */
export interface BackfillPreview {
  season: string;
  /** Matches the upstream lists for the season; null for a season-file source (not fetched). */
  listed: number | null;
  /** Of those, the ones the backfill's filter keeps. */
  inScope: number | null;
  /** In scope and already in core as listed: skipped. */
  done: number | null;
  /** In scope and not done: what the run would ingest. */
  toIngest: number | null;
  /** Upstream requests the preview made (the season listing). */
  requests: number;
  /** A run of this season still going: the backfill would skip the season (overlap `skip`). */
  runningRunId: string | null;
}

/**
 * Preview a backfill without enqueueing anything: for each season, list its matches from the
 * upstream (through the fleet-wide limiter, at backfill priority; the listing is not kept in
 * raw) and compare them with core exactly as the run's discover would. A season-file source is
 * not fetched: its counts are null.
 */
export async function previewBackfill(
  deps: {
    db: Db;
    fetcher: Fetcher | undefined;
    config: Pick<Config, 'sources' | 'runs'>;
    logger: Logger;
  },
  plan: BackfillPlan,
): Promise<BackfillPreview[]> {
  const previews: BackfillPreview[] = [];
  for (const season of plan.seasons) {
    const runningRunId =
      (await runningRunFor(
        deps.db,
        { competitionId: plan.competitionId, season },
        { staleAfterMs: deps.config.runs.staleAfterMs },
      )) ?? null;
    if (deps.config.sources[plan.source]?.kind !== 'sofascore' || !deps.fetcher) {
      previews.push({ season, listed: null, inScope: null, done: null, toIngest: null, requests: 0, runningRunId });
      continue;
    }
    const found = await discoverSeason(
      { db: deps.db, fetcher: deps.fetcher, config: deps.config, logger: deps.logger, keepRaw: false },
      {
        runId: 'run-dry-run',
        source: plan.source,
        competitionId: plan.competitionId,
        competition: plan.competition,
        season,
        mode: 'changed',
        trigger: 'backfill',
        ...(plan.matches ? { matches: plan.matches } : {}),
        ...(plan.from ? { from: plan.from.toISOString() } : {}),
        ...(plan.to ? { to: plan.to.toISOString() } : {}),
      },
    );
    previews.push({
      season,
      listed: found.scanned,
      inScope: found.inScope,
      done: found.done,
      toIngest: found.matches.length,
      requests: found.requests,
      runningRunId,
    });
  }
  return previews;
}
