import type { FetchedPayload } from '@matchflow/sources';
import type { Fetcher } from './ingest-match.js';
import type { StageWorkContext } from './stage-work.js';

/** One upstream resource a standalone stage asks about: which source knows it, under which id. */
export interface SourcedItem {
  source: string;
  sourceId: string;
}

/**
 * Ask the upstream about every item of a batch at once, at backfill priority (background work
 * takes only the backfill share of a source's budget while scheduled updates wait). Each answer
 * is settled, never thrown, for the stage to classify; only a source with no client throws,
 * before anything is asked (a configuration fault, not the upstream's).
 */
export async function fetchBatchSettled<Item extends SourcedItem>(
  context: Pick<StageWorkContext, 'fetcher'>,
  stage: string,
  batch: readonly Item[],
  endpoint: string,
  path: (sourceId: string) => string,
): Promise<Array<PromiseSettledResult<FetchedPayload>>> {
  const fetchers = new Map<string, Fetcher>();
  for (const source of new Set(batch.map((item) => item.source))) {
    const fetcher = context.fetcher(source);
    if (!fetcher) throw new Error(`${stage}: no upstream client for source '${source}'`);
    fetchers.set(source, fetcher);
  }
  return Promise.allSettled(
    batch.map((item) =>
      (fetchers.get(item.source) as Fetcher).fetch(endpoint, path(item.sourceId), { priority: 'backfill' }),
    ),
  );
}
