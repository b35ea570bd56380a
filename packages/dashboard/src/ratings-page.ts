import type { Db } from '@matchflow/db';
import type { Logger } from '@matchflow/telemetry';
import { CHART_STYLE, type ChartPoint, lineChart, valueAxis } from './charts.js';
import { html, SafeHtml } from './html.js';
import type { HttpRequest, HttpResponse, Route } from './http.js';
import { BASE_STYLE } from './page-style.js';
import { RATINGS_CHART_STYLE, reliabilityDiagram, sparkline } from './ratings-charts.js';
import {
  type LeaderboardRow,
  type ParticipantHistory,
  type ParticipantMatch,
  type PoolCalibration,
  type PoolSummary,
  participantHistory,
  poolCalibration,
  poolLeaderboard,
  ratingPool,
  ratingPools,
  SPARKLINE_MATCHES,
} from './ratings-data.js';
import { type DashboardConfig, type DashboardResources, withDeadline } from './resources.js';

/*
 * The ratings pages: `/ratings` (the pools), `/ratings/{pool}` (leaderboard with sparklines and
 * the pool's calibration) and `/ratings/{pool}/{participant}` (one participant's rating history).
 * Server-rendered HTML like the ops page: no script, tables that work without images, charts
 * with text alternatives, light and dark schemes. Unlike the ops page a page here is one read:
 * a database that is away answers 503 with what went wrong.
 */

/** Leaderboard rows shown by default, and the most `?limit=` may ask for. */
export const LEADERBOARD_LIMIT = 50;
export const LEADERBOARD_MAX_LIMIT = 500;
/** Longest pool or participant id accepted in a path (longer: 400). */
const MAX_ID_LENGTH = 200;

// ---- formatting ---------------------------------------------------------------------------

const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const rating = (value: number) => value.toFixed(1);
const f3 = (value: number | null) => (value === null ? '—' : value.toFixed(3));
const signed = (value: number, digits: number) => {
  const text = value.toFixed(digits);
  return Number(text) > 0 ? `+${text}` : Number(text) === 0 ? (0).toFixed(digits) : text;
};

function poolHref(poolId: string): string {
  return `/ratings/${encodeURIComponent(poolId)}`;
}

function participantHref(poolId: string, participantId: string): string {
  return `${poolHref(poolId)}/${encodeURIComponent(participantId)}`;
}

/** The participant's name linking to its page, its id beside it. */
function participantLink(poolId: string, id: string, name: string | null): SafeHtml {
  return html`<a href="${participantHref(poolId, id)}">${name ?? id}</a>${name === null ? '' : html` <code class="muted small">${id}</code>`}`;
}

type Result = 'win' | 'draw' | 'loss';

/** The result from the participant's side: its actual score 1, 0.5 or 0. */
export function resultOf(actual: number): Result {
  return actual > 0.5 ? 'win' : actual < 0.5 ? 'loss' : 'draw';
}

const RESULT_TONE: Readonly<Record<Result, string>> = { win: 'good', draw: 'warn', loss: 'bad' };

// ---- the page shell -------------------------------------------------------------------------

/** The ratings pages' layout, after the dashboard's shared look (`BASE_STYLE`). */
const STYLE = `
main{max-width:1200px;margin:0 auto;padding:.75rem;display:grid;gap:.75rem}
th,td{text-align:left;padding:.3rem .45rem;border-bottom:1px solid var(--line);vertical-align:middle}
.error{color:var(--bad)}
dl.facts{display:grid;grid-template-columns:auto 1fr;gap:.25rem .9rem;margin:0 0 .6rem}
#participant figure.chart-box{max-width:960px}
.calibration{display:grid;gap:.9rem 1.2rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,340px),1fr));align-items:start}
@media (max-width:560px){main{padding:.4rem}section{padding:.5rem .6rem}}
`;

/** A whole ratings page: the header with `title`, then `body`. */
function page(options: { env: string; title: string; crumbs?: SafeHtml; body: SafeHtml }): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · matchflow ratings</title>
<style>${new SafeHtml(BASE_STYLE + STYLE + CHART_STYLE + RATINGS_CHART_STYLE)}</style>
</head>
<body>
<header>
  <h1>${options.title}</h1>
  <span class="env">${options.env}</span>
  <nav><a href="/">ops page</a><a href="/ratings">rating pools</a>${options.crumbs ?? ''}</nav>
</header>
<main>
${options.body}
</main>
</body>
</html>
`.value;
}

/** A page that says what went wrong (404 unknown pool, 400 bad parameter, 503 database away). */
export function renderErrorPage(env: string, status: number, title: string, message: string): string {
  return page({
    env,
    title,
    body: html`<section id="error" data-status="${status}"><h2>${title}</h2><p class="error">${message}</p><p><a href="/ratings">all rating pools</a></p></section>`,
  });
}

// ---- /ratings ---------------------------------------------------------------------------------

/** The pools: participants, matches rated, the last match and the Brier score, each linking to its pool. */
export function renderPoolsPage(env: string, pools: readonly PoolSummary[]): string {
  const body =
    pools.length === 0
      ? html`<p class="muted">No rating pools yet: the ratings stage creates one the first time it rates a competition's matches.</p>`
      : html`<div class="scroll"><table id="pools">
        <thead><tr><th>pool</th><th>participants</th><th>matches rated</th><th>counted</th><th>last match (UTC)</th><th>Brier</th></tr></thead>
        <tbody>${pools.map(
          (pool) => html`<tr data-pool="${pool.poolId}">
            <td><a href="${poolHref(pool.poolId)}">${pool.poolId}</a></td>
            <td class="num">${pool.participants}</td>
            <td class="num">${pool.matches}</td>
            <td class="num">${pool.counted}</td>
            <td class="num">${pool.lastMatchMs === null ? '—' : minute(pool.lastMatchMs)}</td>
            <td class="num">${f3(pool.brier)}</td>
          </tr>`,
        )}</tbody></table></div>`;
  return page({
    env,
    title: 'Rating pools',
    body: html`<section id="pools-section"><h2>Rating pools</h2>
      <p class="small muted">From ratings.pools and ratings.match_ratings. Brier: the mean squared error of the home side's pre-match expected score over the counted matches (lower is better; always forecasting 0.5 scores 0.25).</p>
      ${body}</section>`,
  });
}

// ---- /ratings/{pool} ----------------------------------------------------------------------------

export interface PoolPageData {
  env: string;
  pool: PoolSummary;
  limit: number;
  leaderboard: LeaderboardRow[];
  calibration: PoolCalibration;
}

function leaderboardSection(data: PoolPageData): SafeHtml {
  const { pool, leaderboard } = data;
  if (leaderboard.length === 0)
    return html`<section id="leaderboard"><h2>Leaderboard</h2><p class="muted">No participant has a rating in this pool yet.</p></section>`;
  const more =
    pool.participants > leaderboard.length && data.limit < LEADERBOARD_MAX_LIMIT
      ? html` <a href="?limit=${Math.min(LEADERBOARD_MAX_LIMIT, pool.participants)}">show ${pool.participants > LEADERBOARD_MAX_LIMIT ? `the top ${LEADERBOARD_MAX_LIMIT}` : 'all'}</a>`
      : '';
  const rows = leaderboard.map((row) => {
    const name = row.name ?? row.participantId;
    return html`<tr data-participant="${row.participantId}">
      <td class="num">${row.rank}</td>
      <td>${participantLink(pool.poolId, row.participantId, row.name)}</td>
      <td class="num">${rating(row.rating)}</td>
      <td class="num">${row.games}</td>
      <td class="small">${row.lastMatchMs === null ? '' : html`${day(row.lastMatchMs)} `}${row.lastMatchId === null ? '—' : html`<code>${row.lastMatchId}</code>`}</td>
      <td>${sparkline({
        id: `spark-${row.rank}`,
        title: `${name}: rating after each of the last ${row.history.length} matches`,
        description: `Rating of ${name} after each of its last ${row.history.length} rated matches in pool ${pool.poolId}.`,
        points: row.history.map((point) => ({
          value: point.post,
          label: `${day(point.startMs)} ${point.matchId}`,
          match: point.matchId,
        })),
      })}</td>
    </tr>`;
  });
  return html`<section id="leaderboard"><h2>Leaderboard</h2>
    <p class="small muted">The top ${leaderboard.length} of ${pool.participants} participants by current rating (ratings.current_ratings).${more} The line: the rating after each of the participant's last ${SPARKLINE_MATCHES} matches, oldest first; its page has every match.</p>
    <div class="scroll"><table id="leaderboard-table">
      <thead><tr><th>rank</th><th>participant</th><th>rating</th><th>games</th><th>last match (UTC)</th><th>last ${SPARKLINE_MATCHES} matches</th></tr></thead>
      <tbody>${rows}</tbody>
    </table></div></section>`;
}

function calibrationSection(data: PoolPageData): SafeHtml {
  const { calibration, pool } = data;
  const notCounted = pool.matches - calibration.matches;
  const diagram = reliabilityDiagram({
    id: 'reliability',
    title: 'Reliability of the expected home score',
    description: `Counted matches of pool ${pool.poolId} binned by the home side's pre-match expected score (0–0.1, 0.1–0.2, …, 0.9–1): per bin the mean expected score against the mean actual score (a draw counts 0.5), a bigger marker for more matches. A well-calibrated pool follows the dashed diagonal. From ratings.match_ratings.`,
    bins: calibration.bins,
    xLabel: 'expected home score',
    yLabel: 'actual home score',
    emptyMessage: 'No counted matches yet.',
  });
  return html`<section id="calibration"><h2>Calibration</h2>
    <div class="calibration"><div>
    <dl class="facts">
      <dt>matches counted</dt><dd data-matches="${calibration.matches}">${calibration.matches}${notCounted > 0 ? html` <span class="muted small">(${notCounted} not counted: the pool skipped their results)</span>` : ''}</dd>
      <dt>Brier score</dt><dd data-brier="${calibration.brier ?? ''}">${f3(calibration.brier)}</dd>
      <dt>log loss</dt><dd data-log-loss="${calibration.logLoss ?? ''}">${f3(calibration.logLoss)}</dd>
    </dl>
    <p class="small muted">Over the home side's pre-match expected score, counted matches only; lower is better for both. Always forecasting 0.5 scores a Brier of 0.250 and a log loss of 0.693.</p>
    </div>${diagram}</div>
  </section>`;
}

export function renderPoolPage(data: PoolPageData): string {
  return page({
    env: data.env,
    title: `Pool ${data.pool.poolId}`,
    crumbs: html`<a href="${poolHref(data.pool.poolId)}">${data.pool.poolId}</a>`,
    body: html`${leaderboardSection(data)}${calibrationSection(data)}`,
  });
}

// ---- /ratings/{pool}/{participant} ----------------------------------------------------------------

export interface ParticipantPageData {
  env: string;
  poolId: string;
  history: ParticipantHistory;
}

function historyChart(data: ParticipantPageData): SafeHtml {
  const { history, poolId } = data;
  const name = history.name ?? history.participantId;
  const points: ChartPoint[] = history.matches.map((match) => {
    const result = resultOf(match.actual);
    return {
      x: match.startMs,
      y: match.post,
      label: `${minute(match.startMs)} ${match.matchId}`,
      data: { match: match.matchId, result },
      tone: RESULT_TONE[result],
    };
  });
  // Ratings sit far from 0: the axis spans what the participant had (before and after each match).
  const seen = history.matches.flatMap((match) => [match.pre, match.post]);
  const low = Math.min(...seen);
  const high = Math.max(...seen);
  const axis = valueAxis(low === high ? [low - 10, high + 10] : seen, { zero: false });
  return lineChart({
    id: 'rating-history',
    title: `Rating of ${name}`,
    description: `The rating of ${name} in pool ${poolId} after each of its ${history.matches.length} rated matches, at the match's start time; a marker per match, green a win, amber a draw, red a loss. From ratings.match_ratings.`,
    series: [{ key: 'rating', name: 'rating after the match', points }],
    formatY: rating,
    yDomain: [axis.min, axis.max],
    xHeading: 'match (UTC)',
    emptyMessage: 'No rated matches yet.',
    // Every match marked, however many: the page is about the matches (the table lists them too).
    markers: true,
  });
}

function matchRow(poolId: string, match: ParticipantMatch): SafeHtml {
  const result = resultOf(match.actual);
  const change = match.post - match.pre;
  return html`<tr data-match="${match.matchId}" data-result="${result}"${match.counted ? '' : html` data-counted="false"`}>
    <td class="num">${minute(match.startMs)}</td>
    <td>${participantLink(poolId, match.opponentId, match.opponentName)}</td>
    <td>${match.side}</td>
    <td><span class="badge ${RESULT_TONE[result]}">${result}</span>${match.counted ? '' : html` <span class="small muted">not counted</span>`}</td>
    <td class="num">${match.expected.toFixed(3)}</td>
    <td class="num">${rating(match.pre)} → ${rating(match.post)}</td>
    <td class="num">${signed(change, 1)}</td>
    <td class="small"><code>${match.matchId}</code>${match.season === null ? '' : html` <span class="muted">${match.season}</span>`}</td>
  </tr>`;
}

export function renderParticipantPage(data: ParticipantPageData): string {
  const { history, poolId } = data;
  const name = history.name ?? history.participantId;
  const total = history.matches.length;
  const counted = history.matches.filter((match) => match.counted).length;
  const newestFirst = [...history.matches].reverse();
  return page({
    env: data.env,
    title: name,
    crumbs: html`<a href="${poolHref(poolId)}">${poolId}</a>`,
    body: html`<section id="participant"><h2>${name} in pool <a href="${poolHref(poolId)}">${poolId}</a></h2>
      <dl class="facts">
        <dt>id</dt><dd><code>${history.participantId}</code></dd>
        <dt>rating</dt><dd>${history.current ? html`${rating(history.current.rating)} <span class="muted small">after ${history.current.games} games</span>` : html`<span class="muted">none (no current rating in this pool)</span>`}</dd>
        <dt>matches</dt><dd id="match-count" data-matches="${total}">${total} rated in this pool${counted < total ? ` (${counted} counted)` : ''}</dd>
      </dl>
      ${historyChart(data)}
    </section>
    <section id="matches"><h2>Matches</h2>
      <p class="small muted">Every rated match of ${name} in this pool, newest first. Expected: its pre-match expected score (a draw counts 0.5); ratings before → after the match.</p>
      ${
        total === 0
          ? html`<p class="muted">No rated matches yet.</p>`
          : html`<div class="scroll"><table id="matches-table">
        <thead><tr><th>date (UTC)</th><th>opponent</th><th>side</th><th>result</th><th>expected</th><th>rating</th><th>change</th><th>match</th></tr></thead>
        <tbody>${newestFirst.map((match) => matchRow(poolId, match))}</tbody>
      </table></div>`
      }
    </section>`,
  });
}

// ---- routes -----------------------------------------------------------------------------------

/** A parameter the page cannot take: 400 with the message. */
class BadRequest extends Error {}
/** No such pool or participant: 404 with the message. */
class NotFound extends Error {}

/** Refuse query parameters other than `allowed`, and any given twice. */
function checkQuery(query: URLSearchParams, allowed: readonly string[]): void {
  const seen = new Set<string>();
  for (const key of query.keys()) {
    if (!allowed.includes(key))
      throw new BadRequest(
        allowed.length === 0
          ? `unknown query parameter "${key}": this page takes none`
          : `unknown query parameter "${key}": this page takes ${allowed.join(', ')}`,
      );
    if (seen.has(key)) throw new BadRequest(`query parameter "${key}" is given more than once`);
    seen.add(key);
  }
}

/** `?limit=`: a whole number from 1 to LEADERBOARD_MAX_LIMIT; LEADERBOARD_LIMIT when absent. */
export function parseLimit(raw: string | null): number {
  if (raw === null) return LEADERBOARD_LIMIT;
  const limit = /^\d{1,6}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(limit >= 1 && limit <= LEADERBOARD_MAX_LIMIT))
    throw new BadRequest(`limit must be a whole number from 1 to ${LEADERBOARD_MAX_LIMIT}, not "${raw}"`);
  return limit;
}

/** A pool or participant id from the path: not too long, no control characters. */
function checkId(what: string, id: string | undefined): string {
  if (id === undefined || id === '') throw new BadRequest(`the ${what} id is missing`);
  if (id.length > MAX_ID_LENGTH) throw new BadRequest(`the ${what} id is longer than ${MAX_ID_LENGTH} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (/[\u0000-\u001f\u007f]/.test(id)) throw new BadRequest(`the ${what} id contains control characters`);
  return id;
}

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
} as const;

const htmlResponse = (status: number, body: string): HttpResponse => ({ status, headers: { ...HEADERS }, body });

/**
 * The ratings pages as routes (GET, and HEAD through `dispatch`), for the server's route table so
 * they get the same auth as the ops page. Each reads the database once per request (a few
 * queries, within the read deadline): 400 for a bad parameter, 404 for an unknown pool or
 * participant, 503 when the database is away.
 */
export function ratingsRoutes(options: {
  config: Pick<DashboardConfig, 'env'>;
  resources: DashboardResources;
  logger: Logger;
}): Route[] {
  const env = options.config.env;
  const serve =
    (
      render: (
        db: () => Promise<Db>,
        request: HttpRequest,
        params: Readonly<Record<string, string>>,
      ) => Promise<string>,
    ) =>
    async (request: HttpRequest, params: Readonly<Record<string, string>>): Promise<HttpResponse> => {
      try {
        return htmlResponse(200, await render(() => options.resources.db(), request, params));
      } catch (error) {
        if (error instanceof BadRequest)
          return htmlResponse(400, renderErrorPage(env, 400, 'Bad request', error.message));
        if (error instanceof NotFound) return htmlResponse(404, renderErrorPage(env, 404, 'Not found', error.message));
        options.logger.warn({ err: error, path: request.path }, 'ratings page: database unavailable');
        const message = error instanceof Error ? error.message : String(error);
        return htmlResponse(503, renderErrorPage(env, 503, 'Ratings unavailable', `unavailable: ${message}`));
      }
    };
  const read = <T>(work: Promise<T>) => withDeadline(work, 'the database');

  return [
    {
      method: 'GET',
      path: '/ratings',
      handle: serve(async (db, request) => {
        checkQuery(request.query, []);
        return renderPoolsPage(env, await read(db().then(ratingPools)));
      }),
    },
    {
      method: 'GET',
      path: '/ratings/{pool}',
      handle: serve(async (db, request, params) => {
        checkQuery(request.query, ['limit']);
        const poolId = checkId('pool', params.pool);
        const limit = parseLimit(request.query.get('limit'));
        const data = await read(
          db().then(async (database) => {
            const pool = await ratingPool(database, poolId);
            if (!pool) return undefined;
            const [leaderboard, calibration] = await Promise.all([
              poolLeaderboard(database, poolId, limit),
              poolCalibration(database, poolId),
            ]);
            return { env, pool, limit, leaderboard, calibration };
          }),
        );
        if (!data) throw new NotFound(`no rating pool "${poolId}"`);
        return renderPoolPage(data);
      }),
    },
    {
      method: 'GET',
      path: '/ratings/{pool}/{participant}',
      handle: serve(async (db, request, params) => {
        checkQuery(request.query, []);
        const poolId = checkId('pool', params.pool);
        const participantId = checkId('participant', params.participant);
        const found = await read(
          db().then(async (database) => {
            const pool = await ratingPool(database, poolId);
            if (!pool) return { pool: false as const };
            return { pool: true as const, history: await participantHistory(database, poolId, participantId) };
          }),
        );
        if (!found.pool) throw new NotFound(`no rating pool "${poolId}"`);
        if (!found.history)
          throw new NotFound(
            `no participant "${participantId}" in rating pool "${poolId}": it has no rating and no rated match there`,
          );
        return renderParticipantPage({ env, poolId, history: found.history });
      }),
    },
  ];
}
