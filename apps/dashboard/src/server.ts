import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '@matchflow/config';
import type { Logger } from '@matchflow/telemetry';
import { consumerApi } from './consumer-api.js';
import { type Endpoint, plainEndpoint } from './endpoint.js';
import { dispatch, fromNode, jsonError, toNode } from './http.js';
import { openApiEndpoint } from './openapi.js';
import { SnapshotSource } from './snapshot-source.js';

export interface DashboardServerOptions {
  config: Pick<Config, 'publishDir' | 'dashboard'>;
  logger: Logger;
  /** Overrides `config.dashboard.host`. */
  host?: string;
  /** Overrides `config.dashboard.port`; 0 picks a free port. */
  port?: number;
}

export interface DashboardServer {
  /** `http://HOST:PORT` */
  url: string;
  port: number;
  /** Stop listening and drop open connections. */
  close(): Promise<void>;
}

/** Every endpoint the dashboard serves, in the order the OpenAPI document lists them. */
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

/**
 * Start the dashboard's HTTP server (node:http): the consumer API over the latest snapshot in
 * `config.publishDir`, and /healthz. Resolves once it listens.
 */
export async function createDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const { config, logger } = options;
  const source = new SnapshotSource({ publishDir: config.publishDir, logger });
  const endpoints = dashboardEndpoints(source);

  const server = createServer((request, response) => {
    const startedMs = performance.now();
    const req = fromNode(request);
    dispatch(endpoints, req)
      .catch((error: unknown) => {
        logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
        return jsonError(500, 'internal_error', 'internal error; the dashboard log has the details');
      })
      .then((answer) => {
        toNode(answer, response);
        logger.debug(
          {
            method: req.method,
            path: req.path,
            status: answer.status,
            durationMs: Math.round(performance.now() - startedMs),
          },
          'request served',
        );
      })
      .catch((error: unknown) => {
        logger.error({ err: error, method: req.method, path: req.path }, 'response failed');
        response.destroy();
      });
  });
  await listen(server, options.port ?? config.dashboard.port, options.host ?? config.dashboard.host);
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: () => closeServer(server),
  };
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
