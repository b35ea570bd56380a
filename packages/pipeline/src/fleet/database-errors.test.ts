import { UpstreamUnavailable } from '@matchflow/sources';
import { RATE_LIMIT_ERROR, RateLimitError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { DATABASE_RETRY_MS, isDatabaseUnavailable } from './database-errors.js';
import { toBullmqError } from './error-mapping.js';

function coded(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** What drizzle 0.45 throws: the driver's error as `cause`. */
function wrapped(cause: Error): Error {
  return new Error('Failed query: select 1', { cause });
}

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', coded('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a dropped connection (postgres.js)', coded('write CONNECTION_CLOSED 127.0.0.1:5432', 'CONNECTION_CLOSED')],
    ['a connect timeout (postgres.js)', coded('write CONNECT_TIMEOUT 127.0.0.1:5432', 'CONNECT_TIMEOUT')],
    ['a terminated backend (57P01)', coded('terminating connection due to administrator command', '57P01')],
    ['a server starting up (57P03)', coded('the database system is starting up', '57P03')],
    ['a connection exception (class 08)', coded('connection failure', '08006')],
  ])('is true for %s, also wrapped by drizzle', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(isDatabaseUnavailable(wrapped(error))).toBe(true);
  });

  it('is false for a statement that failed, and for upstream failures carrying a socket error', () => {
    expect(isDatabaseUnavailable(coded('duplicate key value violates unique constraint', '23505'))).toBe(false);
    expect(isDatabaseUnavailable(wrapped(coded('deadlock detected', '40P01')))).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
    const upstream = new UpstreamUnavailable(
      { source: 'sofascore', endpoint: 'event', url: 'http://127.0.0.1/event/1' },
      'connection reset',
      undefined,
      coded('read ECONNRESET', 'ECONNRESET'),
    );
    expect(isDatabaseUnavailable(upstream)).toBe(false);
  });
});

describe('toBullmqError for an unreachable database', () => {
  it('holds the queue and hands the job back without spending an attempt', async () => {
    const pauses: number[] = [];
    const mapped = await toBullmqError(wrapped(coded('write CONNECTION_CLOSED', 'CONNECTION_CLOSED')), {
      rateLimit: async (ms: number) => {
        pauses.push(ms);
      },
    });
    expect(mapped).toBeInstanceOf(RateLimitError);
    // BullMQ tells a rate limit by its message.
    expect(mapped.message).toBe(RATE_LIMIT_ERROR);
    expect(pauses).toEqual([DATABASE_RETRY_MS]);
  });
});
