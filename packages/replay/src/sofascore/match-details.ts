import { offsetOfMinute } from '../world/football.js';
import type { FootballPlay, Lineup, Player, Side, Team } from '../world/model.js';
import { Random } from '../world/random.js';
import type { MatchView } from '../world/view.js';
import { renderPlayer } from './entities.js';

/** Lineups are published an hour before kick-off. */
export const LINEUPS_BEFORE_KICKOFF_SEC = 3_600;

function kitColours(team: Team, goalkeeper: boolean) {
  const primary = team.colours[goalkeeper ? 'secondary' : 'primary'].replace('#', '');
  return { primary, number: 'ffffff', outline: primary, fancyNumber: 'ffffff' };
}

function kits(team: Team) {
  return { playerColor: kitColours(team, false), goalkeeperColor: kitColours(team, true) };
}

/** `/event/{id}/lineups`, or undefined while they are not published (the route answers 404). */
export function renderLineups(view: MatchView) {
  const play = view.match.football;
  if (!play || view.now < view.startTimestamp - LINEUPS_BEFORE_KICKOFF_SEC || view.status.type === 'canceled') {
    return undefined;
  }
  const side = (which: Side) => {
    const lineup = play.lineups[which];
    const team = view.match[which];
    const captainId = lineup.starters.find((player) => player.position === 'D')?.id;
    const entry = (player: Player, substitute: boolean) => {
      const stats = view.started ? playerStatistics(view, play, which, lineup, player) : undefined;
      return {
        player: renderPlayer(player, { withCountry: true, withNames: true }),
        teamId: team.id,
        shirtNumber: player.shirtNumber,
        jerseyNumber: String(player.shirtNumber),
        position: player.position,
        substitute,
        ...(player.id === captainId ? { captain: true } : {}),
        statistics: stats ?? {},
      };
    };
    return {
      players: [
        ...lineup.starters.map((player) => entry(player, false)),
        ...lineup.substitutes.map((player) => entry(player, true)),
      ],
      supportStaff: [],
      formation: lineup.formation,
      ...kits(team),
      missingPlayers: lineup.missing.map(({ player, reason }) => ({
        player: renderPlayer(player, { withCountry: true, withNames: true }),
        type: 'missing',
        reason,
      })),
    };
  };
  return { confirmed: true, home: side('home'), away: side('away') };
}

/** Minutes on the pitch by `now`, or undefined for an unused substitute. */
function minutesPlayed(
  view: MatchView,
  play: FootballPlay,
  side: Side,
  lineup: Lineup,
  player: Player,
): number | undefined {
  const matchMinute = Math.min(currentMinute(view, play), play.timeline.extraFirstStart !== undefined ? 120 : 90);
  const starter = lineup.starters.some((candidate) => candidate.id === player.id);
  const subs = view.substitutions.filter((sub) => sub.side === side);
  const off = subs.find((sub) => sub.playerOutId === player.id);
  const on = subs.find((sub) => sub.playerInId === player.id);
  if (starter) return off ? off.minute : matchMinute;
  if (!on) return undefined;
  return Math.max(1, (off ? off.minute : matchMinute) - on.minute);
}

function currentMinute(view: MatchView, play: FootballPlay): number {
  const line = play.timeline;
  const t = view.elapsed;
  if (view.finished) return line.extraFirstStart !== undefined ? 120 : 90;
  if (t < line.firstHalfEnd) return Math.min(45, Math.floor(t / 60) + 1);
  if (t < line.secondHalfStart) return 45;
  if (t < line.secondHalfEnd) return Math.min(90, 46 + Math.floor((t - line.secondHalfStart) / 60));
  if (line.extraFirstStart === undefined || t < line.extraFirstStart) return 90;
  if (line.extraSecondStart === undefined || t < line.extraSecondStart)
    return Math.min(105, 91 + Math.floor((t - line.extraFirstStart) / 60));
  return Math.min(120, 106 + Math.floor((t - line.extraSecondStart) / 60));
}

function playerStatistics(view: MatchView, play: FootballPlay, side: Side, lineup: Lineup, player: Player) {
  const minutes = minutesPlayed(view, play, side, lineup, player);
  if (minutes === undefined) return undefined;
  const random = new Random(play.statsSeed ^ player.id);
  const share = minutes / 90;
  const scale = (mean: number) => Math.max(0, Math.round(random.normal(mean, mean / 3) * share));
  const goals = view.goals.filter((goal) => goal.scorerId === player.id && goal.kind !== 'ownGoal').length;
  const assists = view.goals.filter((goal) => goal.assistId === player.id).length;
  const keeper = player.position === 'G';
  const totalPass = scale(keeper ? 30 : 40);
  const totalLongBalls = scale(keeper ? 20 : 4);
  const duelWon = scale(5);
  const totalContest = scale(2);
  const rating = Math.round((6.6 + goals * 0.8 + assists * 0.5 + random.normal(0, 0.4)) * 10) / 10;
  const onTarget = goals + scale(0.6);
  return {
    totalPass,
    accuratePass: Math.round(totalPass * 0.8),
    totalLongBalls,
    accurateLongBalls: Math.round(totalLongBalls * 0.5),
    goalAssist: assists,
    totalClearance: scale(keeper ? 1 : 2),
    ...(keeper
      ? {
          goodHighClaim: scale(1),
          savedShotsFromInsideTheBox: scale(2),
          saves: scale(3),
          punches: scale(0.5),
          totalKeeperSweeper: scale(1),
          accurateKeeperSweeper: scale(0.8),
          goalsPrevented: Math.round(random.normal(0, 0.4) * 10_000) / 10_000,
        }
      : {}),
    minutesPlayed: minutes,
    touches: scale(keeper ? 40 : 55),
    rating,
    possessionLostCtrl: scale(10),
    ratingVersions: { original: rating, alternative: Math.round((rating - 0.3) * 10) / 10 },
    totalCross: scale(keeper ? 0 : 2),
    accurateCross: scale(keeper ? 0 : 0.6),
    aerialLost: scale(1),
    aerialWon: scale(1.5),
    duelLost: scale(4),
    duelWon,
    totalContest,
    wonContest: Math.round(totalContest * 0.5),
    challengeLost: scale(1),
    shotOffTarget: scale(keeper ? 0 : 0.7),
    onTargetScoringAttempt: onTarget,
    blockedScoringAttempt: scale(keeper ? 0 : 0.4),
    hitWoodwork: random.chance(0.03) ? 1 : 0,
    bigChanceMissed: scale(keeper ? 0 : 0.2),
    bigChanceCreated: scale(keeper ? 0 : 0.3),
    keyPass: scale(keeper ? 0 : 1),
    outfielderBlock: scale(keeper ? 0 : 0.5),
    interceptionWon: scale(1),
    totalTackle: scale(keeper ? 0 : 2),
    wasFouled: scale(1),
    fouls: scale(1),
    totalOffside: scale(player.position === 'F' ? 0.8 : 0),
    dispossessed: scale(1),
    errorLeadToAShot: random.chance(0.05) ? 1 : 0,
    clearanceOffLine: random.chance(0.02) ? 1 : 0,
    ownGoals: view.goals.filter((goal) => goal.scorerId === player.id && goal.kind === 'ownGoal').length,
    expectedGoals: Math.round((goals * 0.4 + random.next() * 0.3 * share) * 10_000) / 10_000,
    expectedAssists: Math.round(random.next() * 0.2 * share * 10_000) / 10_000,
    goals,
  };
}

/** `/event/{id}/incidents`, newest first, or undefined before kick-off (404). */
export function renderIncidents(view: MatchView) {
  const play = view.match.football;
  if (!play || !view.started) return undefined;
  const byId = new Map<number, Player>(
    (['home', 'away'] as const).flatMap((side) =>
      [...play.lineups[side].starters, ...play.lineups[side].substitutes].map((player): [number, Player] => [
        player.id,
        player,
      ]),
    ),
  );
  const person = (id: number | undefined) => {
    const player = id === undefined ? undefined : byId.get(id);
    return player ? renderPlayer(player, { withCountry: false, withNames: false }) : undefined;
  };
  const line = play.timeline;
  const incidents: Array<{ at: number; order: number; body: Record<string, unknown> }> = [];
  const score = { home: 0, away: 0 };
  const timing = (minute: number, addedTime: number, atOffset: number) => {
    const periodStart =
      minute <= 45
        ? 0
        : minute <= 90
          ? line.secondHalfStart
          : minute <= 105
            ? (line.extraFirstStart ?? 0)
            : (line.extraSecondStart ?? 0);
    const periodEndMinute = minute <= 45 ? 45 : minute <= 90 ? 90 : minute <= 105 ? 105 : 120;
    return {
      time: minute,
      ...(addedTime > 0 ? { addedTime } : {}),
      timeSeconds: (minute - 1) * 60 + ((atOffset - periodStart) % 60),
      reversedPeriodTime: Math.max(1, periodEndMinute - minute + 1),
      reversedPeriodTimeSeconds: Math.max(0, (periodEndMinute - minute) * 60),
      periodTimeSeconds: Math.max(0, atOffset - periodStart),
    };
  };

  for (const goal of view.goals) {
    score[goal.side] += 1;
    incidents.push({
      at: goal.atOffset,
      order: 2,
      body: {
        ...timing(goal.minute, goal.addedTime, goal.atOffset),
        player: person(goal.scorerId),
        ...(goal.assistId !== undefined ? { assist1: person(goal.assistId) } : {}),
        homeScore: score.home,
        awayScore: score.away,
        isHome: goal.side === 'home',
        incidentClass: goal.kind,
        incidentType: 'goal',
        id: goal.id,
      },
    });
  }
  for (const card of view.cards) {
    const player = byId.get(card.playerId);
    incidents.push({
      at: card.atOffset,
      order: 1,
      body: {
        ...timing(card.minute, 0, card.atOffset),
        player: person(card.playerId),
        playerName: player?.name,
        reason: card.reason,
        rescinded: false,
        isHome: card.side === 'home',
        incidentClass: card.colour,
        incidentType: 'card',
        id: card.id,
      },
    });
  }
  for (const substitution of view.substitutions) {
    incidents.push({
      at: substitution.atOffset,
      order: 1,
      body: {
        ...timing(substitution.minute, 0, substitution.atOffset),
        playerIn: person(substitution.playerInId),
        playerOut: person(substitution.playerOutId),
        injury: substitution.injury,
        isHome: substitution.side === 'home',
        incidentClass: substitution.injury ? 'injury' : 'regular',
        incidentType: 'substitution',
        id: substitution.id,
      },
    });
  }

  const goalsBy = (offset: number, side: Side) =>
    view.goals.filter((goal) => goal.atOffset <= offset && goal.side === side).length;
  const periodMarker = (text: string, minute: number, offset: number) => {
    if (view.elapsed < offset) return;
    incidents.push({
      at: offset,
      order: 3,
      body: {
        text,
        homeScore: goalsBy(offset, 'home'),
        awayScore: goalsBy(offset, 'away'),
        isLive: false,
        time: minute,
        addedTime: 999,
        timeSeconds: minute * 60,
        reversedPeriodTime: 1,
        reversedPeriodTimeSeconds: 0,
        periodTimeSeconds: 2_700,
        incidentType: 'period',
      },
    });
  };
  const injuryTime = (length: number, minute: number, offset: number) => {
    if (view.elapsed < offset) return;
    incidents.push({
      at: offset,
      order: 0,
      body: { length, time: minute, addedTime: 0, incidentType: 'injuryTime', isLive: false },
    });
  };
  injuryTime(line.addedTime1, 45, offsetOfMinute(line, 45, 0, 59));
  periodMarker('HT', 45, line.firstHalfEnd);
  injuryTime(line.addedTime2, 90, offsetOfMinute(line, 90, 0, 59));
  periodMarker('FT', 90, line.secondHalfEnd);
  if (line.extraSecondEnd !== undefined) periodMarker('ET', 120, line.extraSecondEnd);

  if (view.kicks.length > 0) {
    const shootout = { home: 0, away: 0 };
    view.kicks.forEach((kick, index) => {
      if (kick.scored) shootout[kick.side] += 1;
      incidents.push({
        at: kick.atOffset,
        order: 2,
        body: {
          player: person(kick.playerId),
          homeScore: shootout.home,
          awayScore: shootout.away,
          sequence: index + 1,
          description: kick.scored ? 'Scored' : 'Missed',
          id: kick.id,
          incidentType: 'penaltyShootout',
          isHome: kick.side === 'home',
          incidentClass: kick.scored ? 'scored' : 'missed',
          reason: kick.scored ? 'scored' : 'missed',
        },
      });
    });
    if (view.finished) {
      incidents.push({
        at: line.end,
        order: 3,
        body: {
          text: 'PEN',
          homeScore: shootout.home,
          awayScore: shootout.away,
          isLive: false,
          period: 'penalties',
          time: 999,
          addedTime: 999,
          timeSeconds: 59_940,
          incidentType: 'period',
          reversedPeriodTime: view.kicks.length,
          reversedPeriodTimeSeconds: 360,
          periodTimeSeconds: line.end - (line.penaltiesStart ?? line.end),
        },
      });
    }
  }
  incidents.sort((first, second) => second.at - first.at || second.order - first.order);
  return {
    incidents: incidents.map((incident) => incident.body),
    home: kits(view.match.home),
    away: kits(view.match.away),
  };
}
