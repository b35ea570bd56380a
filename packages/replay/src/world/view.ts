import type { Card, Goal, Match, ShootoutKick, Side, Substitution } from './model.js';

/**
 * What a match looks like at a given moment of the simulated clock. The world holds the whole
 * story; a view reveals only what has happened by `now`.
 */

export type StatusType = 'notstarted' | 'inprogress' | 'finished' | 'postponed' | 'canceled';

export interface Status {
  code: number;
  description: string;
  type: StatusType;
}

const NOT_STARTED: Status = { code: 0, description: 'Not started', type: 'notstarted' };
const POSTPONED: Status = { code: 60, description: 'Postponed', type: 'postponed' };
const CANCELED: Status = { code: 70, description: 'Canceled', type: 'canceled' };
/** Not in our recordings; public scrapers report 91 for a tennis walkover. */
const WALKOVER: Status = { code: 91, description: 'Walkover', type: 'finished' };
const RETIRED: Status = { code: 92, description: 'Retired', type: 'finished' };
const ENDED: Status = { code: 100, description: 'Ended', type: 'finished' };
const AFTER_EXTRA_TIME: Status = { code: 110, description: 'AET', type: 'finished' };
const AFTER_PENALTIES: Status = { code: 120, description: 'AP', type: 'finished' };

const inProgress = (code: number, description: string): Status => ({ code, description, type: 'inprogress' });

/** A Sofascore score object: keys absent until they apply (`{}` before kick-off). */
export type ScoreObject = Record<string, number | string>;

export interface MatchView {
  match: Match;
  now: number;
  /** Kick-off as published at `now` (a postponed match moves once rescheduled). */
  startTimestamp: number;
  status: Status;
  /** Seconds since kick-off, 0 before it. */
  elapsed: number;
  started: boolean;
  finished: boolean;
  goals: Goal[];
  cards: Card[];
  substitutions: Substitution[];
  kicks: ShootoutKick[];
  homeScore: ScoreObject;
  awayScore: ScoreObject;
  winnerCode: 1 | 2 | 3 | undefined;
  time: Record<string, number>;
  changes: { changes?: string[]; changeTimestamp: number };
  /** The correction is in force at `now`. */
  corrected: boolean;
}

/** Kick-off as published at `now`: a postponed match moves once it is rescheduled. Cheap: no play is looked at. */
export function publishedStart(match: Match, now: number): number {
  return match.reschedule && now >= match.reschedule.at ? match.reschedule.to : match.startTimestamp;
}

/** The match as the upstream would show it at `now` (Unix seconds). */
export function viewMatch(match: Match, now: number): MatchView {
  const rescheduled = match.reschedule && now >= match.reschedule.at;
  const startTimestamp = publishedStart(match, now);
  const base = {
    match,
    now,
    startTimestamp,
    elapsed: Math.max(0, now - startTimestamp),
    goals: [],
    cards: [],
    substitutions: [],
    kicks: [],
    homeScore: {},
    awayScore: {},
    winnerCode: undefined,
    time: {},
    corrected: false,
  } satisfies Partial<MatchView>;

  const fateKnown = match.fateKnownAt !== undefined && now >= match.fateKnownAt;
  if (match.fate === 'canceled' && fateKnown) {
    return { ...base, status: CANCELED, started: false, finished: false, changes: statusChange(match.fateKnownAt) };
  }
  if (match.fate === 'postponed' && fateKnown && !rescheduled) {
    return { ...base, status: POSTPONED, started: false, finished: false, changes: statusChange(match.fateKnownAt) };
  }
  if (match.fate === 'walkover' && fateKnown) {
    const withdrew = match.tennis?.withdrew;
    return {
      ...base,
      status: WALKOVER,
      started: false,
      finished: true,
      winnerCode: withdrew === 'home' ? 2 : 1,
      changes: statusChange(match.fateKnownAt),
    };
  }
  if (now < startTimestamp) {
    const changes =
      rescheduled && match.reschedule
        ? {
            changes: ['startTimestamp', 'status.code', 'status.description', 'status.type'],
            changeTimestamp: match.reschedule.at,
          }
        : { changeTimestamp: 0 };
    return { ...base, status: NOT_STARTED, started: false, finished: false, changes };
  }
  return match.tennis ? viewTennis(match, base) : viewFootball(match, base);
}

type BaseView = Omit<MatchView, 'status' | 'started' | 'finished' | 'changes'>;

function statusChange(at: number | undefined) {
  return { changes: ['status.code', 'status.description', 'status.type'], changeTimestamp: at ?? 0 };
}

function viewFootball(match: Match, base: BaseView): MatchView {
  const play = match.football;
  if (!play) throw new Error(`football match ${match.id} has no play`);
  const t = base.elapsed;
  const line = play.timeline;
  const corrected = match.correction !== undefined && base.now >= match.correction.at;
  const struck = corrected ? match.correction?.goalId : undefined;
  const goals = play.goals.filter((goal) => goal.atOffset <= t && goal.id !== struck);
  const kicks = play.shootout.filter((kick) => kick.atOffset <= t);
  const finished = t >= line.end;
  const status = footballStatus(t, line, play.shootout.length > 0);

  const score = (side: Side): ScoreObject => {
    const mine = goals.filter((goal) => goal.side === side);
    const inPeriod = (from: number, to: number) =>
      mine.filter((goal) => goal.minute >= from && goal.minute <= to).length;
    const regulation = inPeriod(1, 90);
    const extra1 = inPeriod(91, 105);
    const extra2 = inPeriod(106, 120);
    const penalties = kicks.filter((kick) => kick.side === side && kick.scored).length;
    const display = regulation + extra1 + extra2;
    const object: ScoreObject = {
      current: display + (line.penaltiesStart !== undefined && t >= line.penaltiesStart ? penalties : 0),
      display,
    };
    object.period1 = inPeriod(1, 45);
    if (t >= line.secondHalfStart) object.period2 = inPeriod(46, 90);
    if (t >= line.secondHalfEnd) object.normaltime = regulation;
    if (line.extraFirstStart !== undefined && t >= line.extraFirstStart) {
      object.extra1 = extra1;
      if (line.extraSecondStart !== undefined && t >= line.extraSecondStart) object.extra2 = extra2;
      object.overtime = extra1 + extra2;
    }
    if (line.penaltiesStart !== undefined && t >= line.penaltiesStart) object.penalties = penalties;
    return object;
  };
  const homeScore = score('home');
  const awayScore = score('away');

  const periodStart = currentPeriodStart(t, line);
  const time: Record<string, number> = {};
  if (t >= line.firstHalfEnd) time.injuryTime1 = line.addedTime1;
  if (t >= line.secondHalfEnd) time.injuryTime2 = line.addedTime2;
  time.periodLength = 2_700;
  time.overtimeLength = 900;
  time.totalPeriodCount = 2;
  time.currentPeriodStartTimestamp = base.startTimestamp + periodStart;
  if (finished) {
    time.lastPeriodEndTimestamp = base.startTimestamp + line.end;
  } else {
    const period = t < line.secondHalfStart ? 1 : 2;
    time.initial = (period - 1) * 2_700;
    time.max = period * 2_700;
    time.extra = 540;
  }

  const changeOffsets = [
    0,
    ...[line.firstHalfEnd, line.secondHalfStart, line.secondHalfEnd, line.end].filter((offset) => offset <= t),
    ...goals.map((goal) => goal.atOffset),
    ...kicks.map((kick) => kick.atOffset),
  ];
  let changeTimestamp = base.startTimestamp + Math.max(...changeOffsets);
  let changed = finished
    ? ['status.code', 'status.description', 'status.type', 'time.currentPeriodStart']
    : ['status.code', 'status.description'];
  if (corrected && match.correction) {
    const goal = play.goals.find((candidate) => candidate.id === match.correction?.goalId);
    const side = goal?.side ?? 'home';
    changeTimestamp = Math.max(changeTimestamp, match.correction.at);
    changed = [`${side}Score.current`, `${side}Score.display`, `${side}Score.normaltime`];
  }

  return {
    ...base,
    status,
    started: true,
    finished,
    goals,
    cards: play.cards.filter((card) => card.atOffset <= t),
    substitutions: play.substitutions.filter((substitution) => substitution.atOffset <= t),
    kicks,
    homeScore,
    awayScore,
    winnerCode: finished ? winnerCode(Number(homeScore.current), Number(awayScore.current)) : undefined,
    time,
    changes: { changes: changed, changeTimestamp },
    corrected,
  };
}

function footballStatus(t: number, line: NonNullable<Match['football']>['timeline'], shootout: boolean): Status {
  if (t < line.firstHalfEnd) return inProgress(6, '1st half');
  if (t < line.secondHalfStart) return inProgress(31, 'Halftime');
  if (t < line.secondHalfEnd) return inProgress(7, '2nd half');
  if (line.extraFirstStart === undefined || line.extraFirstEnd === undefined) return ENDED;
  if (t < line.extraFirstStart) return inProgress(32, 'Awaiting extra time');
  if (t < line.extraFirstEnd) return inProgress(41, '1st extra');
  if (line.extraSecondStart !== undefined && t < line.extraSecondStart) return inProgress(33, 'Extra time halftime');
  if (line.extraSecondEnd !== undefined && t < line.extraSecondEnd) return inProgress(42, '2nd extra');
  if (!shootout) return AFTER_EXTRA_TIME;
  if (line.penaltiesStart !== undefined && t < line.penaltiesStart) return inProgress(34, 'Awaiting penalties');
  if (t < line.end) return inProgress(50, 'Penalties');
  return AFTER_PENALTIES;
}

function currentPeriodStart(t: number, line: NonNullable<Match['football']>['timeline']): number {
  const starts = [0, line.secondHalfStart, line.extraFirstStart, line.extraSecondStart, line.penaltiesStart].filter(
    (start): start is number => start !== undefined && start <= t,
  );
  return Math.max(...starts);
}

function viewTennis(match: Match, base: BaseView): MatchView {
  const play = match.tennis;
  if (!play) throw new Error(`tennis match ${match.id} has no play`);
  const t = base.elapsed;
  const finished = t >= play.end;
  const setsWon = { home: 0, away: 0 };
  const homeScore: ScoreObject = {};
  const awayScore: ScoreObject = {};
  const time: Record<string, number> = {};
  let currentSet = 1;
  play.sets.forEach((set, index) => {
    if (t < set.startOffset) return;
    const number = index + 1;
    currentSet = number;
    const done = t >= set.endOffset;
    const progress = done ? 1 : (t - set.startOffset) / (set.endOffset - set.startOffset);
    homeScore[`period${number}`] = Math.floor(set.home * progress);
    awayScore[`period${number}`] = Math.floor(set.away * progress);
    if (done && set.tiebreak) {
      homeScore[`period${number}TieBreak`] = set.tiebreak.home;
      awayScore[`period${number}TieBreak`] = set.tiebreak.away;
    }
    const complete = done && !(play.retired && index === play.sets.length - 1);
    if (complete) {
      setsWon[set.home > set.away ? 'home' : 'away'] += 1;
      time[`period${number}`] = set.endOffset - set.startOffset;
    }
  });
  const withCounts = (score: ScoreObject, won: number): ScoreObject => ({
    current: won,
    display: won,
    ...score,
    point: '0',
    ...(finished ? { normaltime: won } : {}),
  });
  const activeSet = play.sets[currentSet - 1];
  time.currentPeriodStartTimestamp = base.startTimestamp + (activeSet?.startOffset ?? 0);
  const winner = play.retired ? (play.retired === 'home' ? 2 : 1) : setsWon.home > setsWon.away ? 1 : 2;
  return {
    ...base,
    status: finished ? (play.retired ? RETIRED : ENDED) : inProgress(7 + currentSet, `${ordinal(currentSet)} set`),
    started: true,
    finished,
    homeScore: withCounts(homeScore, setsWon.home),
    awayScore: withCounts(awayScore, setsWon.away),
    winnerCode: finished ? winner : undefined,
    time,
    changes: {
      changes: finished
        ? ['status.code', 'status.description', 'status.type', 'time.currentPeriodStart']
        : ['time.currentPeriodStart'],
      changeTimestamp: base.startTimestamp + Math.min(t, play.end),
    },
  };
}

function ordinal(value: number): string {
  return value === 1 ? '1st' : value === 2 ? '2nd' : value === 3 ? '3rd' : `${value}th`;
}

function winnerCode(home: number, away: number): 1 | 2 | 3 {
  if (home > away) return 1;
  if (away > home) return 2;
  return 3;
}
