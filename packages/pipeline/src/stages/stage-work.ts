import type { Config } from '@matchflow/config';
import type { Db } from '@matchflow/db';
import type { Trigger } from '@matchflow/queues';
import type { Logger } from '@matchflow/telemetry';
import type { Fetcher } from './ingest-match.js';

/**
 * How much one run of a stage may do. A stage stops at a batch boundary once either limit is
 * reached; what is left is picked up by its next run (from its checkpoint).
 */
export interface StageBudget {
  /** Items per committed batch: the unit of checkpointing. */
  batchSize: number;
  /** Most items one run processes. */
  maxItems: number;
  /** No new batch starts after this long. */
  maxRuntimeMs: number;
}

/** One line of a stage run's event stream (`--status-jsonl`, `<logDir>/runs/<run>/events.jsonl`). */
export type StageEvent = { type: string } & Record<string, unknown>;

/** What a standalone stage's work gets from the runner. */
export interface StageWorkContext {
  db: Db;
  config: Config;
  logger: Logger;
  runId: string;
  trigger: Trigger;
  /** The stage's scope as given (`--scope`); `all` when none was. */
  scope: string;
  budget: StageBudget;
  /** Select and count, fetch and write nothing. */
  dryRun: boolean;
  /** Upstream access through the fleet's shared limiter and breaker, per configured source name. */
  fetcher: (source: string) => Fetcher | undefined;
  /** Append an event to the run's stream; `at` is added by the runner. */
  emit: (event: StageEvent) => void;
  now: () => Date;
}

/** What a standalone stage's work reports: the common counts plus its own counters. */
export interface StageWorkResult {
  /** Candidates looked at. */
  scanned: number;
  /** Items done (fetched and written, or in a dry run: would be). */
  processed: number;
  /** Candidates passed over (nothing to do, not available upstream). */
  skipped: number;
  /** Items that failed (quarantined payload, upstream error after retries). */
  failed: number;
  /** Stage-specific counters, kept with the stage row and in metrics.json. */
  counters: Record<string, number | string>;
  /** False when the budget ran out before every candidate was done. */
  complete: boolean;
}

/** A standalone stage's work function. */
export type StageWork = (context: StageWorkContext) => Promise<StageWorkResult>;
