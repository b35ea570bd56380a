import {
  AppError,
  UpstreamBlocked,
  UpstreamNotFound,
  UpstreamRateLimited,
  type UpstreamTarget,
  UpstreamUnavailable,
} from '../errors.js';
import type { HttpResponse } from './client.js';
import { parseRetryAfter } from './retry-after.js';

/** Without a usable Retry-After, a 429 pauses the source this long. */
export const DEFAULT_RATE_LIMIT_PAUSE_MS = 60_000;

/**
 * What a response means for us. Returns nothing for a success; otherwise the error to raise:
 * 429 -> rate limited (fleet-wide pause), 403 challenge / 401 / 403 -> blocked (stop, alert),
 * 404 -> not found, 408 / 425 / 5xx -> unavailable (retry later), any other 4xx -> our bug.
 */
export function classifyResponse(response: HttpResponse, target: UpstreamTarget, nowMs: number): AppError | undefined {
  const { status } = response;
  if (status >= 200 && status < 300) return undefined;
  if (status === 404) return new UpstreamNotFound(target);
  if (status === 429) {
    return new UpstreamRateLimited(
      target,
      parseRetryAfter(response.headers['retry-after'], nowMs) ?? DEFAULT_RATE_LIMIT_PAUSE_MS,
    );
  }
  if (status === 401 || status === 403) {
    return new UpstreamBlocked(target, status, isChallenge(response.text) ? 'challenge' : 'not authorised');
  }
  if (status === 408 || status === 425 || status >= 500)
    return new UpstreamUnavailable(target, `HTTP ${status}`, status);
  return new AppError('internal', `${target.source} answered ${status} to ${target.url}: the request is wrong`, {
    retryable: false,
  });
}

/** Sofascore's "you are blocked" answer: `{"error":{"code":403,"reason":"challenge"}}`. */
function isChallenge(text: string): boolean {
  try {
    const body = JSON.parse(text) as { error?: { reason?: unknown } };
    return body.error?.reason === 'challenge';
  } catch {
    return false;
  }
}

const NETWORK_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

/** A request that never got an answer (timeout, reset, refused): always worth retrying later. */
export function classifyNetworkError(error: unknown, target: UpstreamTarget): AppError {
  if (error instanceof AppError) return error;
  const code = (error as { code?: string }).code;
  const reason = code && NETWORK_CODES.has(code) ? code : (error as Error).message;
  return new UpstreamUnavailable(target, reason, undefined, error);
}
