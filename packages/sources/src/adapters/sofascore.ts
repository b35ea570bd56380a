import type {
  CanonicalAppearance,
  CanonicalBatch,
  CanonicalIncident,
  CanonicalMatch,
  CanonicalParticipant,
  CanonicalSeason,
  CanonicalStatistic,
  IncidentKind,
  MatchStatus,
  PeriodScore,
  Score,
  Sport,
  StatusDetail,
} from '../canonical.js';
import {
  SofascoreEvent,
  SofascoreEventSummary,
  SofascoreEventsPage,
  SofascoreEventsPageEnvelope,
  SofascoreIncidents,
  SofascoreLineups,
  SofascoreSeasons,
  SofascoreStatistics,
} from '../contracts/sofascore.js';
import { parseContract } from '../contracts/validate.js';
import { ContractViolation } from '../errors.js';

/** Paths below the source's base URL (`.../api/v1`). */
export const SOFASCORE_PATHS = {
  seasons: (competition: string) => `/unique-tournament/${competition}/seasons`,
  eventsLast: (competition: string, season: string, page: number) =>
    `/unique-tournament/${competition}/season/${season}/events/last/${page}`,
  eventsNext: (competition: string, season: string, page: number) =>
    `/unique-tournament/${competition}/season/${season}/events/next/${page}`,
  event: (event: string) => `/event/${event}`,
  lineups: (event: string) => `/event/${event}/lineups`,
  incidents: (event: string) => `/event/${event}/incidents`,
  statistics: (event: string) => `/event/${event}/statistics`,
  /** The full-time result (1X2) markets: pre-match, and in-play once live. */
  odds: (event: string) => `/event/${event}/odds/1/all`,
  player: (player: string) => `/player/${player}`,
} as const;

/** Endpoint names, as recorded with raw payloads and in contract errors. */
export const SOFASCORE_ENDPOINTS = {
  seasons: 'unique-tournament.seasons',
  events: 'season.events',
  event: 'event',
  lineups: 'event.lineups',
  incidents: 'event.incidents',
  statistics: 'event.statistics',
  odds: 'event.odds',
  player: 'player',
} as const;

const STATUS_TYPES: Record<string, MatchStatus> = {
  notstarted: 'notstarted',
  inprogress: 'inprogress',
  finished: 'finished',
  postponed: 'postponed',
  canceled: 'canceled',
  cancelled: 'canceled',
  interrupted: 'inprogress',
  delayed: 'notstarted',
  suspended: 'postponed',
  abandoned: 'canceled',
};

export function mapSofascoreSeasons(
  body: unknown,
  context: { source: string; competitionSourceId: string },
): CanonicalSeason[] {
  const { seasons } = parseContract(SofascoreSeasons, body, {
    source: context.source,
    endpoint: SOFASCORE_ENDPOINTS.seasons,
  });
  return seasons.map((season) => ({
    source: context.source,
    sourceId: String(season.id),
    competitionSourceId: context.competitionSourceId,
    name: season.name,
    year: season.year,
  }));
}

/** One page of a season's events: the matches, who plays them, and whether older/newer pages exist. */
export function mapSofascoreEventsPage(body: unknown, source: string): { batch: CanonicalBatch; hasNextPage: boolean } {
  const page = parseContract(SofascoreEventsPage, body, { source, endpoint: SOFASCORE_ENDPOINTS.events });
  return { batch: batchOf(page.events, source), hasNextPage: page.hasNextPage };
}

export interface RejectedEvent {
  /** The event's id, when it had a readable one. */
  sourceId: string | undefined;
  violation: ContractViolation;
}

/**
 * A season page, checked event by event: the events that meet the contract are mapped, the
 * others are returned as rejected (with their ids where readable) instead of failing the page.
 * Discover uses this so one malformed event cannot stop a whole season's run.
 */
export function mapSofascoreEventsPageTolerant(
  body: unknown,
  source: string,
): { batch: CanonicalBatch; hasNextPage: boolean; rejected: RejectedEvent[] } {
  const page = parseContract(SofascoreEventsPageEnvelope, body, { source, endpoint: SOFASCORE_ENDPOINTS.events });
  const accepted: SofascoreEventSummary[] = [];
  const rejected: RejectedEvent[] = [];
  page.events.forEach((event, index) => {
    try {
      accepted.push(parseContract(SofascoreEventSummary, event, { source, endpoint: SOFASCORE_ENDPOINTS.events }));
    } catch (error) {
      if (!(error instanceof ContractViolation)) throw error;
      const id = (event as { id?: unknown } | null)?.id;
      const located = new ContractViolation(
        source,
        SOFASCORE_ENDPOINTS.events,
        error.problems.map((problem) => ({
          path: `events[${index}].${problem.split(': ')[0]}`,
          message: problem.split(': ').slice(1).join(': '),
        })),
      );
      rejected.push({ sourceId: typeof id === 'number' ? String(id) : undefined, violation: located });
    }
  });
  return { batch: batchOf(accepted, source), hasNextPage: page.hasNextPage, rejected };
}

export function mapSofascoreEvent(body: unknown, source: string): CanonicalBatch {
  const { event } = parseContract(SofascoreEvent, body, { source, endpoint: SOFASCORE_ENDPOINTS.event });
  return batchOf([event], source);
}

function batchOf(events: SofascoreEventSummary[], source: string): CanonicalBatch {
  const competitions = new Map<string, CanonicalBatch['competitions'][number]>();
  const seasons = new Map<string, CanonicalSeason>();
  const participants = new Map<string, CanonicalParticipant>();
  const matches: CanonicalMatch[] = [];
  for (const event of events) {
    const sport = sportOf(event);
    const competitionId = String(event.tournament.uniqueTournament.id);
    competitions.set(competitionId, {
      source,
      sourceId: competitionId,
      name: event.tournament.uniqueTournament.name,
      sport,
      country: undefined,
    });
    seasons.set(String(event.season.id), {
      source,
      sourceId: String(event.season.id),
      competitionSourceId: competitionId,
      name: event.season.name,
      year: event.season.year,
    });
    for (const team of [event.homeTeam, event.awayTeam]) {
      participants.set(String(team.id), {
        source,
        sourceId: String(team.id),
        kind: sport === 'tennis' ? 'player' : 'team',
        name: team.name,
        shortName: team.shortName,
        country: team.country?.alpha2,
      });
    }
    matches.push(mapMatch(event, source, sport));
  }
  return {
    competitions: [...competitions.values()],
    seasons: [...seasons.values()],
    participants: [...participants.values()],
    matches,
    appearances: [],
    incidents: [],
    statistics: [],
  };
}

function sportOf(event: SofascoreEventSummary): Sport {
  const slug = event.tournament.category.sport.slug;
  if (slug === 'football' || slug === 'tennis') return slug;
  throw new ContractViolation('sofascore', SOFASCORE_ENDPOINTS.event, [
    { path: 'tournament.category.sport.slug', message: `unsupported sport '${slug}' (football, tennis)` },
  ]);
}

function mapMatch(event: SofascoreEventSummary, source: string, sport: Sport): CanonicalMatch {
  // Own keys only: `constructor` or `__proto__` from upstream must not find Object.prototype's.
  const status = Object.hasOwn(STATUS_TYPES, event.status.type) ? STATUS_TYPES[event.status.type] : undefined;
  if (!status) {
    throw new ContractViolation(source, SOFASCORE_ENDPOINTS.event, [
      { path: 'status.type', message: `unknown status type '${event.status.type}'` },
    ]);
  }
  const home = event.homeScore;
  const away = event.awayScore;
  // `current` counts shoot-out goals; `display` is the result after regular and extra time.
  const score = pair(home.display ?? home.current, away.display ?? away.current);
  return {
    source,
    sourceId: String(event.id),
    competitionSourceId: String(event.tournament.uniqueTournament.id),
    seasonSourceId: String(event.season.id),
    sport,
    startTime: new Date(event.startTimestamp * 1000),
    status,
    statusDetail: statusDetail(event, status),
    homeSourceId: String(event.homeTeam.id),
    awaySourceId: String(event.awayTeam.id),
    score,
    regularTimeScore: sport === 'football' ? pair(home.normaltime, away.normaltime) : undefined,
    penalties: pair(home.penalties, away.penalties),
    periods: sport === 'tennis' ? tennisSets(home, away) : [],
    winner:
      event.winnerCode === 1 ? 'home' : event.winnerCode === 2 ? 'away' : event.winnerCode === 3 ? 'draw' : undefined,
    neutral: sport === 'tennis',
    surface: sport === 'tennis' && event.groundType ? surfaceOf(event.groundType) : undefined,
    round: event.roundInfo?.round,
    roundName: event.roundInfo?.name,
    sourceChangedAt: event.changes?.changeTimestamp ? new Date(event.changes.changeTimestamp * 1000) : undefined,
  };
}

function statusDetail(event: SofascoreEventSummary, status: MatchStatus): StatusDetail {
  const description = event.status.description?.toLowerCase() ?? '';
  if (event.status.type === 'abandoned') return 'abandoned';
  if (status !== 'finished') return undefined;
  if (event.status.code === 120 || description === 'ap') return 'after-penalties';
  if (event.status.code === 110 || description === 'aet') return 'after-extra-time';
  if (event.status.code === 92 || description === 'retired') return 'retired';
  if (description === 'walkover') return 'walkover';
  return 'regular';
}

function pair(home: number | undefined, away: number | undefined): Score | undefined {
  return home === undefined || away === undefined ? undefined : { home, away };
}

type ScoreFields = SofascoreEventSummary['homeScore'];

function tennisSets(home: ScoreFields, away: ScoreFields): PeriodScore[] {
  const sets: PeriodScore[] = [];
  for (const number of [1, 2, 3, 4, 5] as const) {
    const games = pair(home[`period${number}`], away[`period${number}`]);
    if (!games) break;
    sets.push({ ...games, tiebreak: pair(home[`period${number}TieBreak`], away[`period${number}TieBreak`]) });
  }
  return sets;
}

export interface MatchContext {
  source: string;
  matchSourceId: string;
  homeSourceId: string;
  awaySourceId: string;
}

/** Players (as participants) and their appearances, from the lineups. */
export function mapSofascoreLineups(
  body: unknown,
  context: MatchContext,
): { participants: CanonicalParticipant[]; appearances: CanonicalAppearance[] } {
  const lineups = parseContract(SofascoreLineups, body, {
    source: context.source,
    endpoint: SOFASCORE_ENDPOINTS.lineups,
  });
  const participants: CanonicalParticipant[] = [];
  const appearances: CanonicalAppearance[] = [];
  for (const side of ['home', 'away'] as const) {
    const teamSourceId = side === 'home' ? context.homeSourceId : context.awaySourceId;
    for (const entry of lineups[side].players) {
      participants.push({
        source: context.source,
        sourceId: String(entry.player.id),
        kind: 'player',
        name: entry.player.name,
        shortName: entry.player.shortName,
        country: undefined,
      });
      appearances.push({
        source: context.source,
        matchSourceId: context.matchSourceId,
        playerSourceId: String(entry.player.id),
        teamSourceId: entry.teamId === undefined ? teamSourceId : String(entry.teamId),
        side,
        starter: !entry.substitute,
        minutes: entry.statistics?.minutesPlayed,
        position: entry.position ?? entry.player.position,
        shirtNumber: entry.shirtNumber,
      });
    }
  }
  return { participants, appearances };
}

const INCIDENT_KINDS: Record<string, IncidentKind> = {
  goal: 'goal',
  card: 'card',
  substitution: 'substitution',
  period: 'period',
  penaltyShootout: 'shootout-kick',
  injuryTime: 'injury-time',
};

/** Incidents in match-time order (the upstream lists newest first). */
export function mapSofascoreIncidents(
  body: unknown,
  context: Pick<MatchContext, 'source' | 'matchSourceId'>,
): CanonicalIncident[] {
  const { incidents } = parseContract(SofascoreIncidents, body, {
    source: context.source,
    endpoint: SOFASCORE_ENDPOINTS.incidents,
  });
  return [...incidents].reverse().map((incident, seq) => {
    const kind =
      (Object.hasOwn(INCIDENT_KINDS, incident.incidentType) && INCIDENT_KINDS[incident.incidentType]) || 'other';
    const detail: Record<string, unknown> = {};
    if (incident.id !== undefined) detail.sourceIncidentId = String(incident.id);
    if (incident.incidentClass !== undefined) detail.class = incident.incidentClass;
    if (kind === 'goal' && incident.assist1) detail.assistSourceId = String(incident.assist1.id);
    if (kind === 'substitution') {
      if (incident.playerIn) detail.playerInSourceId = String(incident.playerIn.id);
      if (incident.playerOut) detail.playerOutSourceId = String(incident.playerOut.id);
    }
    if (kind === 'period' && incident.text !== undefined) detail.text = incident.text;
    if (kind === 'injury-time' && incident.length !== undefined) detail.length = incident.length;
    if (kind === 'shootout-kick') {
      detail.scored = incident.incidentClass === 'scored';
      if (incident.sequence !== undefined) detail.sequence = incident.sequence;
    }
    if (kind === 'other') detail.type = incident.incidentType;
    if (incident.homeScore !== undefined && incident.awayScore !== undefined) {
      detail.score = { home: incident.homeScore, away: incident.awayScore };
    }
    // Period markers and shoot-out summaries carry sentinel times (999) rather than minutes.
    const minute = incident.time !== undefined && incident.time < 999 ? incident.time : undefined;
    const addedTime = incident.addedTime !== undefined && incident.addedTime < 999 ? incident.addedTime : undefined;
    return {
      source: context.source,
      matchSourceId: context.matchSourceId,
      seq,
      kind,
      minute,
      addedTime,
      side: incident.isHome === undefined ? undefined : incident.isHome ? 'home' : 'away',
      playerSourceId:
        (incident.player ?? incident.playerIn)?.id === undefined
          ? undefined
          : String((incident.player ?? incident.playerIn)?.id),
      detail,
    };
  });
}

/** One value per period and key (the upstream repeats some keys across groups). */
export function mapSofascoreStatistics(
  body: unknown,
  context: Pick<MatchContext, 'source' | 'matchSourceId'>,
): CanonicalStatistic[] {
  const { statistics } = parseContract(SofascoreStatistics, body, {
    source: context.source,
    endpoint: SOFASCORE_ENDPOINTS.statistics,
  });
  const byKey = new Map<string, CanonicalStatistic>();
  for (const period of statistics) {
    for (const group of period.groups) {
      for (const item of group.statisticsItems) {
        const id = `${period.period}.${item.key}`;
        if (!byKey.has(id)) {
          byKey.set(id, {
            source: context.source,
            matchSourceId: context.matchSourceId,
            period: period.period,
            key: item.key,
            home: item.homeValue,
            away: item.awayValue,
          });
        }
      }
    }
  }
  return [...byKey.values()];
}

/** `Red clay` -> `clay`, `Hardcourt indoor` -> `hard`; an unknown word is kept, lowercased. */
function surfaceOf(groundType: string): string {
  const words = groundType.toLowerCase();
  for (const surface of ['clay', 'grass', 'carpet', 'hard']) if (words.includes(surface)) return surface;
  return words.trim();
}
