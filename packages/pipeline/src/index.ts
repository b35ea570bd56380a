export { computeStandings, type StandingsMatch, type StandingsOptions, type StandingsRow } from './build/standings.js';
export {
  type CurrentRating,
  computePlainElo,
  type EloMatch,
  type EloSettings,
  type MatchRating,
  PLAIN_ELO_DEFAULTS,
} from './rate/plain-elo.js';
export { type Fetcher, type IngestDeps, type IngestResult, ingestMatch } from './stages/ingest-match.js';
export { coreIds } from './store/core-ids.js';
export { type MatchRecords, markRatingsDirty, type UpsertOutcome, upsertMatchRecords } from './store/core-records.js';
export { type PayloadToStore, type StoredPayload, sha256Hex, storePayload } from './store/raw-payloads.js';
