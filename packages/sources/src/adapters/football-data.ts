import {
  type CanonicalBatch,
  type CanonicalCompetition,
  type CanonicalMatch,
  type CanonicalParticipant,
  type CanonicalSeason,
  emptyBatch,
  type MatchStatus,
  type Score,
  type StatusDetail,
} from '../canonical.js';
import {
  type FootballDataArea,
  type FootballDataCompetitionRef,
  FootballDataCompetitions,
  type FootballDataGoals,
  FootballDataMatch,
  FootballDataMatches,
  type FootballDataMatchStatus,
  type FootballDataScore,
  type FootballDataSeasonRef,
  type FootballDataTeam,
} from '../contracts/football-data.js';
import { parseContract } from '../contracts/validate.js';

/**
 * Request paths of the football-data.org v4 endpoints we read, relative to the source's
 * `baseUrl` (`https://api.football-data.org/v4`).
 */
export const FOOTBALL_DATA_PATHS = {
  competitions: () => '/competitions',
  /** `code` as in a competition's sourceId (`PL`); `season` its start year (`2022`). */
  matches: (code: string, season: string) =>
    `/competitions/${encodeURIComponent(code)}/matches?season=${encodeURIComponent(season)}`,
  match: (id: string) => `/matches/${encodeURIComponent(id)}`,
} as const;

const STATUS: Record<FootballDataMatchStatus, MatchStatus> = {
  SCHEDULED: 'notstarted',
  TIMED: 'notstarted',
  IN_PLAY: 'inprogress',
  PAUSED: 'inprogress',
  LIVE: 'inprogress',
  FINISHED: 'finished',
  AWARDED: 'finished',
  POSTPONED: 'postponed',
  SUSPENDED: 'postponed',
  CANCELLED: 'canceled',
};

const FINISHED_DETAIL: Record<FootballDataScore['duration'], StatusDetail> = {
  REGULAR: 'regular',
  EXTRA_TIME: 'after-extra-time',
  PENALTY_SHOOTOUT: 'after-penalties',
};

const WINNER = { HOME_TEAM: 'home', AWAY_TEAM: 'away', DRAW: 'draw' } as const;

/**
 * Areas that are regions rather than countries (seen: Europe for the Champions League, South
 * America for the Libertadores, World for the World Cup); their competitions get no country.
 */
const REGION_AREA_CODES: ReadonlySet<string> = new Set(['EUR', 'SAM', 'INT']);

/**
 * Competitions from `GET /competitions`.
 *
 * @param body the parsed JSON body.
 * @param source the configured source name, copied onto every record.
 * @throws ContractViolation when the body lacks a field we read.
 */
export function mapFootballDataCompetitions(body: unknown, source: string): CanonicalCompetition[] {
  const checked = parseContract(FootballDataCompetitions, body, { source, endpoint: 'competitions' });
  return checked.competitions.map((competition) => competitionRecord(competition, competition.area, source));
}

/**
 * One season of a competition from `GET /competitions/{code}/matches?season=YYYY`: the
 * competition, its season, every team that has a fixture, and the matches. Knockout fixtures
 * whose teams are not yet known are left out until they are.
 *
 * @throws ContractViolation when the body lacks a field we read.
 */
export function mapFootballDataMatches(body: unknown, source: string): CanonicalBatch {
  const checked = parseContract(FootballDataMatches, body, { source, endpoint: 'competition.matches' });
  const batch = emptyBatch();
  // The list's competition node has no area; every match repeats the competition's own.
  batch.competitions.push(competitionRecord(checked.competition, checked.matches[0]?.area, source));
  addMatches(batch, checked.matches, source);
  return batch;
}

/**
 * One match from `GET /matches/{id}`, with its competition, season and both teams. The match is
 * left out while its teams are not yet known.
 *
 * @throws ContractViolation when the body lacks a field we read.
 */
export function mapFootballDataMatch(body: unknown, source: string): CanonicalBatch {
  const checked = parseContract(FootballDataMatch, body, { source, endpoint: 'match' });
  const batch = emptyBatch();
  batch.competitions.push(competitionRecord(checked.competition, checked.area, source));
  addMatches(batch, [checked], source);
  return batch;
}

/**
 * A competition's sourceId is its code (`PL`, `CL`), not its numeric id (2021, 2001): the code is
 * what people write in configuration, every endpoint accepts it in place of the id, and it reads
 * well in logs. A competition without a code (null, or empty) falls back to its numeric id, which the endpoints
 * accept too.
 */
function competitionSourceId(competition: FootballDataCompetitionRef): string {
  return competition.code || String(competition.id);
}

/**
 * A season's sourceId is its start year (`2022` for 2022/23), the value `?season=` takes, so a
 * stored season leads straight back to its request. football-data's own season id (1490) is
 * accepted by no endpoint. The year alone is unique only within a competition: key seasons by
 * (competitionSourceId, sourceId).
 */
function seasonSourceId(season: FootballDataSeasonRef): string {
  return season.startDate.slice(0, 4);
}

function competitionRecord(
  competition: FootballDataCompetitionRef,
  area: FootballDataArea | undefined,
  source: string,
): CanonicalCompetition {
  const areaCode = area?.code ?? undefined;
  return {
    source,
    sourceId: competitionSourceId(competition),
    name: competition.name,
    sport: 'football',
    country: areaCode === undefined || REGION_AREA_CODES.has(areaCode) ? undefined : areaCode,
  };
}

function seasonRecord(season: FootballDataSeasonRef, competitionId: string, source: string): CanonicalSeason {
  const startYear = season.startDate.slice(0, 4);
  const endYear = season.endDate.slice(0, 4);
  return {
    source,
    sourceId: seasonSourceId(season),
    competitionSourceId: competitionId,
    // Calendar-year seasons (Brasileirão) are `2022`, split ones `2022/23`.
    name: startYear === endYear ? startYear : `${startYear}/${endYear.slice(2)}`,
    year: startYear,
  };
}

type KnownTeam = FootballDataTeam & { id: number; name: string };

function isKnownTeam(team: FootballDataTeam): team is KnownTeam {
  return team.id !== null && team.name !== null;
}

function participantRecord(team: KnownTeam, source: string): CanonicalParticipant {
  return {
    source,
    sourceId: String(team.id),
    kind: 'team',
    name: team.name,
    shortName: team.shortName ?? undefined,
    // The match's area is the competition's country, not the team's (Monaco plays in Ligue 1,
    // every club in the Champions League is in `Europe`), so we do not guess one.
    country: undefined,
  };
}

function addMatches(batch: CanonicalBatch, matches: readonly FootballDataMatch[], source: string): void {
  const seasons = new Map<string, CanonicalSeason>();
  const participants = new Map<string, CanonicalParticipant>();
  for (const match of matches) {
    const { homeTeam, awayTeam } = match;
    if (!isKnownTeam(homeTeam) || !isKnownTeam(awayTeam)) continue;
    const competitionId = competitionSourceId(match.competition);
    const season = seasonRecord(match.season, competitionId, source);
    seasons.set(`${competitionId}/${season.sourceId}`, season);
    for (const team of [homeTeam, awayTeam]) {
      const participant = participantRecord(team, source);
      if (!participants.has(participant.sourceId)) participants.set(participant.sourceId, participant);
    }
    batch.matches.push(matchRecord(match, String(homeTeam.id), String(awayTeam.id), source));
  }
  batch.seasons.push(...seasons.values());
  batch.participants.push(...participants.values());
}

function matchRecord(
  match: FootballDataMatch,
  homeSourceId: string,
  awaySourceId: string,
  source: string,
): CanonicalMatch {
  const status = STATUS[match.status];
  const finished = status === 'finished';
  const score = goalsExcludingShootout(match.score);
  return {
    source,
    sourceId: String(match.id),
    competitionSourceId: competitionSourceId(match.competition),
    seasonSourceId: seasonSourceId(match.season),
    sport: 'football',
    startTime: new Date(match.utcDate),
    status,
    statusDetail: match.status === 'AWARDED' ? 'awarded' : finished ? FINISHED_DETAIL[match.score.duration] : undefined,
    homeSourceId,
    awaySourceId,
    score,
    regularTimeScore: goalsAfterNinetyMinutes(match.score, score, finished),
    penalties: match.score.duration === 'PENALTY_SHOOTOUT' ? knownGoals(match.score.penalties) : undefined,
    periods: [],
    // Ours means "won", which only a finished match can say; the upstream's may be provisional.
    winner: finished && match.score.winner !== null ? WINNER[match.score.winner] : undefined,
    // football-data names the venue but not whether it is neutral ground (finals, closed stadiums).
    neutral: false,
    surface: undefined,
    round: match.matchday ?? undefined,
    roundName: match.stage === 'REGULAR_SEASON' ? undefined : match.stage,
    sourceChangedAt: new Date(match.lastUpdated),
  };
}

function knownGoals(goals: FootballDataGoals | undefined): Score | undefined {
  if (goals === undefined || goals.home === null || goals.away === null) return undefined;
  return { home: goals.home, away: goals.away };
}

/** `minuend - subtrahend`, or undefined if a side would go negative (an inconsistent feed). */
function subtractGoals(minuend: Score, subtrahend: Score): Score | undefined {
  const home = minuend.home - subtrahend.home;
  const away = minuend.away - subtrahend.away;
  return home >= 0 && away >= 0 ? { home, away } : undefined;
}

/**
 * Goals after regular and extra time, shoot-out excluded.
 *
 * football-data's `fullTime` INCLUDES shoot-out goals: its documentation ("Dealing with scores",
 * docs.football-data.org/general/v4/overtime.html) adds regular time, extra time and shoot-out
 * into `fullTime`, and the recordings prove it: Champions League 2022 qualifier 418518 RFS v HJK
 * comes as `fullTime` 6-6, `extraTime` 0-0, `penalties` 4-5. HJK had won the first leg 1-0
 * (418524); only 6-6 minus the shoot-out, 2-1, levels the tie and explains the shoot-out. So for
 * a shoot-out we subtract `penalties` from `fullTime`. Extra-time goals are in `fullTime` and
 * stay in, as the canonical score wants (418516 Žalgiris v Ballkani: `fullTime` 1-0, `extraTime`
 * 1-0). When `penalties` is missing or does not fit (public issue trackers report both), we fall
 * back on `regularTime` + `extraTime`, else leave the score unknown rather than store one with
 * shoot-out goals in it.
 */
function goalsExcludingShootout(score: FootballDataScore): Score | undefined {
  const fullTime = knownGoals(score.fullTime);
  if (fullTime === undefined || score.duration !== 'PENALTY_SHOOTOUT') return fullTime;
  const shootout = knownGoals(score.penalties);
  const withoutShootout = shootout === undefined ? undefined : subtractGoals(fullTime, shootout);
  if (withoutShootout !== undefined) return withoutShootout;
  const regularTime = knownGoals(score.regularTime);
  const extraTime = knownGoals(score.extraTime);
  if (regularTime === undefined || extraTime === undefined) return undefined;
  return { home: regularTime.home + extraTime.home, away: regularTime.away + extraTime.away };
}

/**
 * Goals after 90 minutes: `regularTime` when the feed fills it; for a match that went to extra
 * time, the score minus the extra-time goals (the 2022 recordings leave `regularTime` null even
 * after extra time); for a match that ended in regular time, its final score.
 */
function goalsAfterNinetyMinutes(
  score: FootballDataScore,
  scoreWithoutShootout: Score | undefined,
  finished: boolean,
): Score | undefined {
  const regularTime = knownGoals(score.regularTime);
  if (regularTime !== undefined) return regularTime;
  if (scoreWithoutShootout === undefined) return undefined;
  if (score.duration === 'REGULAR') return finished ? scoreWithoutShootout : undefined;
  const extraTime = knownGoals(score.extraTime);
  return extraTime === undefined ? undefined : subtractGoals(scoreWithoutShootout, extraTime);
}
