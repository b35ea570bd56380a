import type { CompetitionSettings } from '@matchflow/config';
import { core, type Db, raw } from '@matchflow/db';
import { ContractViolation, SOFASCORE_ENDPOINTS } from '@matchflow/sources';
import { and, asc, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import { chunks } from '../../store/chunks.js';
import { coreIds } from '../../store/core-ids.js';
import { type MatchPayloadBodies, mapEventPayload, normaliseMatch } from '../normalise-match.js';
import type { LocatedRaw, LocateInput, RawNormaliser, RebuildScope } from './raw-normaliser.js';

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
  scope: RebuildScope;
}

/**
 * Sofascore keeps payloads per match (event, lineups, incidents). For each match the newest
 * payload per endpoint that is not quarantined is used (by `fetched_at`, then id): the same
 * payloads ingest last wrote into core. A match belongs to the competition-season its event
 * payload names (unique tournament and season), mapped with the source's own mapper, so a
 * corrupted core cannot misplace it. Matches are re-normalised in the order their event payloads
 * were fetched, as ingest wrote them, so where payloads disagree (a renamed team) the most recent
 * one has the last word.
 */
export const sofascoreRawNormaliser: RawNormaliser = {
  async locate(input: LocateInput): Promise<LocatedRaw> {
    const located = await locateMatches(input);
    return {
      async normalise(db, include) {
        await normaliseAll(
          db,
          located.filter((entry) => include(entry.scope)),
        );
      },
    };
  },
};

/**
 * Every match raw holds an event payload of, for the competition-seasons configured: the newest
 * event payload per key that is not quarantined, mapped to read its tournament and season.
 * Paged by key, keeping only ids in memory. An event the mapper now rejects is placed where core
 * holds it, if anywhere, and reported there; one core has never held stays out. Oldest fetch first.
 */
async function locateMatches({ db, competitions, scopeFor, logger }: LocateInput): Promise<Located[]> {
  const located: Located[] = [];
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
  return located.sort((a, b) => a.fetchedAt.getTime() - b.fetchedAt.getTime() || a.eventPayloadId - b.eventPayloadId);
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
      .select({ id: raw.payloads.id, body: raw.payloads.body, sha256: raw.payloads.sha256 })
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
        sha256: raw.payloads.sha256,
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

    const eventBodies = new Map(events.map((row) => [row.id, row]));
    const detailBodies = new Map(newest.map((row) => [`${row.endpoint}\u0000${row.key}`, row]));
    const quarantinedByKey = new Map(quarantined.map((row) => [row.key, Number(row.count)]));
    for (const entry of batch) {
      const result = entry.scope.result;
      const event = eventBodies.get(entry.eventPayloadId);
      // Lineage as ingest records it: the sha of each payload the rows are mapped from.
      const sha256: NonNullable<MatchPayloadBodies['sha256']> = { event: event?.sha256 as string };
      const payloads: MatchPayloadBodies = { key: entry.key, event: event?.body, sha256 };
      const lineups = detailBodies.get(`${SOFASCORE_ENDPOINTS.lineups}\u0000${entry.key}`);
      const incidents = detailBodies.get(`${SOFASCORE_ENDPOINTS.incidents}\u0000${entry.key}`);
      if (lineups !== undefined) {
        payloads.lineups = lineups.body;
        sha256.lineups = lineups.sha256;
      }
      if (incidents !== undefined) {
        payloads.incidents = incidents.body;
        sha256.incidents = incidents.sha256;
      }
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

/** Byte-wise comparison (ids and keys sort the same everywhere). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
