import type { Config } from '@matchflow/config';
import type { Db } from '@matchflow/db';
import type { Logger } from '@matchflow/telemetry';
import { markDeferredPublished, type StageCounters, takeDeferredPublishes } from '../store/runs.js';
import { type PublishOutcome, publishSnapshot } from './publish.js';

/** A publish's outcome as stage and run counters. */
export function publishCounters(published: PublishOutcome): StageCounters {
  return published.status === 'blocked'
    ? { publish: 'blocked' }
    : { publish: published.status, snapshot: published.version, contentHash: published.contentHash };
}

/**
 * `closedRunId` closed without reaching its publish (nothing to do, blocked, failed, reaped).
 * When backfill runs deferred their publish to it (`decideBackfillPublish`) and none is still to
 * come, publish for the newest of them and record the snapshot in every deferred publish stage.
 * Returns the run published for, or undefined when there was nothing to publish.
 */
export async function publishDeferred(
  deps: { db: Db; config: Pick<Config, 'publishDir' | 'retention' | 'runs'>; logger?: Logger },
  closedRunId: string,
): Promise<string | undefined> {
  const { db, config } = deps;
  const deferred = await takeDeferredPublishes(db, closedRunId, config.runs.staleAfterMs);
  const newest = deferred[0];
  if (!newest) return undefined;
  const published = await publishSnapshot(deps, { runId: newest.runId });
  if (published.status !== 'blocked')
    await markDeferredPublished(db, deferred, { publishedBy: newest.runId, counters: publishCounters(published) });
  deps.logger?.info(
    { runId: newest.runId, closedRunId, covered: deferred.length, ...published },
    'published what backfill runs deferred',
  );
  return newest.runId;
}
