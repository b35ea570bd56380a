/**
 * League table from a season's matches. Pure: no I/O, no clock, no locale.
 */

/** The fields of a `core.matches` row that a league table needs. */
export interface StandingsMatch {
  id: string;
  homeId: string;
  awayId: string;
  /** `notstarted`, `inprogress`, `finished`, `postponed` or `canceled`; only `finished` counts. */
  status: string;
  homeScore: number | null;
  awayScore: number | null;
  startTime: Date;
}

/** One row of a league table, shaped like `curated.standings` without its competition and season keys. */
export interface StandingsRow {
  participantId: string;
  /** 1-based, unique within the table. */
  position: number;
  played: number;
  won: number;
  drawn: number;
  lost: number;
  goalsFor: number;
  goalsAgainst: number;
  points: number;
}

/** Points awarded per result; a loss is always worth 0. */
export interface StandingsOptions {
  /** Default 3. */
  pointsForWin?: number;
  /** Default 1. */
  pointsForDraw?: number;
}

const DEFAULT_POINTS_FOR_WIN = 3;
const DEFAULT_POINTS_FOR_DRAW = 1;

/**
 * Builds a league table from matches.
 *
 * A match counts only when its status is `finished` and both scores are present. Every
 * participant that appears in any input match gets a row, with zeros if none of its matches
 * counts, so a table exists from the first fixture list.
 *
 * Order: points desc, goal difference desc, goals for desc; then, within a group still tied on
 * all three, head-to-head points in the counted matches among that group, applied only when every
 * pair in the group has met in a counted match; then `participantId` ascending (UTF-16 code-unit
 * order, not locale order). Head-to-head is applied once to the whole tied group and not re-applied
 * to the sub-groups it leaves tied; those fall straight to `participantId`.
 *
 * Positions run 1..n with no shared positions. The result does not depend on input order.
 *
 * @param matches - The matches of one table (one competition season). Match ids must be unique.
 * @param options - Points per win and per draw (defaults 3 and 1).
 * @returns One row per participant, ordered by position.
 * @throws RangeError if a match id repeats or a points option is not a finite number.
 */
export function computeStandings(matches: readonly StandingsMatch[], options: StandingsOptions = {}): StandingsRow[] {
  const pointsForWin = options.pointsForWin ?? DEFAULT_POINTS_FOR_WIN;
  const pointsForDraw = options.pointsForDraw ?? DEFAULT_POINTS_FOR_DRAW;
  if (!Number.isFinite(pointsForWin) || !Number.isFinite(pointsForDraw)) {
    throw new RangeError(`points must be finite numbers (win ${pointsForWin}, draw ${pointsForDraw})`);
  }
  assertUniqueIds(matches);

  const rows = new Map<string, StandingsRow>();
  const rowOf = (participantId: string): StandingsRow => {
    let row = rows.get(participantId);
    if (row === undefined) {
      row = {
        participantId,
        position: 0,
        played: 0,
        won: 0,
        drawn: 0,
        lost: 0,
        goalsFor: 0,
        goalsAgainst: 0,
        points: 0,
      };
      rows.set(participantId, row);
    }
    return row;
  };

  const counted: ScoredMatch[] = [];
  for (const match of matches) {
    const home = rowOf(match.homeId);
    const away = rowOf(match.awayId);
    const scored = toScoredMatch(match);
    if (scored === undefined) continue;
    counted.push(scored);
    addResult(home, scored.homeScore, scored.awayScore, pointsForWin, pointsForDraw);
    addResult(away, scored.awayScore, scored.homeScore, pointsForWin, pointsForDraw);
  }

  const ordered = [...rows.values()].sort(compareOverall);
  const table: StandingsRow[] = [];
  for (const group of groupsTiedOverall(ordered)) {
    table.push(...breakTieHeadToHead(group, counted, pointsForWin, pointsForDraw));
  }
  table.forEach((row, index) => {
    row.position = index + 1;
  });
  return table;
}

interface ScoredMatch {
  homeId: string;
  awayId: string;
  homeScore: number;
  awayScore: number;
}

function toScoredMatch(match: StandingsMatch): ScoredMatch | undefined {
  if (match.status !== 'finished' || match.homeScore === null || match.awayScore === null) return undefined;
  return { homeId: match.homeId, awayId: match.awayId, homeScore: match.homeScore, awayScore: match.awayScore };
}

function pointsFor(goalsFor: number, goalsAgainst: number, pointsForWin: number, pointsForDraw: number): number {
  if (goalsFor > goalsAgainst) return pointsForWin;
  if (goalsFor === goalsAgainst) return pointsForDraw;
  return 0;
}

function addResult(
  row: StandingsRow,
  goalsFor: number,
  goalsAgainst: number,
  pointsForWin: number,
  pointsForDraw: number,
): void {
  row.played += 1;
  row.goalsFor += goalsFor;
  row.goalsAgainst += goalsAgainst;
  if (goalsFor > goalsAgainst) row.won += 1;
  else if (goalsFor === goalsAgainst) row.drawn += 1;
  else row.lost += 1;
  row.points += pointsFor(goalsFor, goalsAgainst, pointsForWin, pointsForDraw);
}

const goalDifference = (row: StandingsRow): number => row.goalsFor - row.goalsAgainst;

/** Points, goal difference, goals for: the criteria that need no other team's results. */
function compareOnRecord(a: StandingsRow, b: StandingsRow): number {
  return b.points - a.points || goalDifference(b) - goalDifference(a) || b.goalsFor - a.goalsFor;
}

function compareOverall(a: StandingsRow, b: StandingsRow): number {
  return compareOnRecord(a, b) || compareCodeUnits(a.participantId, b.participantId);
}

/** Splits rows already sorted by {@link compareOverall} into runs tied on record. */
function groupsTiedOverall(ordered: readonly StandingsRow[]): StandingsRow[][] {
  const groups: StandingsRow[][] = [];
  let current: StandingsRow[] = [];
  for (const row of ordered) {
    const first = current[0];
    if (first !== undefined && compareOnRecord(first, row) !== 0) {
      groups.push(current);
      current = [];
    }
    current.push(row);
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/**
 * Reorders a group tied on record by the points its members took off each other. A group in
 * which some pair has not met keeps its `participantId` order: a partial mini-league would reward
 * whoever happened to play the others already.
 */
function breakTieHeadToHead(
  group: StandingsRow[],
  counted: readonly ScoredMatch[],
  pointsForWin: number,
  pointsForDraw: number,
): StandingsRow[] {
  if (group.length < 2) return group;

  const members = new Set(group.map((row) => row.participantId));
  const headToHeadPoints = new Map<string, number>();
  const metPairs = new Set<string>();
  for (const match of counted) {
    if (!members.has(match.homeId) || !members.has(match.awayId)) continue;
    metPairs.add(pairKey(match.homeId, match.awayId));
    const home = pointsFor(match.homeScore, match.awayScore, pointsForWin, pointsForDraw);
    const away = pointsFor(match.awayScore, match.homeScore, pointsForWin, pointsForDraw);
    headToHeadPoints.set(match.homeId, (headToHeadPoints.get(match.homeId) ?? 0) + home);
    headToHeadPoints.set(match.awayId, (headToHeadPoints.get(match.awayId) ?? 0) + away);
  }

  const pairsInGroup = (group.length * (group.length - 1)) / 2;
  if (metPairs.size < pairsInGroup) return group;

  const headToHeadOf = (row: StandingsRow): number => headToHeadPoints.get(row.participantId) ?? 0;
  return [...group].sort(
    (a, b) => headToHeadOf(b) - headToHeadOf(a) || compareCodeUnits(a.participantId, b.participantId),
  );
}

/** Key for an unordered pair; JSON-encoded so no id, whatever it contains, can make two pairs collide. */
function pairKey(a: string, b: string): string {
  return compareCodeUnits(a, b) <= 0 ? JSON.stringify([a, b]) : JSON.stringify([b, a]);
}

function compareCodeUnits(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

function assertUniqueIds(matches: readonly StandingsMatch[]): void {
  const seen = new Set<string>();
  for (const match of matches) {
    // A repeated match would be counted twice without any visible sign in the table.
    if (seen.has(match.id)) throw new RangeError(`match ${match.id} appears more than once`);
    seen.add(match.id);
  }
}
