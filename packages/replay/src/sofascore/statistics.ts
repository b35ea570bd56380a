import { Random } from '../world/random.js';
import type { MatchView } from '../world/view.js';

type Pair = { home: number; away: number };
type Kind = 'count' | 'percent' | 'ratio';

interface Item {
  key: string;
  name: string;
  kind: Kind;
  /** Higher is better (`positive`) or worse (`negative`). */
  positive: boolean;
  value: Pair;
  /** For ratios: attempts, of which `value` succeeded. */
  total?: Pair;
}

interface PeriodTotals {
  possession: number;
  shots: Pair;
  onTarget: Pair;
  bigChances: Pair;
  corners: Pair;
  fouls: Pair;
  passes: Pair;
  tackles: Pair;
  yellowCards: Pair;
  offsides: Pair;
  longBalls: Pair;
  crosses: Pair;
  duels: Pair;
  aerials: Pair;
  interceptions: Pair;
  clearances: Pair;
  saves: Pair;
  goalKicks: Pair;
}

/** `/event/{id}/statistics`: periods ALL, 1ST and (once started) 2ND; undefined before kick-off. */
export function renderStatistics(view: MatchView) {
  const play = view.match.football;
  if (!play || !view.started) return undefined;
  const random = new Random(play.statsSeed);
  const full = drawTotals(random, view, play.possessionHome);
  const firstShare = 0.42 + random.next() * 0.16;
  const inFirstHalf = view.elapsed < play.timeline.secondHalfStart;
  // Only the part of the match played so far has statistics.
  const playedShare = view.finished ? 1 : Math.min(1, view.elapsed / play.timeline.secondHalfEnd);
  const all = scaleTotals(full, playedShare, view, 'all');
  const first = scaleTotals(full, inFirstHalf ? playedShare : firstShare, view, 'first');
  const periods = [
    { period: 'ALL', totals: all },
    { period: '1ST', totals: first },
  ];
  if (!inFirstHalf) periods.push({ period: '2ND', totals: subtract(all, first) });
  return {
    statistics: periods.map(({ period, totals }) => ({ period, groups: groupsOf(totals) })),
  };
}

function drawTotals(random: Random, view: MatchView, possessionHome: number): PeriodTotals {
  const count = (mean: number, homeBias = 1): Pair => ({
    home: Math.max(0, Math.round(random.normal(mean * homeBias, mean / 4))),
    away: Math.max(0, Math.round(random.normal(mean / homeBias, mean / 4))),
  });
  const bias = 0.6 + possessionHome * 0.8;
  const shots = count(12, bias);
  const goals = scoredBy(view);
  const onTarget = {
    home: Math.min(shots.home, Math.max(goals.home, Math.round(shots.home * 0.35))),
    away: Math.min(shots.away, Math.max(goals.away, Math.round(shots.away * 0.35))),
  };
  shots.home = Math.max(shots.home, onTarget.home);
  shots.away = Math.max(shots.away, onTarget.away);
  const passes = { home: Math.round(900 * possessionHome), away: Math.round(900 * (1 - possessionHome)) };
  return {
    possession: possessionHome,
    shots,
    onTarget,
    bigChances: count(2, bias),
    corners: count(5, bias),
    fouls: count(11),
    passes,
    tackles: count(16),
    yellowCards: { home: 0, away: 0 },
    offsides: count(2),
    longBalls: count(45),
    crosses: count(16, bias),
    duels: count(50),
    aerials: count(18),
    interceptions: count(9),
    clearances: count(25, 1 / bias),
    saves: { home: Math.max(0, onTarget.away - goals.away), away: Math.max(0, onTarget.home - goals.home) },
    goalKicks: count(8, 1 / bias),
  };
}

function scoredBy(view: MatchView): Pair {
  const goals = { home: 0, away: 0 };
  for (const goal of view.goals) goals[goal.side] += 1;
  return goals;
}

/** A share of the match totals; goals, shots on target and cards stay exact to what happened. */
function scaleTotals(full: PeriodTotals, share: number, view: MatchView, which: 'all' | 'first'): PeriodTotals {
  const scaled = {} as PeriodTotals;
  for (const [key, value] of Object.entries(full) as Array<[keyof PeriodTotals, PeriodTotals[keyof PeriodTotals]]>) {
    (scaled as unknown as Record<string, unknown>)[key] =
      typeof value === 'number'
        ? value
        : { home: Math.round(value.home * share), away: Math.round(value.away * share) };
  }
  const play = view.match.football;
  const cutoff = which === 'all' || !play ? Number.POSITIVE_INFINITY : play.timeline.firstHalfEnd;
  scaled.yellowCards = { home: 0, away: 0 };
  for (const card of view.cards)
    if (card.colour === 'yellow' && card.atOffset <= cutoff) scaled.yellowCards[card.side] += 1;
  const goals = { home: 0, away: 0 };
  for (const goal of view.goals) if (goal.atOffset <= cutoff) goals[goal.side] += 1;
  scaled.onTarget = {
    home: Math.max(goals.home, scaled.onTarget.home),
    away: Math.max(goals.away, scaled.onTarget.away),
  };
  scaled.shots = {
    home: Math.max(scaled.shots.home, scaled.onTarget.home),
    away: Math.max(scaled.shots.away, scaled.onTarget.away),
  };
  return scaled;
}

function subtract(all: PeriodTotals, first: PeriodTotals): PeriodTotals {
  const rest = {} as PeriodTotals;
  for (const key of Object.keys(all) as Array<keyof PeriodTotals>) {
    const total = all[key];
    const part = first[key];
    (rest as unknown as Record<string, unknown>)[key] =
      typeof total === 'number' || typeof part === 'number'
        ? total
        : { home: Math.max(0, total.home - part.home), away: Math.max(0, total.away - part.away) };
  }
  return rest;
}

function groupsOf(totals: PeriodTotals) {
  const possession = Math.round(totals.possession * 100);
  const percentOf = (value: Pair, total: Pair): Pair => ({
    home: total.home === 0 ? 0 : Math.round((value.home / total.home) * 100),
    away: total.away === 0 ? 0 : Math.round((value.away / total.away) * 100),
  });
  const accurate = (pair: Pair, rate: number): Pair => ({
    home: Math.round(pair.home * rate),
    away: Math.round(pair.away * rate),
  });
  const groups: Array<{ groupName: string; items: Item[] }> = [
    {
      groupName: 'Match overview',
      items: [
        {
          key: 'ballPossession',
          name: 'Ball possession',
          kind: 'percent',
          positive: true,
          value: { home: possession, away: 100 - possession },
        },
        { key: 'bigChanceCreated', name: 'Big chances', kind: 'count', positive: true, value: totals.bigChances },
        { key: 'totalShotsOnGoal', name: 'Total shots', kind: 'count', positive: true, value: totals.shots },
        { key: 'goalkeeperSaves', name: 'Goalkeeper saves', kind: 'count', positive: true, value: totals.saves },
        { key: 'cornerKicks', name: 'Corner kicks', kind: 'count', positive: true, value: totals.corners },
        { key: 'fouls', name: 'Fouls', kind: 'count', positive: false, value: totals.fouls },
        { key: 'passes', name: 'Passes', kind: 'count', positive: true, value: totals.passes },
        { key: 'totalTackle', name: 'Tackles', kind: 'count', positive: true, value: totals.tackles },
        { key: 'yellowCards', name: 'Yellow cards', kind: 'count', positive: false, value: totals.yellowCards },
      ],
    },
    {
      groupName: 'Shots',
      items: [
        { key: 'totalShotsOnGoal', name: 'Total shots', kind: 'count', positive: true, value: totals.shots },
        { key: 'shotsOnGoal', name: 'Shots on target', kind: 'count', positive: true, value: totals.onTarget },
        {
          key: 'shotsOffGoal',
          name: 'Shots off target',
          kind: 'count',
          positive: false,
          value: { home: totals.shots.home - totals.onTarget.home, away: totals.shots.away - totals.onTarget.away },
        },
      ],
    },
    {
      groupName: 'Attack',
      items: [{ key: 'offsides', name: 'Offsides', kind: 'count', positive: false, value: totals.offsides }],
    },
    {
      groupName: 'Passes',
      items: [
        {
          key: 'accuratePasses',
          name: 'Accurate passes',
          kind: 'count',
          positive: true,
          value: accurate(totals.passes, 0.82),
        },
        {
          key: 'accurateLongBalls',
          name: 'Long balls',
          kind: 'ratio',
          positive: true,
          value: accurate(totals.longBalls, 0.5),
          total: totals.longBalls,
        },
        {
          key: 'accurateCross',
          name: 'Crosses',
          kind: 'ratio',
          positive: true,
          value: accurate(totals.crosses, 0.25),
          total: totals.crosses,
        },
      ],
    },
    {
      groupName: 'Duels',
      items: [
        {
          key: 'aerialDuelsPercentage',
          name: 'Aerial duels',
          kind: 'ratio',
          positive: true,
          value: accurate(totals.aerials, 0.5),
          total: { home: totals.aerials.home, away: totals.aerials.home },
        },
      ],
    },
    {
      groupName: 'Defending',
      items: [
        { key: 'interceptionWon', name: 'Interceptions', kind: 'count', positive: true, value: totals.interceptions },
        { key: 'totalClearance', name: 'Clearances', kind: 'count', positive: true, value: totals.clearances },
      ],
    },
    {
      groupName: 'Goalkeeping',
      items: [
        { key: 'goalkeeperSaves', name: 'Total saves', kind: 'count', positive: true, value: totals.saves },
        { key: 'goalKicks', name: 'Goal kicks', kind: 'count', positive: true, value: totals.goalKicks },
        {
          key: 'wonTacklePercent',
          name: 'Tackles won',
          kind: 'percent',
          positive: true,
          value: percentOf(accurate(totals.tackles, 0.7), totals.tackles),
          total: totals.tackles,
        },
      ],
    },
  ];
  return groups.map((group) => ({ groupName: group.groupName, statisticsItems: group.items.map(renderItem) }));
}

function renderItem(item: Item) {
  const { home, away } = item.value;
  const better = home === away ? 3 : home > away === item.positive ? 1 : 2;
  const text = (value: number, total: number | undefined) => {
    if (item.kind === 'percent') return `${value}%`;
    if (item.kind === 'ratio' && total !== undefined) {
      return `${value}/${total} (${total === 0 ? 0 : Math.round((value / total) * 100)}%)`;
    }
    return String(value);
  };
  return {
    name: item.name,
    home: text(home, item.total?.home),
    away: text(away, item.total?.away),
    compareCode: better,
    statisticsType: item.positive ? 'positive' : 'negative',
    valueType: item.total ? 'team' : 'event',
    homeValue: home,
    awayValue: away,
    renderType: item.kind === 'count' ? 1 : item.kind === 'percent' ? (item.total ? 4 : 2) : 3,
    key: item.key,
    ...(item.total ? { homeTotal: item.total.home, awayTotal: item.total.away } : {}),
  };
}
