import type { CompetitionSettings } from '@matchflow/config';
import { type Db, raw } from '@matchflow/db';
import {
  type CanonicalBatch,
  ContractViolation,
  mapOpenfootballSeason,
  OPENFOOTBALL_ENDPOINTS,
} from '@matchflow/sources';
import { and, desc, eq, sql } from 'drizzle-orm';
import { seasonFileKey, upsertSeasonBatch } from '../ingest-season-file.js';
import type { LocatedRaw, LocateInput, RawNormaliser, RebuildScope } from './raw-normaliser.js';

/** One season file to re-normalise: the payload chosen and whose it is. */
interface LocatedFile {
  source: string;
  key: string;
  payloadId: number;
  /** Quarantined payloads of the same file, left out. */
  quarantined: number;
  /** Zone of the file's local kick-off times (the source's `timezone`). */
  timezone: string;
  scope: RebuildScope;
}

/**
 * openfootball keeps one payload per season file (endpoint `openfootball.season`, key
 * `{competition}.{season}`). For each configured competition-season, the newest payload of its
 * file that is not quarantined (by `fetched_at`, then id) is the one ingest last wrote into core;
 * it is mapped with the options ingest uses and written through `upsertSeasonBatch`, one
 * transaction per season. A season whose file raw does not hold is left out.
 */
export const openfootballRawNormaliser: RawNormaliser = {
  async locate({ db, config, competitions, scopeFor }: LocateInput): Promise<LocatedRaw> {
    const located: LocatedFile[] = [];
    for (const competition of competitions) {
      const timezone = config.sources[competition.source]?.timezone ?? 'UTC';
      for (const season of competition.seasons) {
        const file = await locateFile(db, competition, season);
        if (file) located.push({ ...file, timezone, scope: scopeFor(competition, season) });
      }
    }
    return {
      async normalise(db, include) {
        for (const file of located) if (include(file.scope)) await normaliseFile(db, file);
      },
    };
  },
};

/** The newest sound payload of a season's file, and how many of its payloads are quarantined. */
async function locateFile(
  db: Db,
  competition: CompetitionSettings,
  season: string,
): Promise<Omit<LocatedFile, 'timezone' | 'scope'> | undefined> {
  const { source } = competition;
  const key = seasonFileKey({ competition: competition.competition, season });
  const ofFile = and(
    eq(raw.payloads.source, source),
    eq(raw.payloads.endpoint, OPENFOOTBALL_ENDPOINTS.season),
    eq(raw.payloads.key, key),
  );
  const [newest] = await db
    .select({ id: raw.payloads.id })
    .from(raw.payloads)
    .where(and(ofFile, eq(raw.payloads.quarantined, false)))
    .orderBy(desc(raw.payloads.fetchedAt), desc(raw.payloads.id))
    .limit(1);
  if (!newest) return undefined;
  const [quarantined] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(raw.payloads)
    .where(and(ofFile, eq(raw.payloads.quarantined, true)));
  return { source, key, payloadId: newest.id, quarantined: Number(quarantined?.count ?? 0) };
}

async function normaliseFile(db: Db, file: LocatedFile): Promise<void> {
  const { competition, season, result } = file.scope;
  const [payload] = await db
    .select({ body: raw.payloads.body, sha256: raw.payloads.sha256 })
    .from(raw.payloads)
    .where(eq(raw.payloads.id, file.payloadId));
  result.payloads += 1;
  result.quarantinedSkipped += file.quarantined;
  let batch: CanonicalBatch;
  try {
    batch = mapOpenfootballSeason(payload?.body, {
      source: file.source,
      competition: competition.competition,
      season,
      timezone: file.timezone,
    });
  } catch (error) {
    // A fixed mapper that now rejects the stored file: reported, the season not published.
    if (!(error instanceof ContractViolation)) throw error;
    result.rejected.push({ match: file.key, error: error.problems.join('; ') });
    return;
  }
  // One transaction per season, as ingest writes it: core never holds half a re-normalised file.
  const written = await db.transaction((txn) =>
    upsertSeasonBatch(txn as unknown as Db, {
      source: file.source,
      competition,
      batch,
      ...(payload ? { rawSha256: payload.sha256 } : {}),
    }),
  );
  result.matches += written.matches;
}
