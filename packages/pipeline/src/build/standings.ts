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
  /** Points from results plus `adjustment`. */
  points: number;
  /** Points added (or, negative, deducted) by the competition: `StandingsOptions.adjustments`. */
  adjustment: number;
  /** The last five counted results, oldest first: `W`, `D`, `L` (fewer early in a season). */
  form: string;
}

/** What orders a table; each splits the rows still tied on every criterion before it. */
export type Tiebreaker = 'points' | 'goalDifference' | 'goalsFor' | 'goalsAgainst' | 'wins' | 'headToHead';

export const DEFAULT_TIEBREAKERS: readonly Tiebreaker[] = ['points', 'goalDifference', 'goalsFor', 'headToHead'];

/** Points per result, tie-break order and points adjustments. */
export interface StandingsOptions {
  /** Default 3. */
  pointsForWin?: number;
  /** Default 1. */
  pointsForDraw?: number;
  /** Default 0. */
  pointsForLoss?: number;
  /** Default {@link DEFAULT_TIEBREAKERS}; rows tied on all of them are ordered by participantId. */
  tiebreakers?: readonly Tiebreaker[];
  /** Points added per participant (negative for a deduction), e.g. for breaking financial rules. */
  adjustments?: Readonly<Record<string, number>>;
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
 * Order: by each tiebreaker in turn (default: points, goal difference, goals for, head-to-head),
 * each applied only to the rows still tied on all before it; `goalsAgainst` ranks fewer first,
 * the rest more first. `headToHead` ranks a tied group by the points its members took off each
 * other in counted matches, and only when every pair in the group has met in one (a partial
 * mini-league would reward whoever happened to play the others already). Rows tied on everything
 * are ordered by `participantId` (UTF-16 code-unit order, not locale order).
 *
 * Positions run 1..n with no shared positions. The result does not depend on input order.
 *
 * @param matches - The matches of one table (one competition season). Match ids must be unique.
 * @param options - Points per result (defaults 3, 1, 0), tiebreakers, adjustments.
 * @returns One row per participant, ordered by position.
 * @throws RangeError if a match id repeats or a points option is not a finite number.
 */
export function computeStandings(matches: readonly StandingsMatch[], options: StandingsOptions = {}): StandingsRow[] {
  const points: Points = {
    win: options.pointsForWin ?? DEFAULT_POINTS_FOR_WIN,
    draw: options.pointsForDraw ?? DEFAULT_POINTS_FOR_DRAW,
    loss: options.pointsForLoss ?? 0,
  };
  if (![points.win, points.draw, points.loss].every(Number.isFinite)) {
    throw new RangeError(`points must be finite numbers (win ${points.win}, draw ${points.draw}, loss ${points.loss})`);
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
        points: options.adjustments?.[participantId] ?? 0,
        adjustment: options.adjustments?.[participantId] ?? 0,
        form: '',
      };
      rows.set(participantId, row);
    }
    return row;
  };

  const counted: ScoredMatch[] = [];
  const chronological = [...matches].sort(
    (a, b) => a.startTime.getTime() - b.startTime.getTime() || compareCodeUnits(a.id, b.id),
  );
  for (const match of chronological) {
    const home = rowOf(match.homeId);
    const away = rowOf(match.awayId);
    const scored = toScoredMatch(match);
    if (scored === undefined) continue;
    counted.push(scored);
    addResult(home, scored.homeScore, scored.awayScore, points);
    addResult(away, scored.awayScore, scored.homeScore, points);
  }

  const table = rank([...rows.values()], options.tiebreakers ?? DEFAULT_TIEBREAKERS, counted, points);
  table.forEach((row, index) => {
    row.position = index + 1;
  });
  return table;
}

interface Points {
  win: number;
  draw: number;
  loss: number;
}

/** Orders `group` by the first tiebreaker, then each run it leaves tied by the rest. */
function rank(
  group: StandingsRow[],
  tiebreakers: readonly Tiebreaker[],
  counted: readonly ScoredMatch[],
  points: Points,
): StandingsRow[] {
  if (group.length < 2) return group;
  const [tiebreaker, ...rest] = tiebreakers;
  if (tiebreaker === undefined) return [...group].sort((a, b) => compareCodeUnits(a.participantId, b.participantId));
  const scoreOf = tiebreaker === 'headToHead' ? headToHead(group, counted, points) : RECORD_VALUES[tiebreaker];
  if (scoreOf === undefined) return rank(group, rest, counted, points);
  const ordered = [...group].sort((a, b) => scoreOf(b) - scoreOf(a));
  const result: StandingsRow[] = [];
  let run: StandingsRow[] = [];
  for (const row of ordered) {
    const first = run[0];
    if (first !== undefined && scoreOf(first) !== scoreOf(row)) {
      result.push(...rank(run, rest, counted, points));
      run = [];
    }
    run.push(row);
  }
  result.push(...rank(run, rest, counted, points));
  return result;
}

/** Higher is better for every criterion, hence goals against negated. */
const RECORD_VALUES: Record<Exclude<Tiebreaker, 'headToHead'>, (row: StandingsRow) => number> = {
  points: (row) => row.points,
  goalDifference: (row) => row.goalsFor - row.goalsAgainst,
  goalsFor: (row) => row.goalsFor,
  goalsAgainst: (row) => -row.goalsAgainst,
  wins: (row) => row.won,
};

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

function pointsFor(goalsFor: number, goalsAgainst: number, points: Points): number {
  if (goalsFor > goalsAgainst) return points.win;
  if (goalsFor === goalsAgainst) return points.draw;
  return points.loss;
}

const FORM_LENGTH = 5;

/** Adds one counted result; matches arrive in chronological order, so form ends with the latest. */
function addResult(row: StandingsRow, goalsFor: number, goalsAgainst: number, points: Points): void {
  row.played += 1;
  row.goalsFor += goalsFor;
  row.goalsAgainst += goalsAgainst;
  const result = goalsFor > goalsAgainst ? 'W' : goalsFor === goalsAgainst ? 'D' : 'L';
  if (result === 'W') row.won += 1;
  else if (result === 'D') row.drawn += 1;
  else row.lost += 1;
  row.points += pointsFor(goalsFor, goalsAgainst, points);
  row.form = `${row.form}${result}`.slice(-FORM_LENGTH);
}

/**
 * Head-to-head points of each member of a tied group: what it took off the others in counted
 * matches. Undefined (no split) unless every pair in the group has met.
 */
function headToHead(
  group: readonly StandingsRow[],
  counted: readonly ScoredMatch[],
  points: Points,
): ((row: StandingsRow) => number) | undefined {
  const members = new Set(group.map((row) => row.participantId));
  const headToHeadPoints = new Map<string, number>();
  const metPairs = new Set<string>();
  for (const match of counted) {
    if (!members.has(match.homeId) || !members.has(match.awayId)) continue;
    metPairs.add(pairKey(match.homeId, match.awayId));
    const home = pointsFor(match.homeScore, match.awayScore, points);
    const away = pointsFor(match.awayScore, match.homeScore, points);
    headToHeadPoints.set(match.homeId, (headToHeadPoints.get(match.homeId) ?? 0) + home);
    headToHeadPoints.set(match.awayId, (headToHeadPoints.get(match.awayId) ?? 0) + away);
  }
  const pairsInGroup = (group.length * (group.length - 1)) / 2;
  if (metPairs.size < pairsInGroup) return undefined;
  return (row) => headToHeadPoints.get(row.participantId) ?? 0;
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
