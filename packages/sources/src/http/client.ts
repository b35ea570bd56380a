import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import type { SourceSettings } from '@matchflow/config';
import { type Dispatcher, errors, Pool } from 'undici';

const DECODERS: Record<string, (input: Buffer) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  br: promisify(brotliDecompress),
  deflate: promisify(inflate),
};

/** A response as read off the wire: status, lower-cased headers, decoded text body. */
export interface HttpResponse {
  url: string;
  status: number;
  headers: Record<string, string>;
  text: string;
  durationMs: number;
}

export type HttpSettings = Pick<SourceSettings, 'kind' | 'baseUrl' | 'headers' | 'credentials' | 'timeouts'>;

export interface GetOptions {
  signal?: AbortSignal;
  /**
   * Called with `performance.now()` (ms) once undici has written the request to its socket:
   * taken after the write returned, so an upper bound on when the bytes left this process. Not
   * called if the request never got that far; called again if undici had to send it again.
   */
  onSent?: (atMs: number) => void;
}

/**
 * HTTP for one source: a keep-alive pool to its origin, connect/headers/body timeouts,
 * gzip/br/deflate decoding, the source's headers and credentials on every request. It reports
 * what happened; deciding what a status means is `classifyResponse`'s job.
 */
export class HttpClient {
  private readonly pool: SendObservingPool;
  private readonly basePath: string;
  private readonly origin: string;
  private readonly headers: Record<string, string>;
  private readonly bodyMs: number;

  constructor(settings: HttpSettings, options: { connections?: number } = {}) {
    const base = new URL(settings.baseUrl);
    this.origin = base.origin;
    this.bodyMs = settings.timeouts.bodyMs;
    this.basePath = base.pathname.replace(/\/$/, '');
    this.pool = new SendObservingPool(this.origin, {
      connections: options.connections ?? 16,
      connectTimeout: settings.timeouts.connectMs,
      headersTimeout: settings.timeouts.headersMs,
      bodyTimeout: settings.timeouts.bodyMs,
      keepAliveTimeout: 30_000,
    });
    this.headers = {
      accept: 'application/json',
      'accept-encoding': 'gzip, br, deflate',
      'user-agent': 'matchflow (+https://github.com/matchflow)',
      ...lowerCaseKeys(settings.headers),
      ...credentialHeaders(settings),
    };
  }

  /** GET `path` (relative to the source's base URL, query included). */
  async get(path: string, options: GetOptions = {}): Promise<HttpResponse> {
    const started = performance.now();
    const fullPath = `${this.basePath}${path.startsWith('/') ? path : `/${path}`}`;
    const request = { method: 'GET' as const, path: fullPath, headers: this.headers, signal: options.signal };
    if (options.onSent) this.pool.observeSend(request, options.onSent);
    const response = await this.pool.request(request);
    // undici's bodyTimeout bounds the gap between two pieces of the body; a body trickling in
    // small pieces would never trip it. `timeouts.bodyMs` also bounds the whole body.
    const deadline = setTimeout(
      () => response.body.destroy(new errors.BodyTimeoutError(`body not complete within ${this.bodyMs} ms`)),
      this.bodyMs,
    );
    let raw: Buffer;
    try {
      raw = Buffer.from(await response.body.arrayBuffer());
    } finally {
      clearTimeout(deadline);
    }
    const text = (await decode(raw, response.headers['content-encoding'])).toString('utf8');
    return {
      url: `${this.origin}${fullPath}`,
      status: response.statusCode,
      headers: flattenHeaders(response.headers),
      text,
      durationMs: performance.now() - started,
    };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/**
 * A pool that can say when a request was written to its socket, for the fleet limiter to count
 * the request from then (docs/adr/0001-rate-limiter.md).
 *
 * The hook is the dispatch handler's `onRequestSent`: undici calls it right after the
 * `socket.write` of the request (for a GET without a body: the one write of its headers), so a
 * time taken there is after the bytes were handed to the kernel, however long the process was
 * starved before or during the write. The `undici:client:sendHeaders` diagnostics channel is no
 * substitute: it is published *before* the write (a process descheduled between the two would
 * stamp too early, the very case the limiter must survive) and is process-wide, with nothing
 * linking its message to our call. Only handlers of undici's classic shape get `onRequestSent`
 * (the one `Pool.request` builds is one); for any other, and if a future undici stops calling
 * it, `onSent` never fires and the limiter falls back to counting the request until its release.
 */
class SendObservingPool extends Pool {
  private readonly observers = new WeakMap<object, (atMs: number) => void>();

  /** Call `onSent` when the request dispatched with exactly this options object has been written. */
  observeSend(options: object, onSent: (atMs: number) => void): void {
    this.observers.set(options, onSent);
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const onSent = this.observers.get(options);
    if (!onSent || handler.onRequestStart) return super.dispatch(options, handler);
    // A proxy rather than a wrapper class: every other callback, present or future, reaches the
    // handler untouched, with the handler's own state behind `this`.
    const observed = new Proxy(handler, {
      get(target, key, receiver) {
        if (key !== 'onRequestSent') return Reflect.get(target, key, receiver);
        const own = Reflect.get(target, key, receiver) as (() => unknown) | undefined;
        return function onRequestSent(this: unknown) {
          onSent(performance.now());
          return own?.call(this);
        };
      },
    });
    return super.dispatch(options, observed);
  }
}

/**
 * Undo `Content-Encoding` (undici's own decompression is still experimental). Encodings are
 * listed in the order applied, so they are undone in reverse.
 */
async function decode(body: Buffer, header: string | string[] | undefined): Promise<Buffer> {
  const encodings = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((encoding) => encoding.trim().toLowerCase())
    .filter((encoding) => encoding !== '' && encoding !== 'identity');
  let decoded = body;
  for (const encoding of encodings.reverse()) {
    const decoder = DECODERS[encoding];
    if (!decoder) throw new Error(`unsupported content-encoding '${encoding}'`);
    decoded = await decoder(decoded);
  }
  return decoded;
}

/** Credentials as each upstream wants them; values never reach a log (telemetry redacts these names). */
export function credentialHeaders(settings: Pick<SourceSettings, 'kind' | 'credentials'>): Record<string, string> {
  const token = settings.credentials.token;
  if (!token) return {};
  switch (settings.kind) {
    case 'football-data':
      return { 'x-auth-token': token };
    default:
      return { authorization: `Bearer ${token}` };
  }
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
