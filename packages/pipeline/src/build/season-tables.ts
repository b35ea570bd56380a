import { core, curated, type Db } from '@matchflow/db';
import { and, eq, inArray } from 'drizzle-orm';
import { chunks } from '../store/chunks.js';
import { appearanceRecords, tennisRecords } from './season-records.js';

/** Names of participants, by id. */
async function namesOf(tx: Db, ids: readonly string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const chunk of chunks([...new Set(ids)])) {
    const rows = await tx
      .select({ id: core.participants.id, name: core.participants.name })
      .from(core.participants)
      .where(inArray(core.participants.id, chunk));
    for (const row of rows) names.set(row.id, row.name);
  }
  return names;
}

const finishedIn = (seasonId: string) => and(eq(core.matches.seasonId, seasonId), eq(core.matches.status, 'finished'));

/** Replaces the season's `curated.player_appearances` from its finished matches' lineups and incidents. */
export async function writePlayerAppearances(tx: Db, competitionId: string, seasonId: string): Promise<number> {
  const appearances = await tx
    .select({
      matchId: core.appearances.matchId,
      playerId: core.appearances.playerId,
      teamId: core.appearances.teamId,
      starter: core.appearances.starter,
      minutes: core.appearances.minutes,
    })
    .from(core.appearances)
    .innerJoin(core.matches, eq(core.matches.id, core.appearances.matchId))
    .where(finishedIn(seasonId));
  const incidents = await tx
    .select({
      matchId: core.incidents.matchId,
      kind: core.incidents.kind,
      playerId: core.incidents.playerId,
      detail: core.incidents.detail,
    })
    .from(core.incidents)
    .innerJoin(core.matches, eq(core.matches.id, core.incidents.matchId))
    .where(and(finishedIn(seasonId), inArray(core.incidents.kind, ['goal', 'card'])));
  const records = appearanceRecords(appearances, incidents);
  const names = await namesOf(
    tx,
    records.map((record) => record.playerId),
  );
  await tx.delete(curated.playerAppearances).where(eq(curated.playerAppearances.seasonId, seasonId));
  const rows = records.map((record) => ({
    competitionId,
    seasonId,
    playerName: names.get(record.playerId) ?? record.playerId,
    ...record,
  }));
  for (const chunk of chunks(rows)) await tx.insert(curated.playerAppearances).values(chunk);
  return rows.length;
}

/** Replaces the season's `curated.tennis_records` from its finished matches. */
export async function writeTennisRecords(tx: Db, competitionId: string, seasonId: string): Promise<number> {
  const matches = await tx
    .select({
      homeId: core.matches.homeId,
      awayId: core.matches.awayId,
      winner: core.matches.winner,
      statusDetail: core.matches.statusDetail,
      surface: core.matches.surface,
    })
    .from(core.matches)
    .where(finishedIn(seasonId));
  const records = tennisRecords(matches);
  const names = await namesOf(
    tx,
    records.map((record) => record.playerId),
  );
  await tx.delete(curated.tennisRecords).where(eq(curated.tennisRecords.seasonId, seasonId));
  const rows = records.map((record) => ({
    competitionId,
    seasonId,
    playerName: names.get(record.playerId) ?? record.playerId,
    ...record,
  }));
  for (const chunk of chunks(rows)) await tx.insert(curated.tennisRecords).values(chunk);
  return rows.length;
}
