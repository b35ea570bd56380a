import { z } from 'zod';
import { type HttpRequest, type HttpResponse, jsonError, type Route } from './http.js';
import { type SnapshotSource, SnapshotUnavailable } from './snapshot-source.js';
import type { SnapshotView } from './snapshot-view.js';

/** A route with what the OpenAPI document says about it. */
export interface Endpoint extends Route {
  summary: string;
  description?: string;
  /** Path parameter name -> description. */
  pathParams?: Readonly<Record<string, string>>;
  /** The accepted query parameters; anything else is a 400. */
  query: z.ZodObject;
  /** Component schema of the 200 body (a key of COMPONENT_SCHEMAS); any JSON object when absent. */
  response?: string;
  /** Statuses besides 200 (and 304) that the endpoint answers with. */
  errors: readonly number[];
  /** Answers from the latest snapshot: ETag, X-Matchflow-Snapshot, If-None-Match -> 304. */
  conditional: boolean;
}

/** For endpoints that take no query parameters: any given is a 400. */
export const NoQuery = z.strictObject({});

export type Answer = { body: unknown } | { notFound: string };

export interface SnapshotEndpointDefinition<Query extends z.ZodObject> {
  path: string;
  summary: string;
  description?: string;
  pathParams?: Readonly<Record<string, string>>;
  query?: Query;
  response: string;
  /** The body for this snapshot, or which path parameter names nothing in it (404). */
  answer(view: SnapshotView, params: Readonly<Record<string, string>>, query: z.output<Query>): Answer;
}

/**
 * An endpoint answered from the latest snapshot. Order of checks: the query (400), a snapshot to
 * answer from (503), the resource (404), then If-None-Match (304) — a precondition is only
 * evaluated for what would otherwise be a 200 (RFC 9110 §13.2.1).
 */
export function snapshotEndpoint<Query extends z.ZodObject = typeof NoQuery>(
  source: SnapshotSource,
  definition: SnapshotEndpointDefinition<Query>,
): Endpoint {
  const query = definition.query ?? NoQuery;
  const hasPathParams = Object.keys(definition.pathParams ?? {}).length > 0;
  return {
    method: 'GET',
    path: definition.path,
    summary: definition.summary,
    ...(definition.description ? { description: definition.description } : {}),
    ...(definition.pathParams ? { pathParams: definition.pathParams } : {}),
    query,
    response: definition.response,
    errors: [400, ...(hasPathParams ? [404] : []), 503],
    conditional: true,
    async handle(request, params) {
      const parsed = parseQuery(query, request.query);
      if (!parsed.ok) return jsonError(400, 'bad_request', parsed.message);
      let view: SnapshotView | undefined;
      try {
        view = await source.latest();
      } catch (error) {
        if (!(error instanceof SnapshotUnavailable)) throw error;
        // The cause (paths, file names) goes to the log, not to consumers.
        return jsonError(503, 'snapshot_unavailable', 'the latest snapshot cannot be read');
      }
      if (!view) return jsonError(503, 'no_snapshot', 'nothing has been published yet');
      const answer = definition.answer(view, params, parsed.value as z.output<Query>);
      if ('notFound' in answer) return jsonError(404, 'not_found', answer.notFound);
      return conditionalResponse(request, view, answer.body);
    },
  };
}

/** 200 with the snapshot's validators, or 304 when the client already holds this content. */
export function conditionalResponse(request: HttpRequest, view: SnapshotView, body: unknown): HttpResponse {
  const headers = { etag: view.etag, 'x-matchflow-snapshot': view.version, 'cache-control': 'no-cache' };
  if (ifNoneMatchHits(request.headers['if-none-match'], view.etag)) return { status: 304, headers };
  return { status: 200, headers, body };
}

/**
 * Whether an If-None-Match header matches `etag` (a quoted strong tag): `*`, or any listed tag,
 * compared weakly (a `W/` prefix is ignored) as RFC 9110 §13.1.2 asks for If-None-Match.
 */
export function ifNoneMatchHits(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const text = Array.isArray(header) ? header.join(',') : header;
  if (text.split(',').some((part) => part.trim() === '*')) return true;
  for (const tag of text.matchAll(/(?:W\/)?("[^"]*")/g)) if (tag[1] === etag) return true;
  return false;
}

export type QueryResult<Query extends z.ZodObject> =
  | { ok: true; value: z.output<Query> }
  | { ok: false; message: string };

/**
 * Validate a query string against a strict schema. Unknown, repeated and empty parameters are
 * refused before the schema sees them, each with a message naming the parameter.
 */
export function parseQuery<Query extends z.ZodObject>(schema: Query, query: URLSearchParams): QueryResult<Query> {
  const known = Object.keys(schema.shape);
  const values: Record<string, string> = {};
  for (const [name, value] of query) {
    if (!known.includes(name)) {
      const hint = known.length > 0 ? `known: ${known.join(', ')}` : 'this endpoint takes none';
      return { ok: false, message: `${name}: unknown parameter (${hint})` };
    }
    if (Object.hasOwn(values, name)) return { ok: false, message: `${name}: given more than once` };
    if (value === '') return { ok: false, message: `${name}: empty value` };
    values[name] = value;
  }
  const parsed = schema.safeParse(values);
  if (parsed.success) return { ok: true, value: parsed.data };
  const message = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'query'}: ${issue.message}`);
  return { ok: false, message: message.join('; ') };
}

export interface PlainEndpointDefinition {
  path: string;
  summary: string;
  description?: string;
  response?: string;
  respond(): HttpResponse;
}

/** An endpoint that takes no parameters and does not depend on the snapshot (health, documents). */
export function plainEndpoint(definition: PlainEndpointDefinition): Endpoint {
  return {
    method: 'GET',
    path: definition.path,
    summary: definition.summary,
    ...(definition.description ? { description: definition.description } : {}),
    ...(definition.response ? { response: definition.response } : {}),
    query: NoQuery,
    errors: [400],
    conditional: false,
    handle(request) {
      const parsed = parseQuery(NoQuery, request.query);
      if (!parsed.ok) return jsonError(400, 'bad_request', parsed.message);
      return definition.respond();
    },
  };
}
