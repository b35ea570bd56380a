import type {
  Card,
  FootballPlay,
  FootballTimeline,
  Goal,
  Lineup,
  Player,
  Position,
  ShootoutKick,
  Side,
  Substitution,
  Team,
} from './model.js';
import type { Random } from './random.js';

/** League-average goals per team per match is exp(BASE_LOG_RATE) ~ 1.3. */
const BASE_LOG_RATE = Math.log(1.3);
/** Home advantage on the log goal rate: ~ +20% goals at home. */
const HOME_LOG_ADVANTAGE = 0.2;
const HALF_TIME_BREAK_SEC = 15 * 60;
const EXTRA_TIME_BREAK_SEC = 5 * 60;
const PENALTIES_WAIT_SEC = 3 * 60;
const SECONDS_PER_KICK = 60;

const FORMATIONS: ReadonlyArray<{ name: string; counts: Record<Position, number> }> = [
  { name: '4-4-2', counts: { G: 1, D: 4, M: 4, F: 2 } },
  { name: '4-3-3', counts: { G: 1, D: 4, M: 3, F: 3 } },
  { name: '4-2-3-1', counts: { G: 1, D: 4, M: 5, F: 1 } },
  { name: '3-5-2', counts: { G: 1, D: 3, M: 5, F: 2 } },
];

const SCORING_WEIGHT: Record<Position, number> = { G: 0.02, D: 0.8, M: 2.5, F: 5 };
const CARD_REASONS = ['Foul', 'Foul', 'Foul', 'Argument', 'Time wasting', 'Handball', 'Unsportsmanlike conduct'];

/** Ids for incidents, unique across the world. */
export interface IdSource {
  next(): number;
}

export interface FootballContext {
  home: Team;
  away: Team;
  /** Knockout: a draw goes to extra time and penalties. */
  knockout: boolean;
  incidentIds: IdSource;
}

/** Decide everything about one football match, consistently: who played, scored, was booked. */
export function simulateFootball(random: Random, context: FootballContext): FootballPlay {
  const lineups = {
    home: pickLineup(random.fork('lineup.home'), context.home),
    away: pickLineup(random.fork('lineup.away'), context.away),
  };
  const addedTime1 = random.int(1, 4);
  const addedTime2 = random.int(2, 7);
  const { home: homeRate, away: awayRate } = expectedGoals(context.home, context.away);

  const regulationGoals = {
    home: random.poisson(homeRate),
    away: random.poisson(awayRate),
  };
  const extraTime = context.knockout && regulationGoals.home === regulationGoals.away;
  const extraGoals = extraTime
    ? { home: random.poisson((homeRate * 30) / 90), away: random.poisson((awayRate * 30) / 90) }
    : { home: 0, away: 0 };
  const needsShootout = extraTime && regulationGoals.home + extraGoals.home === regulationGoals.away + extraGoals.away;

  const timeline = buildTimeline(addedTime1, addedTime2, extraTime);
  const substitutions = [
    ...pickSubstitutions(random.fork('subs.home'), 'home', lineups.home, timeline, extraTime, context.incidentIds),
    ...pickSubstitutions(random.fork('subs.away'), 'away', lineups.away, timeline, extraTime, context.incidentIds),
  ].sort(byOffset);

  const onPitch = (side: Side, minute: number) => playersOnPitch(lineups[side], substitutions, side, minute);
  const goals: Goal[] = [];
  for (const side of ['home', 'away'] as const) {
    const goalRandom = random.fork(`goals.${side}`);
    for (let index = 0; index < regulationGoals[side]; index += 1) {
      goals.push(
        makeGoal(goalRandom, side, regulationMinute(goalRandom, addedTime1, addedTime2), timeline, onPitch, context),
      );
    }
    for (let index = 0; index < extraGoals[side]; index += 1) {
      const minute = { minute: goalRandom.int(91, 120), addedTime: 0 };
      goals.push(makeGoal(goalRandom, side, minute, timeline, onPitch, context));
    }
  }
  goals.sort(byOffset);

  const cards = pickCards(random.fork('cards'), timeline, onPitch, goals, substitutions, context.incidentIds);
  const shootout = needsShootout
    ? simulateShootout(random.fork('shootout'), timeline, onPitch, context.incidentIds)
    : [];
  if (shootout.length > 0) {
    const last = shootout[shootout.length - 1] as ShootoutKick;
    timeline.end = last.atOffset + SECONDS_PER_KICK;
  }
  return {
    timeline,
    goals,
    cards,
    substitutions,
    shootout,
    lineups,
    possessionHome: clamp(
      0.5 + (context.home.attack - context.away.attack) * 0.25 + random.normal(0, 0.06),
      0.25,
      0.75,
    ),
    statsSeed: random.int(1, 2_147_483_646),
  };
}

/**
 * Mean regulation-time goals of each side: the Poisson rates the simulation draws goals from
 * (league average, home advantage and the clubs' hidden strengths). The odds market prices
 * matches from the same rates.
 */
export function expectedGoals(home: Team, away: Team): { home: number; away: number } {
  return {
    home: Math.exp(BASE_LOG_RATE + HOME_LOG_ADVANTAGE + home.attack - away.defence),
    away: Math.exp(BASE_LOG_RATE + away.attack - home.defence),
  };
}

function buildTimeline(addedTime1: number, addedTime2: number, extraTime: boolean): FootballTimeline {
  const firstHalfEnd = (45 + addedTime1) * 60;
  const secondHalfStart = firstHalfEnd + HALF_TIME_BREAK_SEC;
  const secondHalfEnd = secondHalfStart + (45 + addedTime2) * 60;
  if (!extraTime) {
    return {
      firstHalfEnd,
      secondHalfStart,
      secondHalfEnd,
      extraFirstStart: undefined,
      extraFirstEnd: undefined,
      extraSecondStart: undefined,
      extraSecondEnd: undefined,
      penaltiesStart: undefined,
      end: secondHalfEnd,
      addedTime1,
      addedTime2,
    };
  }
  const extraFirstStart = secondHalfEnd + EXTRA_TIME_BREAK_SEC;
  const extraFirstEnd = extraFirstStart + 16 * 60;
  const extraSecondStart = extraFirstEnd + 60;
  const extraSecondEnd = extraSecondStart + 16 * 60;
  return {
    firstHalfEnd,
    secondHalfStart,
    secondHalfEnd,
    extraFirstStart,
    extraFirstEnd,
    extraSecondStart,
    extraSecondEnd,
    penaltiesStart: extraSecondEnd + PENALTIES_WAIT_SEC,
    end: extraSecondEnd,
    addedTime1,
    addedTime2,
  };
}

/** Seconds after kick-off at which a match minute (plus stoppage) is played. */
export function offsetOfMinute(timeline: FootballTimeline, minute: number, addedTime: number, second: number): number {
  if (minute <= 45) return (minute - 1 + addedTime) * 60 + second;
  if (minute <= 90) return timeline.secondHalfStart + (minute - 46 + addedTime) * 60 + second;
  if (minute <= 105) return (timeline.extraFirstStart ?? timeline.secondHalfEnd) + (minute - 91) * 60 + second;
  return (timeline.extraSecondStart ?? timeline.secondHalfEnd) + (minute - 106) * 60 + second;
}

function regulationMinute(
  random: Random,
  addedTime1: number,
  addedTime2: number,
): { minute: number; addedTime: number } {
  // About one goal in twelve comes in stoppage time.
  if (random.chance(0.08)) {
    return random.chance(0.4)
      ? { minute: 45, addedTime: random.int(1, addedTime1) }
      : { minute: 90, addedTime: random.int(1, addedTime2) };
  }
  return { minute: random.int(1, 90), addedTime: 0 };
}

function makeGoal(
  random: Random,
  side: Side,
  at: { minute: number; addedTime: number },
  timeline: FootballTimeline,
  onPitch: (side: Side, minute: number) => Player[],
  context: FootballContext,
): Goal {
  const ownGoal = random.chance(0.03);
  const penalty = !ownGoal && random.chance(0.08);
  const scorerSide: Side = ownGoal ? other(side) : side;
  const candidates = onPitch(scorerSide, at.minute).filter((player) => !ownGoal || player.position !== 'F');
  const scorer = candidates[
    random.weighted(candidates.map((player) => (ownGoal ? 1 : SCORING_WEIGHT[player.position])))
  ] as Player;
  const teammates = onPitch(side, at.minute).filter((player) => player.id !== scorer.id && player.position !== 'G');
  const assist =
    !ownGoal && !penalty && random.chance(0.7) && teammates.length > 0 ? random.pick(teammates) : undefined;
  return {
    id: context.incidentIds.next(),
    minute: at.minute,
    addedTime: at.addedTime,
    atOffset: offsetOfMinute(timeline, at.minute, at.addedTime, random.int(0, 59)),
    side,
    scorerId: scorer.id,
    assistId: assist?.id,
    kind: ownGoal ? 'ownGoal' : penalty ? 'penalty' : 'regular',
  };
}

function pickLineup(random: Random, team: Team): Lineup {
  const formation = random.pick(FORMATIONS);
  const unavailable = random.shuffle(team.squad.filter((player) => player.position !== 'G')).slice(0, random.int(0, 2));
  const available = team.squad.filter((player) => !unavailable.includes(player));
  const starters: Player[] = [];
  for (const position of ['G', 'D', 'M', 'F'] as const) {
    const ofPosition = available.filter((player) => player.position === position);
    // Usual first choices, with some rotation.
    const ordered = random.chance(0.7) ? ofPosition : random.shuffle(ofPosition);
    starters.push(...ordered.slice(0, formation.counts[position]));
  }
  const shortfall = 11 - starters.length;
  if (shortfall > 0) starters.push(...available.filter((player) => !starters.includes(player)).slice(0, shortfall));
  const substitutes = available.filter((player) => !starters.includes(player)).slice(0, 9);
  return {
    formation: formation.name,
    starters,
    substitutes,
    missing: unavailable.map((player) => ({ player, reason: random.chance(0.8) ? 1 : 2 })),
  };
}

function pickSubstitutions(
  random: Random,
  side: Side,
  lineup: Lineup,
  timeline: FootballTimeline,
  extraTime: boolean,
  ids: IdSource,
): Substitution[] {
  const count = random.int(3, 5);
  const outfield = random.shuffle(lineup.starters.filter((player) => player.position !== 'G'));
  const bench = random.shuffle(lineup.substitutes.filter((player) => player.position !== 'G'));
  const substitutions: Substitution[] = [];
  for (let index = 0; index < Math.min(count, outfield.length, bench.length); index += 1) {
    const minute = extraTime && index === count - 1 ? random.int(91, 110) : random.int(46, 88);
    substitutions.push({
      id: ids.next(),
      minute,
      atOffset: offsetOfMinute(timeline, minute, 0, random.int(0, 59)),
      side,
      playerOutId: (outfield[index] as Player).id,
      playerInId: (bench[index] as Player).id,
      injury: random.chance(0.08),
    });
  }
  return substitutions;
}

/** Who is on the pitch for `side` during `minute`, given the substitutions made so far. */
export function playersOnPitch(lineup: Lineup, substitutions: Substitution[], side: Side, minute: number): Player[] {
  const players = new Map(lineup.starters.map((player) => [player.id, player]));
  for (const substitution of substitutions) {
    if (substitution.side !== side || substitution.minute >= minute) continue;
    players.delete(substitution.playerOutId);
    const incoming = lineup.substitutes.find((player) => player.id === substitution.playerInId);
    if (incoming) players.set(incoming.id, incoming);
  }
  return [...players.values()];
}

function pickCards(
  random: Random,
  timeline: FootballTimeline,
  onPitch: (side: Side, minute: number) => Player[],
  goals: Goal[],
  substitutions: Substitution[],
  ids: IdSource,
): Card[] {
  const cards: Card[] = [];
  for (const side of ['home', 'away'] as const) {
    const booked = new Set<number>();
    const count = random.poisson(1.8);
    for (let index = 0; index < count; index += 1) {
      const minute = random.int(5, 90);
      const candidates = onPitch(side, minute).filter((player) => !booked.has(player.id));
      if (candidates.length === 0) continue;
      const player = random.pick(candidates);
      booked.add(player.id);
      cards.push({
        id: ids.next(),
        minute,
        atOffset: offsetOfMinute(timeline, minute, 0, random.int(0, 59)),
        side,
        playerId: player.id,
        colour: 'yellow',
        reason: random.pick(CARD_REASONS),
      });
    }
    // A sending-off only late, and only of someone with nothing left to do in the match.
    if (random.chance(0.07)) {
      const minute = random.int(80, 90);
      const busyLater = new Set([
        ...goals.filter((goal) => goal.minute >= minute).flatMap((goal) => [goal.scorerId, goal.assistId]),
        ...substitutions.filter((sub) => sub.minute >= minute).flatMap((sub) => [sub.playerInId, sub.playerOutId]),
      ]);
      const candidates = onPitch(side, minute).filter((player) => !busyLater.has(player.id) && player.position !== 'G');
      if (candidates.length > 0) {
        const player = random.pick(candidates);
        cards.push({
          id: ids.next(),
          minute,
          atOffset: offsetOfMinute(timeline, minute, 0, random.int(0, 59)),
          side,
          playerId: player.id,
          colour: booked.has(player.id) ? 'yellowRed' : 'red',
          reason: 'Foul',
        });
      }
    }
  }
  return cards.sort(byOffset);
}

function simulateShootout(
  random: Random,
  timeline: FootballTimeline,
  onPitch: (side: Side, minute: number) => Player[],
  ids: IdSource,
): ShootoutKick[] {
  const takers = {
    home: random.shuffle(onPitch('home', 121)),
    away: random.shuffle(onPitch('away', 121)),
  };
  const kicks: ShootoutKick[] = [];
  const scored = { home: 0, away: 0 };
  const taken = { home: 0, away: 0 };
  let offset = timeline.penaltiesStart ?? timeline.end;
  for (let round = 0; round < 30; round += 1) {
    for (const side of ['home', 'away'] as const) {
      const roster = takers[side];
      const player = roster[round % roster.length] as Player;
      const success = random.chance(0.76);
      kicks.push({ id: ids.next(), side, playerId: player.id, scored: success, atOffset: offset });
      offset += SECONDS_PER_KICK;
      taken[side] += 1;
      if (success) scored[side] += 1;
      if (round < 5 && decidedEarly(scored, taken)) return kicks;
    }
    if (round >= 4 && scored.home !== scored.away) return kicks;
  }
  return kicks;
}

/** In the first five rounds, one side can no longer be caught. */
function decidedEarly(scored: Record<Side, number>, taken: Record<Side, number>): boolean {
  const homeLeft = 5 - taken.home;
  const awayLeft = 5 - taken.away;
  return scored.home + homeLeft < scored.away || scored.away + awayLeft < scored.home;
}

export function other(side: Side): Side {
  return side === 'home' ? 'away' : 'home';
}

function byOffset(first: { atOffset: number }, second: { atOffset: number }): number {
  return first.atOffset - second.atOffset;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
