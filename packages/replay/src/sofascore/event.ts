import type { Match, Venue } from '../world/model.js';
import type { MatchView } from '../world/view.js';
import { renderReferee, renderSeason, renderTeam, renderTournament, renderVenue, type Variant } from './entities.js';

const TENNIS_PERIODS = {
  current: 'Match',
  period1: '1st set',
  period2: '2nd set',
  period3: '3rd set',
  period4: '4th set',
  period5: '5th set',
  point: 'Game',
};

/**
 * An event as the upstream shows it: `full` for `/event/{id}`, `list` for season pages and
 * scheduled events (fewer keys, a few list-only ones).
 */
export function renderEvent(view: MatchView, variant: Variant) {
  const match = view.match;
  const competition = match.season.competition;
  const tennis = competition.sport === 'tennis';
  const full = variant === 'full';
  const redCards = countRedCards(view);
  const seeds = tennis ? drawSeeds(match) : undefined;
  return {
    eventState: {},
    tournament: renderTournament(competition, match.season, variant),
    season: renderSeason(match.season),
    roundInfo: { ...match.round },
    customId: match.customId,
    status: { ...view.status },
    ...(view.winnerCode !== undefined ? { winnerCode: view.winnerCode } : {}),
    homeTeam: renderTeam(match.home, variant),
    awayTeam: renderTeam(match.away, variant),
    homeScore: { ...view.homeScore },
    awayScore: { ...view.awayScore },
    time: { ...view.time },
    changes: { ...view.changes },
    hasGlobalHighlights: false,
    ...(full || !tennis ? { hasXg: false } : {}),
    hasEventPlayerStatistics: !tennis,
    hasEventPlayerHeatMap: !tennis,
    detailId: 1,
    crowdsourcingDataDisplayEnabled: false,
    ...(tennis && full
      ? {
          periods: { ...TENNIS_PERIODS },
          firstToServe: match.tennis?.firstToServe ?? 1,
          groundType: 'Hardcourt outdoor',
          bet365ExcludedCountryCodes: ['US'],
          hasBet365LiveStream: false,
        }
      : {}),
    ...(seeds?.home ? { homeTeamSeed: seeds.home } : {}),
    ...(seeds?.away ? { awayTeamSeed: seeds.away } : {}),
    id: match.id,
    ...(!tennis && view.started ? { homeRedCards: redCards.home, awayRedCards: redCards.away } : {}),
    ...(full
      ? {
          defaultPeriodCount: tennis ? 3 : 2,
          defaultPeriodLength: 45,
          defaultOvertimeLength: 15,
        }
      : {}),
    slug: match.slug,
    ...(full && view.started ? { currentPeriodStartTimestamp: view.time.currentPeriodStartTimestamp } : {}),
    startTimestamp: view.startTimestamp,
    finalResultOnly: false,
    feedLocked: false,
    ...(full && competition.kind !== 'league' ? { cupMatchesInRound: match.round.cupRoundType ?? 1 } : {}),
    ...(full ? { showTotoPromo: false } : {}),
    isEditor: false,
    ...(!tennis ? { coverage: 1 } : {}),
    ...(view.status.type === 'inprogress' ? { varInProgress: { homeTeam: false, awayTeam: false } } : {}),
    ...(full && (competition.venue ?? match.home.venue)
      ? { venue: renderVenue(competition.venue ?? (match.home.venue as Venue)) }
      : {}),
    ...(full && match.referee ? { referee: renderReferee(match.referee) } : {}),
    ...(full && match.attendance && view.finished ? { attendance: match.attendance } : {}),
    ...(full ? { seasonStatisticsType: 'overall', correctAiInsight: false, correctHalftimeAiInsight: false } : {}),
    eventFilters: {
      category: [tennis ? 'singles' : 'domestic'],
      level: ['pro'],
      ...(tennis ? { tournament: ['lower'] } : {}),
      gender: ['M'],
    },
  };
}

function countRedCards(view: MatchView): { home: number; away: number } {
  const counts = { home: 0, away: 0 };
  for (const card of view.cards) if (card.colour !== 'yellow') counts[card.side] += 1;
  return counts;
}

/**
 * Seed labels as draws print them: `1`..`8` for the best-ranked entrants, then `Q`
 * (qualifier), `WC` (wild card) and `LL` (lucky loser) for some of the lowest-ranked.
 */
export function drawSeeds(match: Match): { home: string | undefined; away: string | undefined } {
  const firstRound = match.season.matches.filter((candidate) => candidate.round.round === 1);
  const byRanking = firstRound
    .flatMap((candidate) => [candidate.home, candidate.away])
    .sort((first, second) => first.ranking - second.ranking || first.id - second.id);
  const labels = new Map<number, string>();
  for (const [index, team] of byRanking.slice(0, 8).entries()) labels.set(team.id, String(index + 1));
  const tail = byRanking.slice(-7).reverse();
  ['Q', 'Q', 'Q', 'Q', 'WC', 'WC', 'LL'].forEach((label, index) => {
    const team = tail[index];
    if (team) labels.set(team.id, label);
  });
  return { home: labels.get(match.home.id), away: labels.get(match.away.id) };
}
