import type { Config } from '@matchflow/config';
import { InvalidJobPayload, type QueueName, validatePayload } from '@matchflow/queues';

/**
 * Check a job's payload before its processor does anything: its queue's schema first, then
 * what it names against this process's configuration (the source, the competition and its
 * source, the rating pool). Jobs normally come from the validating Producer, but anything can
 * write to Redis: a payload that fails here fails its job at once (no retry can mend it), and
 * nothing has been written for it.
 *
 * @throws InvalidJobPayload listing every problem, each as `key: what is wrong`.
 */
export function checkJobPayload(
  queue: QueueName,
  payload: unknown,
  config: Pick<Config, 'sources' | 'competitions' | 'ratingPools'>,
): void {
  const data = validatePayload(queue, payload) as Record<string, unknown>;
  const problems: string[] = [];
  const source = typeof data.source === 'string' ? data.source : undefined;
  // Own keys only: `constructor` is a valid name but not a configured source.
  if (source !== undefined && !Object.hasOwn(config.sources, source)) {
    problems.push(`source: '${source}' is not configured`);
  }
  if (typeof data.competitionId === 'string') {
    const competition = config.competitions.find((candidate) => candidate.id === data.competitionId);
    if (!competition) problems.push(`competitionId: '${data.competitionId}' is not configured`);
    else if (source !== undefined && competition.source !== source) {
      problems.push(`source: competition '${competition.id}' comes from '${competition.source}', not '${source}'`);
    }
  }
  if (typeof data.pool === 'string' && !Object.hasOwn(config.ratingPools, data.pool)) {
    problems.push(`pool: rating pool '${data.pool}' is not configured`);
  }
  if (problems.length > 0) throw new InvalidJobPayload(queue, problems);
}
