import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Database } from '@matchflow/db';
import type { Logger } from '@matchflow/telemetry';
import type { Redis } from 'ioredis';
import { checkDatabase, checkRedis } from './health.js';

/*
 * The health listener of processes that serve no HTTP otherwise (worker, scheduler), for
 * container probes (docs/deployment.md). Two routes, GET or HEAD:
 *   /healthz  200 {"status":"ok"} while the event loop answers: liveness. It checks nothing
 *             else on purpose: a Redis or database outage must not get every worker restarted
 *             (they wait outages out, docs/operations.md).
 *   /readyz   200 {"status":"ready"} when Redis answers PING with maxmemory-policy noeviction and
 *             the database answers with every migration applied, each within PROBE_TIMEOUT_MS;
 *             else 503 {"status":"unready"}. Readiness: rollouts wait for it.
 * Bodies carry a status and booleans only, never an address, a URL or an error text (those go
 * to the log, once per change), so the listener may bind beyond loopback without credentials.
 */

/** Each dependency check gives up after this long: a probe must answer. */
export const HEALTH_PROBE_TIMEOUT_MS = 2_000;

export interface HealthServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** A connection the process already holds (any status; a lazy one is connected on first use). */
  redis: Redis;
  database: Database;
  logger: Logger;
}

export interface HealthServer {
  /** `http://host:port`, with the port actually bound. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The listen address is taken or not ours: the process should stop, naming it. */
export class HealthListenError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    options: { cause: unknown },
  ) {
    const code = (options.cause as { code?: string } | undefined)?.code;
    super(
      `cannot listen on ${host}:${port} for health probes (health.port): ${code ?? String(options.cause)}`,
      options,
    );
    this.name = 'HealthListenError';
  }
}

/** Start the listener; rejects with `HealthListenError` when the address cannot be bound. */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const { logger } = options;
  let lastReady: boolean | undefined;

  const ready = async (): Promise<{ redis: boolean; database: boolean }> => {
    const [redis, database] = await Promise.all([
      checkRedis(options.redis, { timeoutMs: HEALTH_PROBE_TIMEOUT_MS }),
      checkDatabase(options.database, HEALTH_PROBE_TIMEOUT_MS),
    ]);
    const isReady = redis.ok && database.ok;
    if (isReady !== lastReady) {
      // Once per change: a failing probe every few seconds would flood the log.
      if (isReady) logger.info('ready');
      else logger.warn({ redis: redis.detail, database: database.detail }, 'not ready');
      lastReady = isReady;
    }
    return { redis: redis.ok, database: database.ok };
  };

  const server: Server = createServer((request, response) => {
    const send = (status: number, body?: unknown, extra: Record<string, string> = {}) => {
      const text = body === undefined ? '' : JSON.stringify(body);
      response.writeHead(status, {
        'cache-control': 'no-store',
        ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        'content-length': String(Buffer.byteLength(text)),
        ...extra,
      });
      response.end(request.method === 'HEAD' ? undefined : text);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(405, undefined, { allow: 'GET, HEAD' });
      return;
    }
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      send(200, { status: 'ok' });
    } else if (path === '/readyz') {
      ready().then(
        (checks) => {
          const isReady = checks.redis && checks.database;
          send(isReady ? 200 : 503, { status: isReady ? 'ready' : 'unready', checks });
        },
        (error: unknown) => {
          logger.warn({ err: error }, 'readiness check failed');
          send(503, { status: 'unready' });
        },
      );
    } else {
      send(404);
    }
  });
  // Probes reconnect every time; idle sockets would only hold file descriptors.
  server.keepAliveTimeout = 1_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (error: unknown) => reject(new HealthListenError(options.host, options.port, { cause: error }));
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The listener as configured (`health.host`/`health.port`), or undefined when `health.port` is
 * not set. Rejects with `HealthListenError` when the address cannot be bound: the process's main
 * reports it (no stack: it is a setting to fix) and exits 1.
 */
export async function startConfiguredHealthServer(
  config: { health: { host: string; port?: number | undefined } },
  deps: Omit<HealthServerOptions, 'host' | 'port'>,
): Promise<HealthServer | undefined> {
  if (config.health.port === undefined) return undefined;
  const server = await startHealthServer({ ...deps, host: config.health.host, port: config.health.port });
  deps.logger.info({ url: server.url }, 'health listener started');
  return server;
}
