import type { Config, RatingPoolSettings } from '@matchflow/config';
import { type EloMatch, type EloParams, parseParams } from '@matchflow/ratings';
import { sha256Hex } from '../store/raw-payloads.js';

/** What a pool rates and how: a change to any of it invalidates every stored rating of the pool. */
export interface PoolModel {
  pool: string;
  params: EloParams;
  /** Competition id -> weight key (or null) of the pool's competitions. */
  competitions: Record<string, string | null>;
  batchSize: number;
  /** sha256 over params and competitions: stored ratings are valid only under the same hash. */
  hash: string;
}

export function poolModel(config: Pick<Config, 'competitions' | 'ratingPools'>, pool: string): PoolModel {
  const settings = config.ratingPools[pool];
  if (!settings) throw new Error(`ratings: pool '${pool}' is not configured`);
  const params = engineParams(settings);
  const competitions = Object.fromEntries(
    config.competitions
      .filter((competition) => competition.ratingPool === pool)
      .map((competition) => [competition.id, competition.ratingWeight ?? null] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return {
    pool,
    params,
    competitions,
    batchSize: settings.batchSize,
    hash: sha256Hex(canonicalJson({ params, competitions })),
  };
}

/** The pool's settings as engine parameters: its preset (or the defaults) overridden by its keys. */
export function engineParams(settings: RatingPoolSettings): EloParams {
  const { batchSize: _operational, ...model } = settings;
  const defined = Object.fromEntries(Object.entries(model).filter(([, value]) => value !== undefined));
  return parseParams(defined);
}

/** A terminal match as the ratings stage reads it from core. */
export interface TerminalMatch {
  id: string;
  startTime: Date;
  competitionId: string;
  homeId: string;
  awayId: string;
  homeScore: number | null;
  awayScore: number | null;
  winner: string | null;
  statusDetail: string | null;
  neutral: boolean;
  seasonLabel: string;
}

/** Results decided without the match being played out: the engine takes the winner as given. */
const EXPLICIT = new Set(['walkover', 'retired', 'awarded']);

export function toEloMatch(match: TerminalMatch, model: PoolModel): EloMatch {
  const explicit = match.statusDetail !== null && EXPLICIT.has(match.statusDetail) && match.winner !== null;
  const weight = model.competitions[match.competitionId];
  const elo: EloMatch = {
    id: match.id,
    home: match.homeId,
    away: match.awayId,
    homeScore: match.homeScore ?? 0,
    awayScore: match.awayScore ?? 0,
    neutral: match.neutral,
    season: match.seasonLabel,
  };
  if (weight) elo.weight = weight;
  if (explicit) elo.result = match.winner === 'home' ? 1 : match.winner === 'away' ? 0 : 0.5;
  return elo;
}

/** JSON with object keys sorted, so equal values hash equally whatever order they were written in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, entry: unknown) =>
    entry && typeof entry === 'object' && !Array.isArray(entry)
      ? Object.fromEntries(Object.entries(entry).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : entry,
  );
}
