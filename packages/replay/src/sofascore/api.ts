import { ERROR_BODIES, type FaultSettings } from '../faults.js';
import type { World } from '../world/build-world.js';
import type { Match } from '../world/model.js';
import { publishedStart, viewMatch } from '../world/view.js';
import { renderEvent } from './event.js';
import { renderIncidents, renderLineups } from './match-details.js';
import { answerOdds } from './odds.js';
import { playerAnswer } from './player.js';
import { renderStatistics } from './statistics.js';

/** Sofascore's page size for season event lists. */
export const EVENTS_PAGE_SIZE = 30;
/** A season is listed this long before its first match. */
const SEASON_LISTED_BEFORE_SEC = 30 * 86_400;

export interface ApiResponse {
  /** Route template, for accounting: `event`, `event.lineups`, `season.events.last`, ... */
  endpoint: string;
  status: number;
  body: unknown;
}

export interface ApiContext {
  world: World;
  /** Simulated now, Unix seconds. */
  now: number;
  drift: FaultSettings['drift'];
}

type Handler = (context: ApiContext, params: string[]) => Omit<ApiResponse, 'endpoint'>;

const ROUTES: ReadonlyArray<{ endpoint: string; pattern: RegExp; handle: Handler }> = [
  { endpoint: 'unique-tournament.seasons', pattern: /^\/api\/v1\/unique-tournament\/(\d+)\/seasons$/, handle: seasons },
  {
    endpoint: 'season.events.last',
    pattern: /^\/api\/v1\/unique-tournament\/(\d+)\/season\/(\d+)\/events\/last\/(\d+)$/,
    handle: (context, params) => eventsPage(context, params, 'last'),
  },
  {
    endpoint: 'season.events.next',
    pattern: /^\/api\/v1\/unique-tournament\/(\d+)\/season\/(\d+)\/events\/next\/(\d+)$/,
    handle: (context, params) => eventsPage(context, params, 'next'),
  },
  { endpoint: 'event', pattern: /^\/api\/v1\/event\/(\d+)$/, handle: event },
  { endpoint: 'event.lineups', pattern: /^\/api\/v1\/event\/(\d+)\/lineups$/, handle: detail(renderLineups) },
  { endpoint: 'event.incidents', pattern: /^\/api\/v1\/event\/(\d+)\/incidents$/, handle: detail(renderIncidents) },
  { endpoint: 'event.statistics', pattern: /^\/api\/v1\/event\/(\d+)\/statistics$/, handle: detail(renderStatistics) },
  {
    endpoint: 'event.odds',
    pattern: /^\/api\/v1\/event\/(\d+)\/odds\/1\/all$/,
    handle: (context, [id]) => answerOdds(context.world, Number(id), context.now),
  },
  {
    endpoint: 'sport.scheduled-events',
    pattern: /^\/api\/v1\/sport\/([a-z-]+)\/scheduled-events\/(\d{4}-\d{2}-\d{2})$/,
    handle: scheduledEvents,
  },
  {
    endpoint: 'player',
    pattern: /^\/api\/v1\/player\/(\d+)$/,
    handle: (context, [id]) => playerAnswer(context.world, id),
  },
];

/** Answer one GET the way the upstream would at `context.now`. */
export function handleApi(context: ApiContext, path: string): ApiResponse {
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (match) return { endpoint: route.endpoint, ...route.handle(context, match.slice(1)) };
  }
  return { endpoint: 'unknown', ...notFound() };
}

/** The route template a path belongs to, without answering it (for accounting of faults). */
export function endpointOf(path: string): string {
  return ROUTES.find((route) => route.pattern.test(path))?.endpoint ?? 'unknown';
}

/**
 * Endpoints the accounting also counts per id (`byKey`): tests ask which players were fetched,
 * and which matches' odds were polled when, not only how many. Only endpoints whose ids are
 * worth telling apart, to keep the snapshot small.
 */
const COUNTED_BY_ID = new Set(['player', 'event.odds']);

/** The id a request names, for endpoints counted per id (`player`, `event.odds`); undefined for the rest. */
export function accountingKeyOf(path: string): string | undefined {
  const route = ROUTES.find((candidate) => COUNTED_BY_ID.has(candidate.endpoint) && candidate.pattern.test(path));
  return route?.pattern.exec(path)?.[1];
}

function notFound() {
  return { status: 404, body: ERROR_BODIES[404] };
}

function competitionOf(context: ApiContext, uniqueTournamentId: string | undefined) {
  return context.world.competitions.find(
    (competition) => String(competition.uniqueTournamentId) === uniqueTournamentId,
  );
}

function seasons(context: ApiContext, [uniqueTournamentId]: string[]) {
  const competition = competitionOf(context, uniqueTournamentId);
  if (!competition) return notFound();
  const listed = competition.seasons
    .filter((season) => season.startTimestamp - SEASON_LISTED_BEFORE_SEC <= context.now)
    .sort((first, second) => second.startTimestamp - first.startTimestamp);
  return {
    status: 200,
    body: {
      seasons: listed.map((season, index) => ({
        name: season.name,
        year: season.year,
        editor: false,
        ...(index > 0 ? { seasonCoverageInfo: {} } : {}),
        id: season.id,
      })),
    },
  };
}

/**
 * `events/last/{page}`: page 0 holds the 30 most recent matches that have kicked off, page 1
 * the 30 before, and so on; `events/next/{page}` walks forward through those still to come.
 * Each page is in time order; past the end, 404.
 */
function eventsPage(
  context: ApiContext,
  [uniqueTournamentId, seasonId, pageText]: string[],
  direction: 'last' | 'next',
) {
  const competition = competitionOf(context, uniqueTournamentId);
  const season = competition?.seasons.find((candidate) => String(candidate.id) === seasonId);
  if (!season) return notFound();
  const page = Number(pageText);
  // Order and page by the published kick-off alone; only the page's own matches are viewed
  // (a view of a lazily played match simulates its play).
  const listed = season.matches
    .map((match) => ({ match, start: publishedStart(match, context.now) }))
    .filter(({ start }) => (direction === 'last' ? start <= context.now : start > context.now))
    .sort((first, second) => first.start - second.start || first.match.id - second.match.id);
  const end = direction === 'last' ? listed.length - page * EVENTS_PAGE_SIZE : (page + 1) * EVENTS_PAGE_SIZE;
  const start = direction === 'last' ? end - EVENTS_PAGE_SIZE : page * EVENTS_PAGE_SIZE;
  const slice = listed.slice(Math.max(0, start), Math.max(0, end));
  if (slice.length === 0) return notFound();
  const hasNextPage = direction === 'last' ? start > 0 : end < listed.length;
  return {
    status: 200,
    body: {
      events: slice.map(({ match }) => withDrift(context, renderEvent(viewMatch(match, context.now), 'list'))),
      hasNextPage,
    },
  };
}

function event(context: ApiContext, [id]: string[]) {
  const match = context.world.matches.get(Number(id));
  if (!match) return notFound();
  return { status: 200, body: { event: withDrift(context, renderEvent(viewMatch(match, context.now), 'full')) } };
}

function detail(render: (view: ReturnType<typeof viewMatch>) => unknown): Handler {
  return (context, [id]) => {
    const match: Match | undefined = context.world.matches.get(Number(id));
    if (!match) return notFound();
    const body = render(viewMatch(match, context.now));
    return body === undefined ? notFound() : { status: 200, body };
  };
}

function scheduledEvents(context: ApiContext, [sport, date]: string[]) {
  const dayStart = Date.parse(`${date}T00:00:00Z`) / 1000;
  if (Number.isNaN(dayStart)) return notFound();
  const views = (matchesByDay(context.world).get(dayStart) ?? [])
    .filter((match) => match.season.competition.sport === sport)
    .map((match) => viewMatch(match, context.now))
    .filter((view) => view.startTimestamp >= dayStart && view.startTimestamp < dayStart + 86_400)
    .sort((first, second) => first.startTimestamp - second.startTimestamp || first.match.id - second.match.id);
  return { status: 200, body: { events: views.map((view) => withDrift(context, renderEvent(view, 'list'))) } };
}

const DAY_SEC = 86_400;
const dayIndexes = new WeakMap<World, Map<number, Match[]>>();

/**
 * Matches by the UTC day they may start on (planned, or rescheduled to): a day's candidates
 * without viewing every match of a 100,000-match world (which would also simulate each lazily
 * played one). Built on first use; the world's matches and dates are fixed once it is built.
 */
function matchesByDay(world: World): Map<number, Match[]> {
  let index = dayIndexes.get(world);
  if (!index) {
    index = new Map();
    for (const match of world.matches.values()) {
      const days = new Set([match.startTimestamp, match.reschedule?.to ?? match.startTimestamp]);
      for (const start of days) {
        const day = Math.floor(start / DAY_SEC) * DAY_SEC;
        const list = index.get(day);
        if (list) list.push(match);
        else index.set(day, [match]);
      }
    }
    dayIndexes.set(world, index);
  }
  return index;
}

/** Contract drift fault: break chosen events the way a changed upstream would. */
function withDrift<T extends { id: number }>(context: ApiContext, rendered: T): T {
  const drift = context.drift;
  if (!drift?.eventIds.includes(rendered.id)) return rendered;
  const broken: Record<string, unknown> = { ...rendered };
  if (drift.mode === 'missing-field') delete broken.status;
  else broken.startTimestamp = new Date(Number(broken.startTimestamp) * 1000).toISOString();
  return broken as T;
}
