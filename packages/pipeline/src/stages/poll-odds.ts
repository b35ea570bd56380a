import type { Config } from '@matchflow/config';
import type { Db } from '@matchflow/db';
import { StageJob } from '@matchflow/queues';
import {
  AppError,
  type CanonicalOddsChoice,
  ContractViolation,
  type FetchedPayload,
  mapSofascoreOdds,
  SOFASCORE_ENDPOINTS,
  SOFASCORE_PATHS,
  UpstreamNotFound,
} from '@matchflow/sources';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { type MatchOddsWritten, refreshCuratedOdds, refreshFinishedOdds } from '../build/match-odds.js';
import { type PayloadToStore, sha256Hex, storePayloads } from '../store/raw-payloads.js';
import { rows } from '../store/sql-rows.js';
import { fetchBatchSettled } from './fetch-batch.js';
import type { StandaloneStage } from './registry.js';
import type { StageWork, StageWorkContext, StageWorkResult } from './stage-work.js';

/*
 * The `odds` stage's work: poll the pre-match full-time result (1X2) prices of upcoming football
 * matches, on a cadence that tightens near kick-off, and keep every price change.
 *
 * Cadence (every time is `context.now()`, so tests drive it with a simulated clock). A match is
 * due when it is a football match known to a `sofascore`-kind source and either
 * - upcoming: status `notstarted`, kick-off after now and at most ODDS_HORIZON_MS (7 days, when
 *   the upstream opens its market) away, and never polled, or last polled at least
 *   ODDS_EARLY_INTERVAL_MS (a day) ago while kick-off is more than ODDS_LATE_PHASE_MS (a day)
 *   away, or at least ODDS_LATE_INTERVAL_MS (an hour) ago inside the last day; or
 * - closing: kick-off at or before now, status `notstarted`, `inprogress` or `finished`, polled
 *   before kick-off and not since (the upstream freezes its prices at kick-off: this poll reads
 *   the closing line, once).
 * A poll counts as due ODDS_POLL_SLACK_MS early, so a run that starts a little earlier after the
 * hour than the last one does not push the match back a whole hour. With the hourly schedule a
 * match is polled about once a day from a week out, every hour in its last day, and once at (or
 * just after) kick-off. A postponed match is not polled: it comes back as `notstarted` with its
 * new date, and its market is priced for that date.
 *
 * Each poll's answer goes to raw (`storePayloads`, endpoint `event.odds`, key the match's source
 * id: an unchanged body is not stored again); prices that differ from the match's latest
 * `core.odds_snapshots` row add a row (unchanged ones only move its `last_seen_at`); the poll
 * state (`core.odds_polls`) moves. A 404 (the market is not open, or was taken down) is a poll
 * without market (skipped); a body that breaks its contract is kept quarantined (failed).
 *
 * No checkpoint: the candidate query and the poll state are the position. Each batch's
 * payloads, snapshots, poll state and curated rows are one transaction, so a run that crashes
 * or runs out of budget leaves the matches it did not commit due, and the next run (or the
 * retry) polls them; one that committed is not due again until its interval has passed. Within
 * a run the candidates are taken in (kick-off, match id) order after the last one taken, so a
 * match whose poll failed is not asked twice in one run.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** The only market kept: the full-time result before kick-off. */
export const ODDS_MARKET = '1X2';
/** Matches further away than this are not polled: the upstream opens its market 7 days before kick-off. */
export const ODDS_HORIZON_MS = 7 * DAY_MS;
/** Inside this last stretch before kick-off a match is polled every ODDS_LATE_INTERVAL_MS. */
export const ODDS_LATE_PHASE_MS = DAY_MS;
/** Between polls while kick-off is more than ODDS_LATE_PHASE_MS away. */
export const ODDS_EARLY_INTERVAL_MS = DAY_MS;
/** Between polls in the last ODDS_LATE_PHASE_MS. */
export const ODDS_LATE_INTERVAL_MS = HOUR_MS;
/** A poll is due this much before its interval is over (jitter of the hourly schedule). */
export const ODDS_POLL_SLACK_MS = 5 * MINUTE_MS;

/** A match to poll: core id, which source knows it under which id, and why it is due. */
export interface OddsCandidate {
  matchId: string;
  source: string;
  sourceId: string;
  startTime: Date;
  /** The poll at or after kick-off that reads the closing line. */
  closing: boolean;
}

/** The configured sources the stage can ask (kind `sofascore`), by name. */
export function oddsSources(config: Pick<Config, 'sources'>): string[] {
  return Object.entries(config.sources)
    .filter(([, settings]) => settings.kind === 'sofascore')
    .map(([name]) => name)
    .sort();
}

/** The prices of the 1X2 market in one answer. */
interface MarketPrices {
  home: CanonicalOddsChoice;
  draw: CanonicalOddsChoice;
  away: CanonicalOddsChoice;
}

/** What came of polling one candidate. */
type Outcome =
  | { kind: 'prices'; candidate: OddsCandidate; payload: FetchedPayload; prices: MarketPrices }
  /** An answer without a pre-match 1X2 market: kept in raw, nothing to snapshot. */
  | { kind: 'no-market'; candidate: OddsCandidate; payload: FetchedPayload }
  | { kind: 'quarantined'; candidate: OddsCandidate; payload: FetchedPayload; violation: ContractViolation }
  /** 404: the market is not open (yet), or was taken down. */
  | { kind: 'not-found'; candidate: OddsCandidate }
  /** An answer that is not JSON: nothing to keep; the match is due again at its next interval. */
  | { kind: 'unreadable'; candidate: OddsCandidate; error: AppError }
  /** Anything else (unavailable, paused, rate limited, blocked): the run stops after this batch. */
  | { kind: 'error'; candidate: OddsCandidate; error: unknown };

const COUNTER_NAMES = [
  'candidates',
  'closingPolls',
  'batches',
  'requests',
  'newPayloads',
  'snapshotsWritten',
  'unchanged',
  'noMarket',
  'quarantined',
  'unreadable',
  'curatedWritten',
] as const;
type Counters = Record<(typeof COUNTER_NAMES)[number], number>;

/**
 * `odds`: poll the 1X2 prices of the football matches due (see the top of this file for the
 * cadence), within the run's budget, then bring `curated.match_odds` up to date for matches
 * that finished since their closing poll.
 *
 * - Budget: no batch starts once `maxItems` matches were polled or `maxRuntimeMs` has passed
 *   (by `context.now()`); the last batch is trimmed to the items left. `complete` is false when
 *   due matches remain; they are the first the next run polls (nearest kick-off first).
 * - A 404 records a poll without market (skipped). A body that breaks its contract is kept in
 *   raw, quarantined (failed). Both move the poll state: the match is due again at its interval.
 * - Any other upstream error: the batch's other polls are committed and the error is thrown,
 *   so the runner records the attempt as failed; the matches not committed are still due.
 * - Dry run: selects and counts what would be polled within the budget; fetches and writes nothing.
 */
export const pollOdds: StageWork = async (context) => {
  const { db, budget, logger } = context;
  if (context.scope !== 'all')
    throw new Error(`odds: scope '${context.scope}' is not supported; the stage covers every match (scope 'all')`);
  const startedAt = context.now();
  const sources = oddsSources(context.config);
  const counters = Object.fromEntries(COUNTER_NAMES.map((name) => [name, 0])) as Counters;
  counters.candidates = await countDue(db, sources, startedAt);

  let taken = 0;
  let after: Cursor | null = null;
  let exhausted: 'maxItems' | 'maxRuntime' | undefined;
  for (;;) {
    if (taken >= budget.maxItems) {
      exhausted = 'maxItems';
      break;
    }
    const batchAt = context.now();
    if (batchAt.getTime() - startedAt.getTime() >= budget.maxRuntimeMs) {
      exhausted = 'maxRuntime';
      break;
    }
    const batch = await selectDue(db, sources, batchAt, after, Math.min(budget.batchSize, budget.maxItems - taken));
    if (batch.length === 0) break;
    taken += batch.length;
    counters.batches += 1;
    counters.closingPolls += batch.filter((candidate) => candidate.closing).length;
    const last = batch.at(-1) as OddsCandidate;
    after = { startTime: last.startTime, matchId: last.matchId };
    if (context.dryRun) {
      context.emit(batchEvent(counters.batches, batch.length, { dryRun: true }));
      continue;
    }
    const outcomes = await fetchBatch(context, batch);
    counters.requests += batch.length;
    const written = await commitBatch(context, outcomes, batchAt);
    for (const name of Object.keys(written) as Array<keyof typeof written>) counters[name] += written[name];
    const failure = outcomes.find((outcome) => outcome.kind === 'error');
    context.emit(
      batchEvent(counters.batches, batch.length, {
        snapshots: written.snapshotsWritten,
        unchanged: written.unchanged,
        noMarket: written.noMarket,
        quarantined: written.quarantined,
        failed:
          written.quarantined + written.unreadable + outcomes.filter((outcome) => outcome.kind === 'error').length,
      }),
    );
    if (failure?.kind === 'error') {
      const message = failure.error instanceof Error ? failure.error.message : String(failure.error);
      context.emit({ type: 'stopped', reason: 'upstream-error', match: failure.candidate.matchId, error: message });
      logger.warn(
        { err: failure.error, match: failure.candidate.matchId, ...counters },
        'odds: upstream error, stopping after the committed batch',
      );
      throw failure.error;
    }
  }

  const remaining = exhausted !== undefined && (await selectDue(db, sources, context.now(), after, 1)).length > 0;
  if (remaining) context.emit({ type: 'budget-exhausted', reason: exhausted });
  if (!context.dryRun) {
    const finished = await db.transaction(async (txn) => refreshFinishedOdds(txn as unknown as Db));
    counters.curatedWritten += finished.written + finished.removed;
  }
  const result: StageWorkResult = {
    scanned: taken,
    processed: context.dryRun ? taken : counters.snapshotsWritten + counters.unchanged,
    skipped: counters.noMarket,
    failed: counters.quarantined + counters.unreadable,
    counters: { ...counters },
    complete: !remaining,
  };
  logger.info(
    { ...result.counters, scanned: result.scanned, complete: result.complete, dryRun: context.dryRun },
    'odds polled',
  );
  return result;
};

function batchEvent(batch: number, size: number, fields: Record<string, unknown>) {
  return { type: 'batch', batch, size, snapshots: 0, unchanged: 0, noMarket: 0, quarantined: 0, ...fields };
}

/** Poll every match of the batch at once; an answer is classified, never thrown. */
async function fetchBatch(context: StageWorkContext, batch: readonly OddsCandidate[]): Promise<Outcome[]> {
  const settled = await fetchBatchSettled(context, 'odds', batch, SOFASCORE_ENDPOINTS.odds, SOFASCORE_PATHS.odds);
  return batch.map((candidate, index) => classify(candidate, settled[index] as PromiseSettledResult<FetchedPayload>));
}

function classify(candidate: OddsCandidate, settled: PromiseSettledResult<FetchedPayload>): Outcome {
  if (settled.status === 'rejected') {
    const error: unknown = settled.reason;
    if (error instanceof UpstreamNotFound) return { kind: 'not-found', candidate };
    if (error instanceof AppError && error.code === 'contract-violation')
      return { kind: 'unreadable', candidate, error };
    return { kind: 'error', candidate, error };
  }
  const payload = settled.value;
  try {
    const odds = mapSofascoreOdds(payload.body, { source: candidate.source, matchSourceId: candidate.sourceId });
    const index = odds.markets.findIndex((market) => market.marketGroup === ODDS_MARKET && !market.isLive);
    const market = odds.markets[index];
    if (!market) return { kind: 'no-market', candidate, payload };
    const choice = (name: string) => market.choices.find((entry) => entry.name === name);
    const [home, draw, away] = [choice('1'), choice('X'), choice('2')];
    if (!home || !draw || !away)
      throw new ContractViolation(candidate.source, SOFASCORE_ENDPOINTS.odds, [
        {
          path: `markets[${index}].choices`,
          message: `a 1X2 market needs the choices 1, X and 2; got ${market.choices.map((entry) => entry.name).join(', ') || 'none'}`,
        },
      ]);
    return { kind: 'prices', candidate, payload, prices: { home, draw, away } };
  } catch (error) {
    if (error instanceof ContractViolation) return { kind: 'quarantined', candidate, payload, violation: error };
    throw error;
  }
}

interface BatchWritten {
  newPayloads: number;
  snapshotsWritten: number;
  unchanged: number;
  noMarket: number;
  quarantined: number;
  unreadable: number;
  curatedWritten: number;
}

/** A `core.odds_snapshots` row as the write statement takes it. */
interface SnapshotRow {
  match_id: string;
  source: string;
  home_decimal: number;
  draw_decimal: number;
  away_decimal: number;
  home_fractional: string;
  draw_fractional: string;
  away_fractional: string;
  opening_home_decimal: number;
  opening_draw_decimal: number;
  opening_away_decimal: number;
  opening_home_fractional: string;
  opening_draw_fractional: string;
  opening_away_fractional: string;
  raw_sha256: string;
}

/** The quoted prices that make a price state: equal quotes, equal state. */
const QUOTES = [
  'home_fractional',
  'draw_fractional',
  'away_fractional',
  'opening_home_fractional',
  'opening_draw_fractional',
  'opening_away_fractional',
] as const;

/** A `core.odds_polls` row as the write statement takes it. */
interface PollRow {
  match_id: string;
  source: string;
  source_id: string;
  outcome: 'prices' | 'no-market' | 'quarantined' | 'unreadable';
  sha256: string | null;
  closed: boolean;
}

/**
 * The batch's payloads, snapshots, poll state and curated rows, in one transaction, all at poll
 * time `polledAt`. Matches whose poll failed are left as they were (still due).
 */
async function commitBatch(
  context: StageWorkContext,
  outcomes: readonly Outcome[],
  polledAt: Date,
): Promise<BatchWritten> {
  const written: BatchWritten = {
    newPayloads: 0,
    snapshotsWritten: 0,
    unchanged: 0,
    noMarket: 0,
    quarantined: 0,
    unreadable: 0,
    curatedWritten: 0,
  };
  const answered = outcomes.filter(
    (outcome): outcome is Exclude<Outcome, { kind: 'error' }> => outcome.kind !== 'error',
  );
  if (answered.length === 0) return written;
  const kept = answered.filter(
    (outcome): outcome is Extract<Outcome, { payload: FetchedPayload }> => 'payload' in outcome,
  );
  const payloads: PayloadToStore[] = kept.map((outcome) => ({
    source: outcome.candidate.source,
    endpoint: SOFASCORE_ENDPOINTS.odds,
    key: outcome.candidate.sourceId,
    fetchedAt: outcome.payload.fetchedAt,
    httpStatus: outcome.payload.status,
    text: outcome.payload.text,
    body: outcome.payload.body,
    runId: context.runId,
    ...(outcome.kind === 'quarantined' ? { contractError: outcome.violation.problems.join('; ') } : {}),
  }));
  const snapshots = answered
    .filter((outcome): outcome is Extract<Outcome, { kind: 'prices' }> => outcome.kind === 'prices')
    .map(snapshotRow);
  const polls = answered.map((outcome): PollRow => {
    const { candidate } = outcome;
    return {
      match_id: candidate.matchId,
      source: candidate.source,
      source_id: candidate.sourceId,
      outcome: outcome.kind === 'not-found' ? 'no-market' : outcome.kind,
      // The identity raw.payloads gives the body (storePayloads hashes the same text).
      sha256: 'payload' in outcome ? sha256Hex(outcome.payload.text) : null,
      closed: polledAt.getTime() >= candidate.startTime.getTime(),
    };
  });
  await context.db.transaction(async (txn) => {
    const tx = txn as unknown as Db;
    const stored = await storePayloads(tx, payloads);
    written.newPayloads = stored.filter((payload) => payload.isNew).length;
    const snapshotted = await writeSnapshots(tx, snapshots, polledAt);
    written.snapshotsWritten = snapshotted.inserted;
    written.unchanged = snapshotted.unchanged;
    await writePolls(tx, polls, polledAt);
    const curated: MatchOddsWritten = await refreshCuratedOdds(
      tx,
      answered.map((outcome) => outcome.candidate.matchId),
    );
    written.curatedWritten = curated.written + curated.removed;
  });
  for (const outcome of answered) {
    if (outcome.kind === 'no-market' || outcome.kind === 'not-found') written.noMarket += 1;
    else if (outcome.kind === 'unreadable') written.unreadable += 1;
    else if (outcome.kind === 'quarantined') {
      written.quarantined += 1;
      context.logger.warn(
        { match: outcome.candidate.matchId, path: outcome.violation.path },
        'payload quarantined: contract violation',
      );
    }
  }
  return written;
}

function snapshotRow(outcome: Extract<Outcome, { kind: 'prices' }>): SnapshotRow {
  const { home, draw, away } = outcome.prices;
  return {
    match_id: outcome.candidate.matchId,
    source: outcome.candidate.source,
    home_decimal: home.currentDecimal,
    draw_decimal: draw.currentDecimal,
    away_decimal: away.currentDecimal,
    home_fractional: home.currentFractional,
    draw_fractional: draw.currentFractional,
    away_fractional: away.currentFractional,
    opening_home_decimal: home.openingDecimal,
    opening_draw_decimal: draw.openingDecimal,
    opening_away_decimal: away.openingDecimal,
    opening_home_fractional: home.openingFractional,
    opening_draw_fractional: draw.openingFractional,
    opening_away_fractional: away.openingFractional,
    raw_sha256: sha256Hex(outcome.payload.text),
  };
}

/**
 * A new row for each match whose quoted prices differ from its latest snapshot (or that has
 * none); for the others, the latest row's `last_seen_at` moves to `observedAt`. Idempotent: a
 * batch committed again at the same time finds its own rows.
 */
async function writeSnapshots(
  tx: Db,
  snapshots: readonly SnapshotRow[],
  observedAt: Date,
): Promise<{ inserted: number; unchanged: number }> {
  if (snapshots.length === 0) return { inserted: 0, unchanged: 0 };
  const latest = await rows<Pick<SnapshotRow, 'match_id' | (typeof QUOTES)[number]> & { observed_at: unknown }>(
    tx,
    sql`SELECT DISTINCT ON (match_id) match_id, observed_at, home_fractional, draw_fractional, away_fractional,
          opening_home_fractional, opening_draw_fractional, opening_away_fractional
        FROM core.odds_snapshots
        WHERE market = ${ODDS_MARKET}
          AND match_id IN (SELECT jsonb_array_elements_text(${JSON.stringify(snapshots.map((row) => row.match_id))}::jsonb))
        ORDER BY match_id, observed_at DESC`,
  );
  const latestOf = new Map(latest.map((row) => [row.match_id, row]));
  const changed: SnapshotRow[] = [];
  const unchanged: string[] = [];
  for (const snapshot of snapshots) {
    const previous = latestOf.get(snapshot.match_id);
    if (previous && QUOTES.every((quote) => previous[quote] === snapshot[quote])) unchanged.push(snapshot.match_id);
    else changed.push(snapshot);
  }
  const at = observedAt.toISOString();
  if (changed.length > 0) {
    await tx.execute(sql`
INSERT INTO core.odds_snapshots (match_id, market, observed_at, last_seen_at, source, home_decimal, draw_decimal,
  away_decimal, home_fractional, draw_fractional, away_fractional, opening_home_decimal, opening_draw_decimal,
  opening_away_decimal, opening_home_fractional, opening_draw_fractional, opening_away_fractional, raw_sha256)
SELECT x.match_id, ${ODDS_MARKET}, ${at}::timestamptz, ${at}::timestamptz, x.source, x.home_decimal, x.draw_decimal,
  x.away_decimal, x.home_fractional, x.draw_fractional, x.away_fractional, x.opening_home_decimal,
  x.opening_draw_decimal, x.opening_away_decimal, x.opening_home_fractional, x.opening_draw_fractional,
  x.opening_away_fractional, x.raw_sha256
FROM jsonb_to_recordset(${JSON.stringify(changed)}::jsonb) AS x(
  match_id text, source text, home_decimal float8, draw_decimal float8, away_decimal float8, home_fractional text,
  draw_fractional text, away_fractional text, opening_home_decimal float8, opening_draw_decimal float8,
  opening_away_decimal float8, opening_home_fractional text, opening_draw_fractional text,
  opening_away_fractional text, raw_sha256 text)
ORDER BY x.match_id
ON CONFLICT (match_id, market, observed_at) DO UPDATE SET last_seen_at = excluded.last_seen_at,
  source = excluded.source, home_decimal = excluded.home_decimal, draw_decimal = excluded.draw_decimal,
  away_decimal = excluded.away_decimal, home_fractional = excluded.home_fractional,
  draw_fractional = excluded.draw_fractional, away_fractional = excluded.away_fractional,
  opening_home_decimal = excluded.opening_home_decimal, opening_draw_decimal = excluded.opening_draw_decimal,
  opening_away_decimal = excluded.opening_away_decimal, opening_home_fractional = excluded.opening_home_fractional,
  opening_draw_fractional = excluded.opening_draw_fractional, opening_away_fractional = excluded.opening_away_fractional,
  raw_sha256 = excluded.raw_sha256`);
  }
  if (unchanged.length > 0) {
    await tx.execute(sql`
UPDATE core.odds_snapshots s SET last_seen_at = greatest(s.last_seen_at, ${at}::timestamptz)
FROM (
  SELECT DISTINCT ON (match_id) match_id, observed_at FROM core.odds_snapshots
  WHERE market = ${ODDS_MARKET}
    AND match_id IN (SELECT jsonb_array_elements_text(${JSON.stringify(unchanged)}::jsonb))
  ORDER BY match_id, observed_at DESC
) latest
WHERE s.match_id = latest.match_id AND s.market = ${ODDS_MARKET} AND s.observed_at = latest.observed_at`);
  }
  return { inserted: changed.length, unchanged: unchanged.length };
}

/** Record the batch's polls: one more poll at `polledAt` and what it found. */
async function writePolls(tx: Db, polls: readonly PollRow[], polledAt: Date): Promise<void> {
  if (polls.length === 0) return;
  const at = polledAt.toISOString();
  await tx.execute(sql`
INSERT INTO core.odds_polls AS p (match_id, source, source_id, first_polled_at, last_polled_at, polls, last_outcome,
  last_sha256, closed)
SELECT x.match_id, x.source, x.source_id, ${at}::timestamptz, ${at}::timestamptz, 1, x.outcome, x.sha256, x.closed
FROM jsonb_to_recordset(${JSON.stringify(polls)}::jsonb) AS x(
  match_id text, source text, source_id text, outcome text, sha256 text, closed boolean)
ORDER BY x.match_id
ON CONFLICT (match_id) DO UPDATE SET source = excluded.source, source_id = excluded.source_id,
  last_polled_at = excluded.last_polled_at, polls = p.polls + 1, last_outcome = excluded.last_outcome,
  last_sha256 = excluded.last_sha256, closed = excluded.closed`);
}

/** Where a run's walk over the due matches stands: the last one taken. */
interface Cursor {
  startTime: Date;
  matchId: string;
}

/**
 * The due matches at `now` (see the top of the file), as one query of two parts that each walk
 * an index: the upcoming ones by kick-off (`matches_start`), the closing ones from the poll
 * state not yet closed (`odds_polls_open`).
 */
function dueFrom(sources: readonly string[], now: Date) {
  const at = now.toISOString();
  const ms = (value: number) => sql`${`${value} milliseconds`}::interval`;
  const sourceOf = sql`JOIN core.competitions c ON c.id = m.competition_id AND c.sport = 'football'
    JOIN LATERAL (
      SELECT s.source, s.source_id FROM core.source_ids s
      WHERE s.entity = 'match' AND s.core_id = m.id
        AND s.source IN (SELECT jsonb_array_elements_text(${JSON.stringify(sources)}::jsonb))
      ORDER BY s.source COLLATE "C"
      LIMIT 1
    ) src ON true`;
  return sql`(
  SELECT m.id AS match_id, m.start_time, src.source, src.source_id, false AS closing
  FROM core.matches m
  ${sourceOf}
  LEFT JOIN core.odds_polls p ON p.match_id = m.id
  WHERE m.status = 'notstarted'
    AND m.start_time > ${at}::timestamptz AND m.start_time <= ${at}::timestamptz + ${ms(ODDS_HORIZON_MS)}
    AND (p.last_polled_at IS NULL
      OR (m.start_time > ${at}::timestamptz + ${ms(ODDS_LATE_PHASE_MS)}
        AND p.last_polled_at <= ${at}::timestamptz - ${ms(ODDS_EARLY_INTERVAL_MS - ODDS_POLL_SLACK_MS)})
      OR (m.start_time <= ${at}::timestamptz + ${ms(ODDS_LATE_PHASE_MS)}
        AND p.last_polled_at <= ${at}::timestamptz - ${ms(ODDS_LATE_INTERVAL_MS - ODDS_POLL_SLACK_MS)}))
  UNION ALL
  SELECT m.id AS match_id, m.start_time, src.source, src.source_id, true AS closing
  FROM core.odds_polls p
  JOIN core.matches m ON m.id = p.match_id
  ${sourceOf}
  WHERE NOT p.closed AND m.status IN ('notstarted', 'inprogress', 'finished')
    AND m.start_time <= ${at}::timestamptz AND p.last_polled_at < m.start_time
) due`;
}

/** Up to `limit` due matches after `after`, nearest kick-off first (then byte-wise match id). */
async function selectDue(
  db: Db,
  sources: readonly string[],
  now: Date,
  after: Cursor | null,
  limit: number,
): Promise<OddsCandidate[]> {
  const from =
    after === null
      ? sql``
      : sql`WHERE due.start_time > ${after.startTime.toISOString()}::timestamptz
          OR (due.start_time = ${after.startTime.toISOString()}::timestamptz
            AND due.match_id COLLATE "C" > ${after.matchId}::text)`;
  // Kick-off as epoch milliseconds: the drivers differ in how they hand back a timestamptz.
  const found = await rows<{ match_id: string; start_ms: number; source: string; source_id: string; closing: boolean }>(
    db,
    sql`SELECT due.match_id, (extract(epoch FROM due.start_time) * 1000)::float8 AS start_ms, due.source,
          due.source_id, due.closing
        FROM ${dueFrom(sources, now)}
        ${from}
        ORDER BY due.start_time, due.match_id COLLATE "C" LIMIT ${limit}`,
  );
  return found.map((row) => ({
    matchId: row.match_id,
    source: row.source,
    sourceId: row.source_id,
    startTime: new Date(Number(row.start_ms)),
    closing: row.closing,
  }));
}

async function countDue(db: Db, sources: readonly string[], now: Date): Promise<number> {
  const [row] = await rows<{ count: number }>(db, sql`SELECT count(*)::int AS count FROM ${dueFrom(sources, now)}`);
  return Number(row?.count ?? 0);
}

/** Its runs cover every match: there is no narrower scope. */
const OddsJob = StageJob.extend({
  scope: z.literal('all', { error: "odds runs over 'all' matches: it takes no other scope" }),
});

/** The `odds` stage (docs/adding-a-stage.md): registered in `defaultStageRegistry()`. */
export const oddsStage: StandaloneStage = {
  kind: 'standalone',
  name: 'odds',
  queue: 'odds',
  jobName: 'odds.poll',
  summary:
    'poll the pre-match 1X2 odds of upcoming football matches (daily from a week out, hourly in the last day, once at kick-off)',
  payload: OddsJob,
  // Its candidates are the matches ingest writes; in a run it goes after ratings, before build.
  dependsOn: ['ingest'],
  concurrency: () => 1,
  scopeKey: (payload) => String((payload as { scope?: unknown }).scope ?? ''),
  budget: { batchSize: 50, maxItems: 2_000, maxRuntimeMs: 15 * 60_000 },
  // Hourly: the per-match cadence is decided by the work, from each match's kick-off.
  schedule: '10 * * * *',
  work: pollOdds,
};
