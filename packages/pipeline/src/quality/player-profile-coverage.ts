import type { Db } from '@matchflow/db';
import { sql } from 'drizzle-orm';
import { rows } from '../store/sql-rows.js';
import type { CheckOutcome } from './checks.js';

/**
 * The `players` stage's quality check (docs/quality.md). It is not one of a build's checks
 * (`QUALITY_CHECKS`): it measures the whole player population, not a competition-season, and
 * the stage records it for its own run.
 */
export const PLAYER_PROFILE_COVERAGE = 'player-profile-coverage';

/** Share of players with appearances whose profile must be complete for the check to pass. */
export const PLAYER_PROFILE_COVERAGE_THRESHOLD = 0.9;

/** A check outcome whose name is not one of a build's checks. */
export type StageCheckOutcome = Omit<CheckOutcome, 'check'> & { check: string };

const SAMPLE = 10;

/**
 * Of the players with at least one appearance in core, the share whose profile has all five
 * key fields (1 when there are none). WARN below the threshold; the sample names up to ten
 * incomplete players (in id order) and what their profile lacks.
 */
export async function measurePlayerProfileCoverage(db: Db): Promise<StageCheckOutcome> {
  const population = sql`FROM core.participants p LEFT JOIN core.player_profiles pp ON pp.player_id = p.id
    WHERE p.kind = 'player' AND EXISTS (SELECT 1 FROM core.appearances a WHERE a.player_id = p.id)`;
  const [counted] = await rows<{ total: number; complete: number }>(
    db,
    sql`SELECT count(*)::int AS total, count(*) FILTER (WHERE pp.complete)::int AS complete ${population}`,
  );
  const total = Number(counted?.total ?? 0);
  const observed = total === 0 ? 1 : Number(counted?.complete ?? 0) / total;
  const sample = await rows<{ player_id: string; profile: boolean; not_found: boolean | null; missing: string[] }>(
    db,
    sql`SELECT p.id AS player_id, pp.player_id IS NOT NULL AS profile, pp.not_found,
          array_remove(ARRAY[
            CASE WHEN pp.nationality IS NULL THEN 'nationality' END,
            CASE WHEN pp.date_of_birth IS NULL THEN 'date_of_birth' END,
            CASE WHEN pp.height_cm IS NULL THEN 'height_cm' END,
            CASE WHEN pp.preferred_foot IS NULL THEN 'preferred_foot' END,
            CASE WHEN pp.position IS NULL THEN 'position' END], NULL) AS missing
        ${population} AND pp.complete IS NOT TRUE
        ORDER BY p.id COLLATE "C" LIMIT ${SAMPLE}`,
  );
  const threshold = PLAYER_PROFILE_COVERAGE_THRESHOLD;
  return {
    check: PLAYER_PROFILE_COVERAGE,
    scope: 'players',
    severity: 'warn',
    status: observed >= threshold ? 'pass' : 'warn',
    observed,
    threshold,
    sample: sample.map((row) => ({
      player_id: row.player_id,
      ...(row.profile ? { missing: row.missing, not_found: row.not_found === true } : { profile: 'none yet' }),
    })),
  };
}
