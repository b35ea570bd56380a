/**
 * Per-player season records, from a season's finished matches. Pure: no I/O, no clock; the
 * output is sorted, so the same matches give the same rows whatever order they come in.
 */

/** A `core.appearances` row of a finished match. */
export interface AppearanceInput {
  matchId: string;
  playerId: string;
  teamId: string;
  starter: boolean;
  minutes: number | null;
}

/** A `core.incidents` row of a finished match (goals and cards matter here). */
export interface IncidentInput {
  matchId: string;
  kind: string;
  playerId: string | null;
  detail: unknown;
}

export interface AppearanceRecord {
  playerId: string;
  teamId: string;
  appearances: number;
  starts: number;
  minutes: number;
  goals: number;
  yellowCards: number;
  redCards: number;
}

/**
 * Appearances (started, or came on and played), starts, minutes, goals (own goals excluded) and
 * cards (a second yellow counts as a red) per player and team. A player booked or scoring in a
 * match is credited to the team he appeared for in it.
 */
export function appearanceRecords(
  appearances: readonly AppearanceInput[],
  incidents: readonly IncidentInput[],
): AppearanceRecord[] {
  const records = new Map<string, AppearanceRecord>();
  const teamIn = new Map<string, string>();
  const recordOf = (playerId: string, teamId: string) => {
    const key = JSON.stringify([playerId, teamId]);
    let record = records.get(key);
    if (!record) {
      record = { playerId, teamId, appearances: 0, starts: 0, minutes: 0, goals: 0, yellowCards: 0, redCards: 0 };
      records.set(key, record);
    }
    return record;
  };
  for (const appearance of appearances) {
    teamIn.set(JSON.stringify([appearance.matchId, appearance.playerId]), appearance.teamId);
    const played = appearance.starter || (appearance.minutes ?? 0) > 0;
    if (!played) continue;
    const record = recordOf(appearance.playerId, appearance.teamId);
    record.appearances += 1;
    if (appearance.starter) record.starts += 1;
    record.minutes += appearance.minutes ?? 0;
  }
  for (const incident of incidents) {
    if (incident.playerId === null || (incident.kind !== 'goal' && incident.kind !== 'card')) continue;
    const teamId = teamIn.get(JSON.stringify([incident.matchId, incident.playerId]));
    if (teamId === undefined) continue; // no lineup for this match: nothing to credit it to
    const kind = (incident.detail as { class?: unknown } | null)?.class;
    const record = recordOf(incident.playerId, teamId);
    if (incident.kind === 'goal' && kind !== 'ownGoal') record.goals += 1;
    if (incident.kind === 'card' && kind === 'yellow') record.yellowCards += 1;
    if (incident.kind === 'card' && (kind === 'red' || kind === 'yellowRed')) record.redCards += 1;
  }
  return [...records.values()].sort((a, b) => compare(a.playerId, b.playerId) || compare(a.teamId, b.teamId));
}

/** A finished tennis match of the season. */
export interface TennisMatchInput {
  homeId: string;
  awayId: string;
  winner: string | null;
  statusDetail: string | null;
  surface: string | null;
}

export interface TennisRecord {
  playerId: string;
  surface: string;
  played: number;
  won: number;
  lost: number;
  retired: number;
}

/** Won and lost per player and surface; walkovers were not played and do not count. */
export function tennisRecords(matches: readonly TennisMatchInput[]): TennisRecord[] {
  const records = new Map<string, TennisRecord>();
  const recordOf = (playerId: string, surface: string) => {
    const key = JSON.stringify([playerId, surface]);
    let record = records.get(key);
    if (!record) {
      record = { playerId, surface, played: 0, won: 0, lost: 0, retired: 0 };
      records.set(key, record);
    }
    return record;
  };
  for (const match of matches) {
    if (match.statusDetail === 'walkover' || (match.winner !== 'home' && match.winner !== 'away')) continue;
    const surface = match.surface ?? 'unknown';
    const [winner, loser] = match.winner === 'home' ? [match.homeId, match.awayId] : [match.awayId, match.homeId];
    const won = recordOf(winner, surface);
    const lost = recordOf(loser, surface);
    won.played += 1;
    won.won += 1;
    lost.played += 1;
    lost.lost += 1;
    if (match.statusDetail === 'retired') lost.retired += 1;
  }
  return [...records.values()].sort((a, b) => compare(a.playerId, b.playerId) || compare(a.surface, b.surface));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
