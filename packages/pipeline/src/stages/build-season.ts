import { core, curated, type Db } from '@matchflow/db';
import type { BuildJob } from '@matchflow/queues';
import { eq } from 'drizzle-orm';
import { computeStandings } from '../build/standings.js';
import { coreIds } from '../store/core-ids.js';

export interface BuildResult {
  standings: number;
}

/**
 * `build(season)`: rebuild the curated tables of one competition-season from core (for now the
 * league standings; the build/publish issue adds the rest, quality gates and snapshots).
 * Replaces the season's rows in one transaction, so readers never see half a table.
 */
export async function buildSeason(
  deps: { db: Db },
  job: Pick<BuildJob, 'competitionId' | 'season'>,
): Promise<BuildResult> {
  const seasonId = coreIds.season(job.competitionId, job.season);
  return deps.db.transaction(async (txn) => {
    const tx = txn as unknown as Db;
    const [competition] = await tx.select().from(core.competitions).where(eq(core.competitions.id, job.competitionId));
    const matches = await tx.select().from(core.matches).where(eq(core.matches.seasonId, seasonId));
    await tx.delete(curated.standings).where(eq(curated.standings.seasonId, seasonId));
    // Standings are a league table: tennis draws and empty seasons have none.
    if (!competition || competition.sport !== 'football' || matches.length === 0) return { standings: 0 };
    const rows = computeStandings(matches);
    await tx
      .insert(curated.standings)
      .values(rows.map((row) => ({ competitionId: job.competitionId, seasonId, ...row })));
    return { standings: rows.length };
  });
}
