import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';

/*
 * The framework-free core of the dashboard (the shape of felixmosh/bull-board): a handler is a
 * plain function from a request to `{ status, headers, body }`; routes are data; `toNodeListener`
 * is the one adapter, onto node:http. Auth, metrics and Bull Board are added later as more routes
 * or as a wrapper around `dispatch`.
 */

/** What a handler sees of a request. Header names are lower case. */
export interface HttpRequest {
  method: string;
  /** The path without the query string, still percent-encoded. */
  path: string;
  query: URLSearchParams;
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** What a handler answers. A string body is sent as it is; anything else as JSON. */
export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  /** Omitted: no body (204, 304). */
  body?: unknown;
}

/** A route: `path` in OpenAPI form, `{name}` for a path parameter (one whole segment). */
export interface Route {
  method: 'GET';
  path: string;
  handle(request: HttpRequest, params: Readonly<Record<string, string>>): HttpResponse | Promise<HttpResponse>;
}

/** The error body of every endpoint. */
export interface ErrorBody {
  error: string;
  message: string;
}

export function jsonError(
  status: number,
  error: string,
  message: string,
  headers?: Record<string, string>,
): HttpResponse {
  const body: ErrorBody = { error, message };
  return { status, body, ...(headers ? { headers } : {}) };
}

type Match = { route: Route; params: Record<string, string> } | { error: HttpResponse };

/** Find the route for a request: 404 when no path matches, 405 when the path exists for other methods. */
export function matchRoute(routes: readonly Route[], method: string, rawPath: string): Match | undefined {
  const segments = trimSlash(rawPath).split('/');
  let pathMatched = false;
  for (const route of routes) {
    const pattern = route.path.split('/');
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let matched = true;
    for (const [index, part] of pattern.entries()) {
      const segment = segments[index] ?? '';
      if (part.startsWith('{') && part.endsWith('}')) {
        if (segment === '') {
          matched = false;
          break;
        }
        try {
          params[part.slice(1, -1)] = decodeURIComponent(segment);
        } catch {
          return { error: jsonError(400, 'bad_request', `malformed percent-encoding in the path: ${segment}`) };
        }
      } else if (part !== segment) {
        matched = false;
        break;
      }
    }
    if (!matched) continue;
    pathMatched = true;
    if (route.method === method || (route.method === 'GET' && method === 'HEAD')) return { route, params };
  }
  if (pathMatched) {
    return {
      error: jsonError(405, 'method_not_allowed', `${method} is not allowed here; use GET`, { allow: 'GET, HEAD' }),
    };
  }
  return undefined;
}

/** Answer a request from the routes; 404 JSON when none matches. Handler errors propagate. */
export async function dispatch(routes: readonly Route[], request: HttpRequest): Promise<HttpResponse> {
  const found = matchRoute(routes, request.method, request.path);
  if (!found) return jsonError(404, 'not_found', `no such resource: ${request.path}`);
  if ('error' in found) return found.error;
  return found.route.handle(request, found.params);
}

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** Turn a raw node request into an HttpRequest. */
export function fromNode(request: IncomingMessage): HttpRequest {
  // Split by hand rather than `new URL(...)`: a path starting with `//` would be read as a host.
  const raw = request.url ?? '/';
  const mark = raw.indexOf('?');
  return {
    method: request.method ?? 'GET',
    path: mark === -1 ? raw : raw.slice(0, mark),
    query: new URLSearchParams(mark === -1 ? '' : raw.slice(mark + 1)),
    headers: request.headers,
  };
}

/** HTML pages smaller than this go out as they are: gzip would save less than it costs. */
const GZIP_MIN_BYTES = 8 * 1024;

/** The client takes gzip: named in Accept-Encoding, and not with `q=0`. */
function acceptsGzip(acceptEncoding: string | string[] | undefined): boolean {
  const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : (acceptEncoding ?? '');
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    return !params.some((param) => /^\s*q\s*=\s*0(?:\.0*)?\s*$/.test(param));
  });
}

/**
 * Write an HttpResponse (JSON unless the body is a string) to a node response. An HTML page is
 * gzipped when the client takes it (the ops page with a day of samples is most of a megabyte
 * of markup, reloaded every 30 s); other bodies, whose ETags name their bytes, go as they are.
 */
export function toNode(answer: HttpResponse, response: ServerResponse, acceptEncoding?: string | string[]): void {
  const headers: Record<string, string> = { ...answer.headers };
  if (answer.body === undefined) {
    response.writeHead(answer.status, headers);
    response.end();
    return;
  }
  const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  let bytes = Buffer.from(text);
  const typeName = Object.keys(headers).find((name) => name.toLowerCase() === 'content-type');
  if (typeName === undefined) headers['content-type'] = 'application/json; charset=utf-8';
  const html = typeName !== undefined && headers[typeName]?.startsWith('text/html');
  if (html) {
    headers.vary = 'accept-encoding';
    if (bytes.length >= GZIP_MIN_BYTES && acceptsGzip(acceptEncoding)) {
      bytes = gzipSync(bytes);
      headers['content-encoding'] = 'gzip';
    }
  }
  headers['content-length'] = String(bytes.length);
  response.writeHead(answer.status, headers);
  // node:http leaves the body out by itself when the request was HEAD.
  response.end(bytes);
}
