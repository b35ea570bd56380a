import { describe, expect, it } from 'vitest';
import { UpstreamBlocked, UpstreamNotFound, UpstreamRateLimited, UpstreamUnavailable } from '../errors.js';
import { classifyNetworkError, classifyResponse, DEFAULT_RATE_LIMIT_PAUSE_MS } from './classify.js';
import type { HttpResponse } from './client.js';
import { credentialHeaders } from './client.js';
import { parseRetryAfter } from './retry-after.js';

const target = { source: 'sofascore', endpoint: 'event', url: 'http://127.0.0.1/api/v1/event/1' };
const now = Date.parse('2026-01-14T18:00:00Z');
const response = (status: number, text = '{}', headers: Record<string, string> = {}): HttpResponse => ({
  url: target.url,
  status,
  headers,
  text,
  durationMs: 1,
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP-dates, as milliseconds from now', () => {
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter('Wed, 14 Jan 2026 18:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 14 Jan 2026 17:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('classifyResponse', () => {
  it('sorts statuses into what we do about them', () => {
    expect(classifyResponse(response(200), target, now)).toBeUndefined();
    expect(classifyResponse(response(404), target, now)).toBeInstanceOf(UpstreamNotFound);
    const limited = classifyResponse(response(429, '{}', { 'retry-after': '12' }), target, now);
    expect(limited).toBeInstanceOf(UpstreamRateLimited);
    expect((limited as UpstreamRateLimited).retryAfterMs).toBe(12_000);
    expect((classifyResponse(response(429), target, now) as UpstreamRateLimited).retryAfterMs).toBe(
      DEFAULT_RATE_LIMIT_PAUSE_MS,
    );
    const challenge = classifyResponse(response(403, '{"error":{"code":403,"reason":"challenge"}}'), target, now);
    expect(challenge).toBeInstanceOf(UpstreamBlocked);
    expect(challenge?.message).toContain('challenge');
    expect(challenge?.retryable).toBe(false);
    expect(classifyResponse(response(401), target, now)).toBeInstanceOf(UpstreamBlocked);
    for (const status of [500, 502, 503, 504, 408]) {
      const error = classifyResponse(response(status), target, now);
      expect(error).toBeInstanceOf(UpstreamUnavailable);
      expect(error?.retryable).toBe(true);
    }
    const ours = classifyResponse(response(400), target, now);
    expect(ours).toMatchObject({ code: 'internal', retryable: false });
  });

  it('treats a request that got no answer as retryable, keeping the cause', () => {
    const cause = Object.assign(new Error('headers timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' });
    const error = classifyNetworkError(cause, target);
    expect(error).toBeInstanceOf(UpstreamUnavailable);
    expect(error.message).toContain('UND_ERR_HEADERS_TIMEOUT');
    expect(error.cause).toBe(cause);
  });
});

describe('credentialHeaders', () => {
  it('sends football-data.org its X-Auth-Token, others a bearer token, nothing without a token', () => {
    expect(credentialHeaders({ kind: 'football-data', credentials: { token: 'abc' } })).toEqual({
      'x-auth-token': 'abc',
    });
    expect(credentialHeaders({ kind: 'sofascore', credentials: {} })).toEqual({});
  });
});

describe('HttpClient', () => {
  it('decodes gzip and br bodies and sends the configured headers and credentials', async () => {
    const { createServer } = await import('node:http');
    const { brotliCompressSync, gzipSync } = await import('node:zlib');
    const { HttpClient } = await import('./client.js');
    const seen: Array<Record<string, string | string[] | undefined>> = [];
    const server = createServer((request, response) => {
      seen.push(request.headers);
      const body = Buffer.from(JSON.stringify({ path: request.url }));
      if (request.url?.endsWith('/gz')) {
        response.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(body));
      } else {
        response.writeHead(200, { 'content-encoding': 'br' }).end(brotliCompressSync(body));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const client = new HttpClient({
      kind: 'football-data',
      baseUrl: `http://127.0.0.1:${port}/v4`,
      headers: { 'X-Extra': 'yes' },
      credentials: { token: 'secret' },
      timeouts: { connectMs: 1_000, headersMs: 1_000, bodyMs: 1_000 },
    });
    try {
      expect(JSON.parse((await client.get('/gz')).text)).toEqual({ path: '/v4/gz' });
      expect(JSON.parse((await client.get('/br?x=1')).text)).toEqual({ path: '/v4/br?x=1' });
      expect(seen[0]).toMatchObject({
        'x-auth-token': 'secret',
        'x-extra': 'yes',
        'accept-encoding': 'gzip, br, deflate',
      });
    } finally {
      await client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('fails a body that trickles in past timeouts.bodyMs, though no gap between pieces reaches it', async () => {
    const { createServer } = await import('node:http');
    // Ten pieces 60 ms apart: undici's idle body timeout (200 ms) never fires; the whole body takes 600 ms.
    const server = createServer(async (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      for (let piece = 0; piece < 10; piece += 1) {
        if (response.destroyed) return;
        response.write(piece === 0 ? '[0' : `,${piece}`);
        await new Promise((resolve) => setTimeout(resolve, 60));
      }
      response.end(']');
    });
    const client = await clientOf(server, 200);
    try {
      const failure = await client.get('/slow').catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'UND_ERR_BODY_TIMEOUT' });
      expect(classifyNetworkError(failure, target)).toBeInstanceOf(UpstreamUnavailable);
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('HttpClient send time', () => {
  it('reports when the request was written, before its (slow) answer, and not for a request never sent', async () => {
    const { createServer } = await import('node:http');
    const arrivals: number[] = [];
    const server = createServer((_request, response) => {
      arrivals.push(performance.now());
      setTimeout(() => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'), 150);
    });
    const client = await clientOf(server, 1_000);
    try {
      const sent: number[] = [];
      const started = performance.now();
      const answer = await client.get('/slow', { onSent: (atMs) => sent.push(atMs) });
      const answered = performance.now();
      expect(answer.status).toBe(200);
      expect(sent).toHaveLength(1);
      const [sentAt] = sent as [number];
      const [arrivedAt] = arrivals as [number];
      // Written after the call began, and (same process, same clock) before the server read it;
      // the 150 ms answer comes well after.
      expect(sentAt).toBeGreaterThanOrEqual(started);
      expect(sentAt).toBeLessThanOrEqual(arrivedAt);
      expect(answered - sentAt).toBeGreaterThanOrEqual(140);

      // Aborted before it could be written: no send time.
      const unsent: number[] = [];
      const aborted = await client
        .get('/never', { signal: AbortSignal.abort(), onSent: (atMs) => unsent.push(atMs) })
        .catch((error: unknown) => error);
      expect(aborted).toBeInstanceOf(Error);
      expect(unsent).toEqual([]);
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

/** An HttpClient for a local test server, listening on a free port, with this body timeout. */
async function clientOf(server: import('node:http').Server, bodyMs: number) {
  const { HttpClient } = await import('./client.js');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return new HttpClient({
    kind: 'sofascore',
    baseUrl: `http://127.0.0.1:${port}/api/v1`,
    headers: {},
    credentials: {},
    timeouts: { connectMs: 1_000, headersMs: 1_000, bodyMs },
  });
}
