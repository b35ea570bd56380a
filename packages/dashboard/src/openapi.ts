import { z } from 'zod';
import { COMPONENT_SCHEMAS } from './api-schemas.js';
import { type Endpoint, plainEndpoint } from './endpoint.js';

/** Where the OpenAPI document is served. */
export const OPENAPI_PATH = '/api/openapi.json';

type Json = Record<string, unknown>;

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'A query parameter is unknown, repeated, empty or invalid; the message names it.',
  404: 'The path names nothing in the latest snapshot.',
  503: 'Nothing has been published yet (`no_snapshot`), or the latest snapshot cannot be read (`snapshot_unavailable`).',
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/**
 * The OpenAPI 3.1 document of `endpoints`, generated from their zod schemas: components from
 * COMPONENT_SCHEMAS, one parameter per key of each endpoint's query schema.
 */
export function openApiDocument(endpoints: readonly Endpoint[]): Json {
  const registry = z.registry<{ id: string }>();
  for (const [name, schema] of Object.entries(COMPONENT_SCHEMAS)) registry.add(schema, { id: name });
  const generated = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}` });
  const schemas: Json = {};
  for (const [name, schema] of Object.entries(generated.schemas)) {
    const { $schema: _dialect, $id: _id, ...rest } = schema as Json;
    schemas[name] = openObjects(rest);
  }

  const paths: Json = {};
  for (const endpoint of endpoints) {
    const parameters = [
      ...Object.entries(endpoint.pathParams ?? {}).map(([name, description]) => ({
        name,
        in: 'path',
        required: true,
        description,
        schema: { type: 'string' },
      })),
      ...Object.entries(endpoint.query.shape as Record<string, z.ZodType>).map(([name, schema]) =>
        queryParameter(name, schema),
      ),
      ...(endpoint.conditional
        ? [
            {
              name: 'If-None-Match',
              in: 'header',
              required: false,
              description: 'ETags the client holds; `304 Not Modified` when one is the current snapshot’s (or `*`).',
              schema: { type: 'string' },
            },
          ]
        : []),
    ];
    const responses: Json = {
      200: {
        description: 'OK',
        ...(endpoint.conditional
          ? {
              headers: {
                ETag: {
                  description: 'The snapshot’s content hash, quoted: equal content, equal ETag.',
                  schema: { type: 'string' },
                },
                'X-Matchflow-Snapshot': {
                  description: 'The snapshot version answered from.',
                  schema: { type: 'string' },
                },
              },
            }
          : {}),
        content: { 'application/json': { schema: endpoint.response ? ref(endpoint.response) : { type: 'object' } } },
      },
    };
    if (endpoint.conditional) responses[304] = { description: 'Not modified: the client’s copy is current.' };
    for (const status of endpoint.errors) {
      responses[status] = {
        description: STATUS_TEXT[status] ?? 'Error',
        content: { 'application/json': { schema: ref('Error') } },
      };
    }
    paths[endpoint.path] = {
      get: {
        summary: endpoint.summary,
        ...(endpoint.description ? { description: endpoint.description } : {}),
        ...(parameters.length > 0 ? { parameters } : {}),
        responses,
      },
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'matchflow consumer API',
      version: '1',
      description:
        'Read-only JSON over the latest published snapshot. Every data response carries the snapshot’s content hash as its ETag.',
    },
    paths,
    components: { schemas },
  };
}

function queryParameter(name: string, schema: z.ZodType): Json {
  const { $schema: _dialect, description, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Json;
  return {
    name,
    in: 'query',
    required: !schema.safeParse(undefined).success,
    ...(typeof description === 'string' ? { description } : {}),
    schema: rest,
  };
}

/**
 * Drop `additionalProperties: false`: zod closes output objects, but the published surface only
 * ever adds columns (tables.ts), so a client must accept properties it does not know.
 */
function openObjects(schema: unknown): Json {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (typeof value !== 'object' || value === null) return value;
    const out: Json = {};
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'additionalProperties' && inner === false) continue;
      out[key] = walk(inner);
    }
    return out;
  };
  return walk(schema) as Json;
}

/** The endpoint serving the document of `endpoints()` (a thunk: the list includes this endpoint). */
export function openApiEndpoint(endpoints: () => readonly Endpoint[]): Endpoint {
  let document: string | undefined;
  return plainEndpoint({
    path: OPENAPI_PATH,
    summary: 'This document: OpenAPI 3.1, generated from the API’s zod schemas',
    respond() {
      document ??= JSON.stringify(openApiDocument(endpoints()));
      return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: document };
    },
  });
}
