import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Db } from '@matchflow/db';
import type { StageRegistry } from '@matchflow/pipeline';
import type { Logger } from '@matchflow/telemetry';
import type { Redis } from 'ioredis';
import { authPolicy } from './auth.js';
import { BULL_BOARD_PATH, bullBoardListener, isBullBoardPath, type NodeListener } from './bull-board.js';
import { consumerApi } from './consumer-api.js';
import { type Endpoint, plainEndpoint } from './endpoint.js';
import { dispatch, fromNode, type HttpResponse, jsonError, type Route, toNode } from './http.js';
import { DashboardMetrics } from './metrics.js';
import { openApiEndpoint } from './openapi.js';
import { loadOpsPage } from './ops-page.js';
import { readyzResponse } from './probes.js';
import { ratingsRoutes } from './ratings-page.js';
import { type DashboardConfig, DashboardResources } from './resources.js';
import { SnapshotSource } from './snapshot-source.js';

export interface DashboardServerOptions {
  config: DashboardConfig;
  logger: Logger;
  /**
   * The database to read the ops zone from; the caller keeps owning it. Without one the server
   * opens `config`'s on first use and closes it with the server. `npm start` passes its own:
   * PGlite allows one process, and one connection per process is plenty.
   */
  db?: Db;
  /** A Redis connection the caller owns; otherwise one from `config.redis.url`, opened on first use. */
  redis?: Redis;
  /**
   * The stages the fleet runs (default: `defaultStageRegistry()`, what the worker runs): Bull
   * Board, the queue depths and the ops page's Stages section follow it. Pass the registry the
   * workers were started with when they run stages of their own.
   */
  registry?: StageRegistry;
  /** Overrides `config.dashboard.host`. Auth applies if either host is beyond loopback. */
  host?: string;
  /** Overrides `config.dashboard.port`; 0 picks a free port. */
  port?: number;
  /** The clock (ms since epoch) for ages on the ops page and in /metrics; tests set it. */
  now?: () => number;
}

export interface DashboardServer {
  /** `http://HOST:PORT` */
  url: string;
  port: number;
  /** Whether requests need credentials (beyond loopback, or credentials configured). */
  authRequired: boolean;
  /**
   * What the server answers: each route's method and path (`{name}` for a parameter), and the
   * prefixes handed whole to a mounted app (Bull Board). test/security walks these, so a route
   * added here is checked for auth without anyone listing it again.
   */
  routes: ReadonlyArray<{ method: string; path: string }>;
  mounts: readonly string[];
  /** Stop listening, drop open connections, close what the server opened. */
  close(): Promise<void>;
}

/** The port is taken (or the host cannot be bound). */
export class DashboardListenError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly code: string | undefined,
    cause: unknown,
  ) {
    super(
      code === 'EADDRINUSE'
        ? `port ${port} on ${host} is already in use`
        : `cannot listen on ${host}:${port}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'DashboardListenError';
  }
}

/** Every endpoint the OpenAPI document describes: /healthz and the consumer API, in its order. */
export function dashboardEndpoints(source: SnapshotSource): Endpoint[] {
  const endpoints: Endpoint[] = [
    plainEndpoint({
      path: '/healthz',
      summary: 'Liveness: the process answers HTTP',
      response: 'Health',
      respond: () => ({ status: 200, body: { status: 'ok' } }),
    }),
    ...consumerApi(source),
  ];
  endpoints.push(openApiEndpoint(() => endpoints));
  return endpoints;
}

/** The operator routes: the ops page, /metrics, /readyz (Bull Board is routed before these). */
export function opsRoutes(options: {
  config: DashboardConfig;
  resources: DashboardResources;
  metrics: DashboardMetrics;
  now: () => number;
}): Route[] {
  return [
    {
      method: 'GET',
      path: '/',
      handle: async () => {
        const html = await loadOpsPage(options);
        return {
          status: 200,
          headers: {
            'content-type': 'text/html; charset=utf-8',
            'cache-control': 'no-store',
            'x-content-type-options': 'nosniff',
            'x-frame-options': 'DENY',
          },
          body: html,
        };
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      handle: async () => ({
        status: 200,
        headers: { 'content-type': options.metrics.contentType, 'cache-control': 'no-store' },
        body: await options.metrics.render(),
      }),
    },
    { method: 'GET', path: '/readyz', handle: () => readyzResponse(options.resources) },
  ];
}

/**
 * Start the dashboard's HTTP server (node:http): the ops page at `/`, the ratings pages under
 * `/ratings`, Bull Board at `/queues`, `/metrics`, `/healthz`, `/readyz` and the consumer API
 * over the latest snapshot in `config.publishDir` (`/api/...`). Beyond loopback every route but /healthz needs the configured
 * credentials; it refuses to start (`DashboardAuthError`) without them. Resolves once it listens;
 * `DashboardListenError` when it cannot.
 */
export async function createDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const { config, logger } = options;
  const host = options.host ?? config.dashboard.host;
  const port = options.port ?? config.dashboard.port;
  const auth = authPolicy(config.dashboard, host);
  const now = options.now ?? Date.now;
  const resources = new DashboardResources({
    config,
    logger,
    ...(options.db ? { db: options.db } : {}),
    ...(options.redis ? { redis: options.redis } : {}),
    ...(options.registry ? { registry: options.registry } : {}),
  });
  const metrics = new DashboardMetrics({ config, resources, logger, now });
  const source = new SnapshotSource({ publishDir: config.publishDir, logger });
  const routes: Route[] = [
    ...opsRoutes({ config, resources, metrics, now }),
    ...ratingsRoutes({ config, resources, logger }),
    ...dashboardEndpoints(source),
  ];
  let board: NodeListener | undefined;

  const server = createServer((request, response) => {
    const startedMs = performance.now();
    const req = fromNode(request);
    const logServed = (status: number) =>
      logger.debug(
        { method: req.method, path: req.path, status, durationMs: Math.round(performance.now() - startedMs) },
        'request served',
      );
    const denied = auth.check(req.path, req.headers.authorization);
    if (denied) {
      toNode(denied, response);
      logServed(denied.status);
      return;
    }
    if (isBullBoardPath(req.path)) {
      board ??= bullBoardListener({ queues: resources.queues(), readOnly: config.dashboard.readOnly });
      board(request, response).then(
        () => logServed(response.statusCode),
        (error: unknown) => {
          logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
          if (!response.headersSent) toNode(internalError(), response);
          else response.destroy();
        },
      );
      return;
    }
    dispatch(routes, req)
      .catch((error: unknown) => {
        logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
        return internalError();
      })
      .then((answer) => {
        toNode(answer, response, request.headers['accept-encoding']);
        logServed(answer.status);
      })
      .catch((error: unknown) => {
        logger.error({ err: error, method: req.method, path: req.path }, 'response failed');
        response.destroy();
      });
  });
  try {
    await listen(server, port, host);
  } catch (error) {
    await resources.close();
    throw new DashboardListenError(host, port, (error as NodeJS.ErrnoException).code, error);
  }
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    port: address.port,
    authRequired: auth.required,
    routes: routes.map(({ method, path }) => ({ method, path })),
    mounts: [BULL_BOARD_PATH],
    close: async () => {
      await closeServer(server);
      await resources.close();
    },
  };
}

function internalError(): HttpResponse {
  return jsonError(500, 'internal_error', 'internal error; the dashboard log has the details');
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
