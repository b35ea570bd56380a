import type { Config } from '@matchflow/config';
import { InvalidJobPayload, PAYLOADS, type QueueName, validatePayload } from '@matchflow/queues';
import type { z } from 'zod';

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
  queue: string,
  payload: unknown,
  config: Pick<Config, 'sources' | 'competitions' | 'ratingPools'>,
  schema?: z.ZodType,
): void {
  const data = (
    Object.hasOwn(PAYLOADS, queue) ? validatePayload(queue as QueueName, payload) : parseWith(queue, schema, payload)
  ) as Record<string, unknown>;
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

/** A registered stage's payload, checked against its own schema. */
function parseWith(queue: string, schema: z.ZodType | undefined, payload: unknown): unknown {
  if (!schema) throw new InvalidJobPayload(queue, [`queue: no stage is registered for '${queue}'`]);
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  throw new InvalidJobPayload(
    queue,
    result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(payload)'}: ${issue.message}`),
  );
}
