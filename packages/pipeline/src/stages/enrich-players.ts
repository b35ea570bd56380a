import type { Config } from '@matchflow/config';
import { type Db, ops } from '@matchflow/db';
import { StageJob } from '@matchflow/queues';
import {
  AppError,
  type CanonicalPlayerProfile,
  ContractViolation,
  type FetchedPayload,
  mapSofascorePlayer,
  SOFASCORE_ENDPOINTS,
  SOFASCORE_PATHS,
  UpstreamNotFound,
} from '@matchflow/sources';
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { refreshCuratedPlayers } from '../build/players.js';
import { recordQualityResults } from '../quality/checks.js';
import { measurePlayerProfileCoverage } from '../quality/player-profile-coverage.js';
import { type PayloadToStore, sha256Hex, storePayloads } from '../store/raw-payloads.js';
import { rows } from '../store/sql-rows.js';
import { fetchBatchSettled } from './fetch-batch.js';
import type { StandaloneStage } from './registry.js';
import type { StageWork, StageWorkContext, StageWorkResult } from './stage-work.js';

/*
 * The `players` stage's work: fill `core.player_profiles` from the upstream's player endpoint.
 *
 * Candidates are players with at least one appearance (lineup players: tennis players are
 * participants of kind `player` too, but the upstream models them as teams, so its player
 * endpoint is not theirs) mapped to a configured source of kind `sofascore`, that have no
 * profile yet, or an incomplete one last asked about at least `PLAYER_RECHECK_AFTER_MS` ago.
 * A complete profile is never asked for again.
 *
 * They are taken in player id order (byte-wise), starting after the checkpoint
 * (`stage.players.cursor`, the last player of the last committed batch) and wrapping round to
 * the start, so runs cut short by their budget still cover everyone in turn. Each batch is
 * fetched at once (at backfill priority: scheduled match updates go first), and its payloads,
 * profiles, curated rows and the checkpoint are written in one transaction: a crash loses at
 * most the batch in flight, which the next run does again (every write is an idempotent upsert).
 */

/** `ops.checkpoints` name of the last player of the last committed batch. */
export const PLAYERS_CHECKPOINT = 'stage.players.cursor';

/** An incomplete profile (or a 404) is asked about again once it is this old. */
export const PLAYER_RECHECK_AFTER_MS = 7 * 86_400_000;

/** A player to ask about: core id, and which source knows him under which id. */
export interface PlayerCandidate {
  playerId: string;
  source: string;
  sourceId: string;
}

/** The configured sources the stage can ask (kind `sofascore`), by name. */
export function profileSources(config: Pick<Config, 'sources'>): string[] {
  return Object.entries(config.sources)
    .filter(([, settings]) => settings.kind === 'sofascore')
    .map(([name]) => name)
    .sort();
}

/** True when all five key fields are there (the rule of `core.player_profiles.complete`). */
export function isCompleteProfile(
  profile: Pick<CanonicalPlayerProfile, 'nationality' | 'dateOfBirth' | 'heightCm' | 'preferredFoot' | 'position'>,
): boolean {
  return (
    profile.nationality !== undefined &&
    profile.dateOfBirth !== undefined &&
    profile.heightCm !== undefined &&
    profile.preferredFoot !== undefined &&
    profile.position !== undefined
  );
}

/** What came of asking about one candidate. */
type Outcome =
  | { kind: 'profile'; candidate: PlayerCandidate; payload: FetchedPayload; profile: CanonicalPlayerProfile }
  | { kind: 'quarantined'; candidate: PlayerCandidate; payload: FetchedPayload; violation: ContractViolation }
  /** An answer that is not JSON: nothing to keep, the player is asked again at his next re-check. */
  | { kind: 'unreadable'; candidate: PlayerCandidate; error: AppError }
  | { kind: 'not-found'; candidate: PlayerCandidate }
  /** Anything else (unavailable, paused, rate limited, blocked): the run stops after this batch. */
  | { kind: 'error'; candidate: PlayerCandidate; error: unknown };

const COUNTER_NAMES = [
  'candidates',
  'batches',
  'requests',
  'newPayloads',
  'profilesWritten',
  'completeProfiles',
  'incompleteProfiles',
  'notFound',
  'quarantined',
  'unreadable',
  'unsupportedSource',
  'curatedWritten',
] as const;
type Counters = Record<(typeof COUNTER_NAMES)[number], number>;

/**
 * `players`: fetch the profiles of players that have none (or an incomplete one due for a
 * re-check), within the run's budget. See the top of this file for the order and checkpoint.
 *
 * - Budget: no batch starts once `maxItems` candidates were taken or `maxRuntimeMs` has passed
 *   (by `context.now()`); the last batch is trimmed to the items left, so exactly `maxItems`
 *   are taken when that many are due. `complete` is false when candidates remain.
 * - A payload that breaks its contract is kept in raw, quarantined with the violation; the
 *   player counts as failed and the run goes on. A 404 marks the profile `not_found` (skipped).
 *   Both are asked again at the re-check interval, like an incomplete profile.
 * - Any other upstream error (unavailable, paused, rate limited, blocked): the batch's other
 *   players are committed, the checkpoint stops before the first player that failed, and the
 *   error is thrown, so the runner records the attempt as failed and its retry (or the next run)
 *   resumes there.
 * - Dry run: selects and counts what would be fetched within the budget; fetches and writes
 *   nothing, the checkpoint stays.
 * - After the work (not in a dry run): records `player-profile-coverage` for the run.
 */
export const enrichPlayers: StageWork = async (context) => {
  const { db, budget, logger } = context;
  if (context.scope !== 'all')
    throw new Error(`players: scope '${context.scope}' is not supported; the stage covers every player (scope 'all')`);
  const startedAt = context.now();
  const sources = profileSources(context.config);
  const filter: CandidateFilter = { sources, dueBefore: new Date(startedAt.getTime() - PLAYER_RECHECK_AFTER_MS) };
  const counters = Object.fromEntries(COUNTER_NAMES.map((name) => [name, 0])) as Counters;
  counters.candidates = await countCandidates(db, filter);
  counters.unsupportedSource = await countUnsupported(db, sources);
  const sweep = new CandidateSweep(db, filter, await readCursor(db));

  let taken = 0;
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
    const batch = await sweep.next(Math.min(budget.batchSize, budget.maxItems - taken));
    if (batch.length === 0) break;
    taken += batch.length;
    counters.batches += 1;
    const last = (batch.at(-1) as PlayerCandidate).playerId;
    if (context.dryRun) {
      sweep.passed(last);
      context.emit(batchEvent(counters.batches, batch.length, { cursor: last, dryRun: true }));
      continue;
    }
    const outcomes = await fetchBatch(context, batch);
    counters.requests += batch.length;
    const stop = outcomes.findIndex((outcome) => outcome.kind === 'error');
    // The checkpoint never passes a player that failed: a retry starts with him.
    const committedUpTo = stop === -1 ? last : batch[stop - 1]?.playerId;
    const written = await commitBatch(context, outcomes, committedUpTo, batchAt);
    for (const name of Object.keys(written) as Array<keyof typeof written>) counters[name] += written[name];
    context.emit(
      batchEvent(counters.batches, batch.length, {
        fetched: written.profilesWritten + written.quarantined,
        notFound: written.notFound,
        quarantined: written.quarantined,
        failed:
          written.quarantined + written.unreadable + outcomes.filter((outcome) => outcome.kind === 'error').length,
        cursor: committedUpTo ?? null,
      }),
    );
    const failure = outcomes[stop];
    if (failure?.kind === 'error') {
      const message = failure.error instanceof Error ? failure.error.message : String(failure.error);
      context.emit({ type: 'stopped', reason: 'upstream-error', player: failure.candidate.playerId, error: message });
      logger.warn(
        { err: failure.error, player: failure.candidate.playerId, ...counters },
        'players: upstream error, stopping after the committed batch',
      );
      throw failure.error;
    }
    sweep.passed(last);
  }

  const remaining = exhausted !== undefined && (await sweep.remaining());
  if (remaining) context.emit({ type: 'budget-exhausted', reason: exhausted });
  const result: StageWorkResult = {
    scanned: taken,
    processed: context.dryRun ? taken : counters.profilesWritten,
    skipped: counters.notFound + counters.unsupportedSource,
    failed: counters.quarantined + counters.unreadable,
    counters: { ...counters },
    complete: !remaining,
  };
  if (!context.dryRun) {
    const coverage = await measurePlayerProfileCoverage(db);
    await recordQualityResults(db, context.runId, context.now(), [coverage]);
    result.counters.profileCoverage = coverage.observed;
  }
  logger.info(
    { ...result.counters, scanned: result.scanned, complete: result.complete, dryRun: context.dryRun },
    'players enriched',
  );
  return result;
};

function batchEvent(batch: number, size: number, fields: Record<string, unknown>) {
  return { type: 'batch', batch, size, fetched: 0, notFound: 0, quarantined: 0, ...fields };
}

/** Ask about every player of the batch at once; an answer is classified, never thrown. */
async function fetchBatch(context: StageWorkContext, batch: readonly PlayerCandidate[]): Promise<Outcome[]> {
  const settled = await fetchBatchSettled(
    context,
    'players',
    batch,
    SOFASCORE_ENDPOINTS.player,
    SOFASCORE_PATHS.player,
  );
  return batch.map((candidate, index) => classify(candidate, settled[index] as PromiseSettledResult<FetchedPayload>));
}

function classify(candidate: PlayerCandidate, settled: PromiseSettledResult<FetchedPayload>): Outcome {
  if (settled.status === 'rejected') {
    const error: unknown = settled.reason;
    if (error instanceof UpstreamNotFound) return { kind: 'not-found', candidate };
    if (error instanceof AppError && error.code === 'contract-violation')
      return { kind: 'unreadable', candidate, error };
    return { kind: 'error', candidate, error };
  }
  const payload = settled.value;
  try {
    const profile = mapSofascorePlayer(payload.body, candidate.source);
    if (profile.sourceId !== candidate.sourceId)
      throw new ContractViolation(candidate.source, SOFASCORE_ENDPOINTS.player, [
        {
          path: 'player.id',
          message: `expected ${candidate.sourceId} (the player asked for), got ${profile.sourceId}`,
        },
      ]);
    return { kind: 'profile', candidate, payload, profile };
  } catch (error) {
    if (error instanceof ContractViolation) return { kind: 'quarantined', candidate, payload, violation: error };
    throw error;
  }
}

interface BatchWritten {
  newPayloads: number;
  profilesWritten: number;
  completeProfiles: number;
  incompleteProfiles: number;
  notFound: number;
  quarantined: number;
  unreadable: number;
  curatedWritten: number;
}

/**
 * The batch's payloads, profiles, curated rows and (when `cursor` is set) the checkpoint, in one
 * transaction. Players whose fetch failed are left as they were.
 */
async function commitBatch(
  context: StageWorkContext,
  outcomes: readonly Outcome[],
  cursor: string | undefined,
  checkedAt: Date,
): Promise<BatchWritten> {
  const written: BatchWritten = {
    newPayloads: 0,
    profilesWritten: 0,
    completeProfiles: 0,
    incompleteProfiles: 0,
    notFound: 0,
    quarantined: 0,
    unreadable: 0,
    curatedWritten: 0,
  };
  const answered = outcomes.filter(
    (outcome): outcome is Exclude<Outcome, { kind: 'error' }> => outcome.kind !== 'error',
  );
  if (answered.length === 0 && cursor === undefined) return written;
  const kept = answered.filter(
    (outcome): outcome is Extract<Outcome, { payload: FetchedPayload }> =>
      outcome.kind === 'profile' || outcome.kind === 'quarantined',
  );
  const payloads: PayloadToStore[] = kept.map((outcome) => ({
    source: outcome.candidate.source,
    endpoint: SOFASCORE_ENDPOINTS.player,
    key: outcome.candidate.sourceId,
    fetchedAt: outcome.payload.fetchedAt,
    httpStatus: outcome.payload.status,
    text: outcome.payload.text,
    body: outcome.payload.body,
    runId: context.runId,
    ...(outcome.kind === 'quarantined' ? { contractError: outcome.violation.problems.join('; ') } : {}),
  }));
  await context.db.transaction(async (txn) => {
    const tx = txn as unknown as Db;
    const stored = await storePayloads(tx, payloads);
    written.newPayloads = stored.filter((payload) => payload.isNew).length;
    await writeProfiles(tx, answered.map(profileRow), checkedAt);
    const curated = await refreshCuratedPlayers(
      tx,
      answered.map((outcome) => outcome.candidate.playerId),
    );
    written.curatedWritten = curated.written + curated.removed;
    if (cursor !== undefined) await writeCursor(tx, cursor, context.runId);
  });
  for (const outcome of answered) {
    if (outcome.kind === 'profile') {
      written.profilesWritten += 1;
      if (isCompleteProfile(outcome.profile)) written.completeProfiles += 1;
      else written.incompleteProfiles += 1;
    } else if (outcome.kind === 'not-found') written.notFound += 1;
    else if (outcome.kind === 'quarantined') {
      written.quarantined += 1;
      context.logger.warn(
        { player: outcome.candidate.playerId, path: outcome.violation.path },
        'payload quarantined: contract violation',
      );
    } else if (outcome.kind === 'unreadable') written.unreadable += 1;
  }
  return written;
}

/** A `core.player_profiles` row as the write statement takes it (snake_case, nulls). */
interface ProfileRow {
  player_id: string;
  source: string;
  source_id: string;
  /** Set only for an answer that kept its contract: the fields below come from it. */
  raw_sha256: string | null;
  not_found: boolean;
  position: string | null;
  nationality: string | null;
  date_of_birth: string | null;
  height_cm: number | null;
  preferred_foot: string | null;
  shirt_number: number | null;
  team_source_id: string | null;
  market_value_eur: number | null;
}

function profileRow(outcome: Exclude<Outcome, { kind: 'error' }>): ProfileRow {
  const { candidate } = outcome;
  const profile = outcome.kind === 'profile' ? outcome.profile : undefined;
  return {
    player_id: candidate.playerId,
    source: candidate.source,
    source_id: candidate.sourceId,
    // The identity raw.payloads gives the body (storePayloads hashes the same text).
    raw_sha256: outcome.kind === 'profile' ? sha256Hex(outcome.payload.text) : null,
    not_found: outcome.kind === 'not-found',
    position: profile?.position ?? null,
    nationality: profile?.nationality ?? null,
    date_of_birth: profile?.dateOfBirth ?? null,
    height_cm: profile?.heightCm ?? null,
    preferred_foot: profile?.preferredFoot ?? null,
    shirt_number: profile?.shirtNumber ?? null,
    team_source_id: profile?.teamSourceId ?? null,
    market_value_eur: profile?.marketValueEur === undefined ? null : Math.round(profile.marketValueEur),
  };
}

/**
 * Upsert the batch's profiles in one statement. An answer that kept its contract replaces the
 * fields (`updated_at` moves only when they change); a 404 or a quarantined answer leaves the
 * fields of an earlier answer alone and records only when the player was asked and whether he
 * was there. The current team's core id comes from the source's id mapping, when core knows it.
 */
async function writeProfiles(tx: Db, profiles: readonly ProfileRow[], checkedAt: Date): Promise<void> {
  if (profiles.length === 0) return;
  const at = checkedAt.toISOString();
  await tx.execute(sql`
WITH incoming AS (
  SELECT * FROM jsonb_to_recordset(${JSON.stringify(profiles)}::jsonb) AS x(
    player_id text, source text, source_id text, raw_sha256 text, not_found boolean, position text, nationality text,
    date_of_birth date, height_cm int, preferred_foot text, shirt_number int, team_source_id text, market_value_eur bigint)
)
INSERT INTO core.player_profiles AS pp (player_id, source, source_id, position, nationality, date_of_birth, height_cm,
  preferred_foot, shirt_number, team_source_id, team_id, market_value_eur, not_found, raw_sha256, checked_at, updated_at)
SELECT i.player_id, i.source, i.source_id, i.position, i.nationality, i.date_of_birth, i.height_cm, i.preferred_foot,
  i.shirt_number, i.team_source_id, team.core_id, i.market_value_eur, i.not_found, i.raw_sha256,
  ${at}::timestamptz, ${at}::timestamptz
FROM incoming i
LEFT JOIN LATERAL (
  SELECT s.core_id FROM core.source_ids s JOIN core.participants t ON t.id = s.core_id AND t.kind = 'team'
  WHERE s.source = i.source AND s.entity = 'participant' AND s.source_id = i.team_source_id
) team ON true
ORDER BY i.player_id
ON CONFLICT (player_id) DO UPDATE SET
  source = excluded.source,
  source_id = excluded.source_id,
  position = CASE WHEN excluded.raw_sha256 IS NULL THEN pp.position ELSE excluded.position END,
  nationality = CASE WHEN excluded.raw_sha256 IS NULL THEN pp.nationality ELSE excluded.nationality END,
  date_of_birth = CASE WHEN excluded.raw_sha256 IS NULL THEN pp.date_of_birth ELSE excluded.date_of_birth END,
  height_cm = CASE WHEN excluded.raw_sha256 IS NULL THEN pp.height_cm ELSE excluded.height_cm END,
  preferred_foot = CASE WHEN excluded.raw_sha256 IS NULL THEN pp.preferred_foot ELSE excluded.preferred_foot END,
  shirt_number = CASE WHEN excluded.raw_sha256 IS NULL THEN pp.shirt_number ELSE excluded.shirt_number END,
  team_source_id = CASE WHEN excluded.raw_sha256 IS NULL THEN pp.team_source_id ELSE excluded.team_source_id END,
  team_id = CASE WHEN excluded.raw_sha256 IS NULL THEN pp.team_id ELSE excluded.team_id END,
  market_value_eur = CASE WHEN excluded.raw_sha256 IS NULL THEN pp.market_value_eur ELSE excluded.market_value_eur END,
  raw_sha256 = coalesce(excluded.raw_sha256, pp.raw_sha256),
  not_found = excluded.not_found,
  checked_at = excluded.checked_at,
  updated_at = CASE
    WHEN excluded.raw_sha256 IS NOT NULL
      AND (pp.position, pp.nationality, pp.date_of_birth, pp.height_cm, pp.preferred_foot, pp.shirt_number,
        pp.team_source_id, pp.team_id, pp.market_value_eur)
      IS DISTINCT FROM (excluded.position, excluded.nationality, excluded.date_of_birth, excluded.height_cm,
        excluded.preferred_foot, excluded.shirt_number, excluded.team_source_id, excluded.team_id,
        excluded.market_value_eur)
    THEN excluded.updated_at ELSE pp.updated_at END`);
}

async function readCursor(db: Db): Promise<string | null> {
  const [row] = await db
    .select({ value: ops.checkpoints.value })
    .from(ops.checkpoints)
    .where(eq(ops.checkpoints.name, PLAYERS_CHECKPOINT));
  const value = row?.value as { playerId?: unknown } | undefined;
  return typeof value?.playerId === 'string' ? value.playerId : null;
}

async function writeCursor(tx: Db, playerId: string, runId: string): Promise<void> {
  const value = { playerId };
  await tx
    .insert(ops.checkpoints)
    .values({ name: PLAYERS_CHECKPOINT, value, runId })
    .onConflictDoUpdate({ target: ops.checkpoints.name, set: { value, runId, updatedAt: sql`now()` } });
}

interface CandidateFilter {
  sources: readonly string[];
  /** An incomplete profile checked at or before this is due again. */
  dueBefore: Date;
}

/**
 * Candidates (byte-wise id order) after `after` and up to `upTo` (either unbounded when null).
 * Written so that the planner walks the `participants_players_bytewise` index from the cursor
 * and stops at the batch's last candidate (under a millisecond a batch with 100,000 players,
 * against a quarter of a second as a join and sort): the bounds are left out rather than bound
 * as null, and the profile test is an anti-join.
 */
function candidatesFrom(filter: CandidateFilter, after: string | null, upTo: string | null) {
  return sql`FROM core.participants p
  JOIN LATERAL (
    SELECT s.source, s.source_id FROM core.source_ids s
    WHERE s.entity = 'participant' AND s.core_id = p.id
      AND s.source IN (SELECT jsonb_array_elements_text(${JSON.stringify(filter.sources)}::jsonb))
    ORDER BY s.source COLLATE "C"
    LIMIT 1
  ) s ON true
  WHERE p.kind = 'player'
    AND EXISTS (SELECT 1 FROM core.appearances a WHERE a.player_id = p.id)
    AND NOT EXISTS (SELECT 1 FROM core.player_profiles pp WHERE pp.player_id = p.id
      AND (pp.complete OR pp.checked_at > ${filter.dueBefore.toISOString()}::timestamptz))
    ${after === null ? sql`` : sql`AND p.id COLLATE "C" > ${after}::text`}
    ${upTo === null ? sql`` : sql`AND p.id COLLATE "C" <= ${upTo}::text`}`;
}

async function selectCandidates(
  db: Db,
  filter: CandidateFilter,
  after: string | null,
  upTo: string | null,
  limit: number,
): Promise<PlayerCandidate[]> {
  const found = await rows<{ player_id: string; source: string; source_id: string }>(
    db,
    sql`SELECT p.id AS player_id, s.source, s.source_id ${candidatesFrom(filter, after, upTo)}
        ORDER BY p.id COLLATE "C" LIMIT ${limit}`,
  );
  return found.map((row) => ({ playerId: row.player_id, source: row.source, sourceId: row.source_id }));
}

async function countCandidates(db: Db, filter: CandidateFilter): Promise<number> {
  const [row] = await rows<{ count: number }>(
    db,
    sql`SELECT count(*)::int AS count ${candidatesFrom(filter, null, null)}`,
  );
  return Number(row?.count ?? 0);
}

/** Players with appearances and no profile that no source of ours can be asked about. */
async function countUnsupported(db: Db, sources: readonly string[]): Promise<number> {
  const [row] = await rows<{ count: number }>(
    db,
    sql`SELECT count(*)::int AS count FROM core.participants p
        WHERE p.kind = 'player'
          AND EXISTS (SELECT 1 FROM core.appearances a WHERE a.player_id = p.id)
          AND NOT EXISTS (SELECT 1 FROM core.player_profiles pp WHERE pp.player_id = p.id)
          AND NOT EXISTS (SELECT 1 FROM core.source_ids s WHERE s.entity = 'participant' AND s.core_id = p.id
            AND s.source IN (SELECT jsonb_array_elements_text(${JSON.stringify(sources)}::jsonb)))`,
  );
  return Number(row?.count ?? 0);
}

/**
 * One run's way round the candidates: from the checkpoint to the end, then from the start up
 * to the checkpoint (one segment from the start when there is no checkpoint).
 */
class CandidateSweep {
  private readonly segments: ReadonlyArray<{ from: string | null; upTo: string | null }>;
  private segment = 0;
  private cursor: string | null;

  constructor(
    private readonly db: Db,
    private readonly filter: CandidateFilter,
    start: string | null,
  ) {
    this.segments =
      start === null
        ? [{ from: null, upTo: null }]
        : [
            { from: start, upTo: null },
            { from: null, upTo: start },
          ];
    this.cursor = start;
  }

  /** Up to `limit` candidates after the last one passed; empty once the sweep has gone round. */
  async next(limit: number): Promise<PlayerCandidate[]> {
    while (this.segment < this.segments.length) {
      const upTo = this.segments[this.segment]?.upTo ?? null;
      const found = await selectCandidates(this.db, this.filter, this.cursor, upTo, limit);
      if (found.length > 0) return found;
      this.segment += 1;
      this.cursor = this.segments[this.segment]?.from ?? null;
    }
    return [];
  }

  /** Candidates up to this player are done. */
  passed(playerId: string): void {
    this.cursor = playerId;
  }

  /** Whether the sweep has candidates left. */
  async remaining(): Promise<boolean> {
    for (let index = this.segment; index < this.segments.length; index += 1) {
      const after = index === this.segment ? this.cursor : (this.segments[index]?.from ?? null);
      const upTo = this.segments[index]?.upTo ?? null;
      if ((await selectCandidates(this.db, this.filter, after, upTo, 1)).length > 0) return true;
    }
    return false;
  }
}

/** Its runs cover every player: there is no narrower scope. */
const PlayersJob = StageJob.extend({
  scope: z.literal('all', { error: "players runs over 'all' players: it takes no other scope" }),
});

/** The `players` stage (docs/adding-a-stage.md): registered in `defaultStageRegistry()`. */
export const playersStage: StandaloneStage = {
  kind: 'standalone',
  name: 'players',
  queue: 'players',
  jobName: 'players.enrich',
  summary:
    'fetch the profiles of new players and of those missing key fields (nationality, birth date, height, foot, position)',
  payload: PlayersJob,
  // Players come from the lineups ingest writes; in a run it goes after ratings, before build.
  dependsOn: ['ingest'],
  concurrency: () => 1,
  scopeKey: (payload) => String((payload as { scope?: unknown }).scope ?? ''),
  budget: { batchSize: 50, maxItems: 5_000, maxRuntimeMs: 55 * 60_000 },
  schedule: '0 2 * * *',
  work: enrichPlayers,
};
