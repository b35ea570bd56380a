import type { Config } from '@matchflow/config';
import { core, type Db } from '@matchflow/db';
import type { DiscoverJob } from '@matchflow/queues';
import {
  type CanonicalMatch,
  mapSofascoreEventsPageTolerant,
  SOFASCORE_ENDPOINTS,
  SOFASCORE_PATHS,
  UpstreamNotFound,
} from '@matchflow/sources';
import type { Logger } from '@matchflow/telemetry';
import { inArray } from 'drizzle-orm';
import { coreIds } from '../store/core-ids.js';
import { storePayload } from '../store/raw-payloads.js';
import type { Fetcher } from './ingest-match.js';

export interface DiscoverDeps {
  db: Db;
  fetcher: Fetcher;
  config: Pick<Config, 'sources'>;
  logger: Logger;
  /**
   * Keep the listing pages in raw (default true). A dry run (`matchflow backfill --dry-run`)
   * only looks: it writes nothing.
   */
  keepRaw?: boolean;
}

export interface DiscoverResult {
  /** Upstream match ids to ingest, in season order (unreadable listings last). */
  matches: string[];
  /** Matches listed by the upstream for the season. */
  scanned: number;
  /** Listed matches the job's `matches` / `from`-`to` filter keeps (all of them without a filter). */
  inScope: number;
  /** In scope but left out because core already holds them as listed (`changed` mode): done. */
  done: number;
  requests: number;
}

/** Stop paging a direction after this many pages, whatever the upstream says. */
const MAX_PAGES = 100;

/**
 * `discover(season)`: page through the season's events (played, then to come) and choose what
 * to ingest: in `full` mode everything; otherwise what core does not hold yet or holds
 * differently (status, score, kick-off, or the upstream's change time).
 *
 * Pages are checked event by event: an event the listing cannot vouch for (it breaks its
 * contract there) is still selected, so ingest looks at it and quarantines it if need be; the
 * page is kept in raw marked with the problems. One bad event never stops a season.
 */
export async function discoverSeason(deps: DiscoverDeps, job: DiscoverJob): Promise<DiscoverResult> {
  const kind = deps.config.sources[job.source]?.kind;
  if (kind !== 'sofascore')
    throw new Error(`discover: not available for ${kind ?? 'an unknown'} source '${job.source}'`);
  const priority = job.trigger === 'backfill' ? 'backfill' : 'scheduled';
  let requests = 0;
  const listed = new Map<string, CanonicalMatch>();
  const unreadable = new Set<string>();

  for (const direction of ['last', 'next'] as const) {
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const path =
        direction === 'last'
          ? SOFASCORE_PATHS.eventsLast(job.competition, job.season, page)
          : SOFASCORE_PATHS.eventsNext(job.competition, job.season, page);
      requests += 1;
      let payload: Awaited<ReturnType<Fetcher['fetch']>>;
      try {
        payload = await deps.fetcher.fetch(SOFASCORE_ENDPOINTS.events, path, { priority });
      } catch (error) {
        // Past the last page (or a season with nothing in this direction) the upstream answers 404.
        if (error instanceof UpstreamNotFound) break;
        throw error;
      }
      const { batch, hasNextPage, rejected } = mapSofascoreEventsPageTolerant(payload.body, job.source);
      if (deps.keepRaw !== false)
        await storePayload(deps.db, {
          source: job.source,
          endpoint: SOFASCORE_ENDPOINTS.events,
          key: `${job.competition}.${job.season}.${direction}.${page}`,
          fetchedAt: payload.fetchedAt,
          httpStatus: payload.status,
          text: payload.text,
          body: payload.body,
          runId: job.runId,
          ...(rejected.length > 0
            ? { contractError: rejected.flatMap((reject) => reject.violation.problems).join('; ') }
            : {}),
        });
      for (const reject of rejected) {
        deps.logger.warn(
          {
            competition: job.competitionId,
            season: job.season,
            event: reject.sourceId,
            problems: reject.violation.problems,
          },
          'event in season listing broke its contract',
        );
        if (reject.sourceId) unreadable.add(reject.sourceId);
      }
      for (const match of batch.matches) listed.set(match.sourceId, match);
      if (!hasNextPage) break;
    }
  }
  for (const id of listed.keys()) unreadable.delete(id);

  const ordered = [...listed.values()].sort(
    (a, b) => a.startTime.getTime() - b.startTime.getTime() || a.sourceId.localeCompare(b.sourceId),
  );
  const scanned = ordered.length + unreadable.size;
  // A backfill's filter: named matches, or a start-time range. An event the listing could not
  // read has no trustworthy start time: only a `matches` filter naming it keeps it.
  const named = job.matches ? new Set(job.matches) : undefined;
  const from = job.from ? Date.parse(job.from) : Number.NEGATIVE_INFINITY;
  const to = job.to ? Date.parse(job.to) : Number.POSITIVE_INFINITY;
  const ranged = job.from !== undefined || job.to !== undefined;
  const candidates = ordered.filter(
    (match) =>
      (!named || named.has(match.sourceId)) && match.startTime.getTime() >= from && match.startTime.getTime() < to,
  );
  const unreadableInScope = [...unreadable].filter((id) => (named ? named.has(id) : !ranged));
  const inScope = candidates.length + unreadableInScope.length;
  let selected: string[];
  if (job.mode === 'full') {
    selected = [...candidates.map((match) => match.sourceId), ...unreadableInScope];
  } else {
    const ids = candidates.map((match) => coreIds.match(job.source, match.sourceId));
    const rows = ids.length === 0 ? [] : await deps.db.select().from(core.matches).where(inArray(core.matches.id, ids));
    const known = new Map(rows.map((row) => [row.id, row]));
    const changed = candidates.filter((match) => {
      const row = known.get(coreIds.match(job.source, match.sourceId));
      if (!row) return true;
      return (
        row.status !== match.status ||
        row.startTime.getTime() !== match.startTime.getTime() ||
        row.homeScore !== (match.score?.home ?? null) ||
        row.awayScore !== (match.score?.away ?? null) ||
        (row.sourceChangedAt?.getTime() ?? null) !== (match.sourceChangedAt?.getTime() ?? null)
      );
    });
    selected = [...changed.map((match) => match.sourceId), ...unreadableInScope];
  }
  const done = inScope - selected.length;
  deps.logger.info(
    { competition: job.competitionId, season: job.season, scanned, inScope, done, selected: selected.length, requests },
    'season discovered',
  );
  return { matches: selected, scanned, inScope, done, requests };
}
