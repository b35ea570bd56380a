import type { z } from 'zod';
import { ContractViolation } from '../errors.js';

/**
 * Check a payload against its contract. Contracts cover exactly the fields we use and let
 * anything else through, so an upstream adding fields never breaks us; one removing or
 * retyping a field we read does, loudly, with the JSON path.
 *
 * @throws ContractViolation listing every offending path.
 */
export function parseContract<Schema extends z.ZodType>(
  schema: Schema,
  body: unknown,
  where: { source: string; endpoint: string },
): z.output<Schema> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw new ContractViolation(
    where.source,
    where.endpoint,
    result.error.issues.map((issue) => ({
      path: jsonPath(issue.path),
      message: issue.message.replace(/^Invalid input: /, ''),
    })),
  );
}

/** `['event', 'homeTeam', 'id']` -> `event.homeTeam.id`; list positions as `[3]`. */
export function jsonPath(segments: readonly PropertyKey[]): string {
  return segments.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`;
    const name = String(segment);
    return text === '' ? name : `${text}.${name}`;
  }, '');
}
