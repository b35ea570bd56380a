import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { Accounting } from './accounting.js';
import { parseInstant, SimulatedClock } from './clock.js';
import { ERROR_BODIES, type FaultSettingsInput, Faults } from './faults.js';
import { accountingKeyOf, endpointOf, handleApi } from './sofascore/api.js';
import {
  buildWorld,
  type CorrectionOptions,
  correctionStrikingLastGoal,
  type World,
  type WorldScale,
} from './world/build-world.js';

/** Default simulated now: mid-season in football, the middle of the 2026 tennis draw. */
export const DEFAULT_NOW = '2026-01-14T18:00:00Z';

export interface ReplayOptions {
  /** 127.0.0.1 unless told otherwise. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  seed?: number;
  /** Simulated start time: ISO-8601 or Unix seconds. */
  now?: string | number;
  /** Simulated seconds per real second; 0 (default) freezes the clock. */
  clockRate?: number;
  faults?: FaultSettingsInput;
  corrections?: Partial<CorrectionOptions>;
  /**
   * Add `leagues` × `seasons` Bench League seasons (380 matches each) beside the demo
   * competitions; their ids: `scaleLeagueIds(scale)`. None by default.
   */
  scale?: WorldScale;
  /** Serve this directory instead of the Sofascore API (file-based sources). */
  staticDir?: string;
}

export interface ReplayServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Base URL of the Sofascore-shaped API: `${url}/api/v1`. */
  apiUrl: string;
  port: number;
  world: World | undefined;
  clock: SimulatedClock;
  faults: Faults;
  accounting: Accounting;
  close(): Promise<void>;
}

/** Start the replay upstream; resolves once it listens. */
export async function startReplay(options: ReplayOptions = {}): Promise<ReplayServer> {
  const seed = options.seed ?? 7;
  const staticDir = options.staticDir ? path.resolve(options.staticDir) : undefined;
  const world = staticDir
    ? undefined
    : buildWorld({ seed, corrections: options.corrections, ...(options.scale ? { scale: options.scale } : {}) });
  const clock = new SimulatedClock(parseInstant(options.now ?? DEFAULT_NOW), options.clockRate ?? 0);
  const faults = new Faults(seed);
  if (options.faults) faults.set(options.faults);
  const accounting = new Accounting();
  const state: State = { world, clock, faults, accounting, staticDir, seed, scale: options.scale };

  const server = createServer((request, response) => {
    handle(state, request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: { code: 500, message: String(error) } });
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket) => {
    accounting.connectionOpened();
    socket.on('close', () => accounting.connectionClosed());
  });
  await listen(server, options.port ?? 4010, options.host ?? '127.0.0.1');
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  return {
    url,
    apiUrl: `${url}/api/v1`,
    port: address.port,
    world,
    clock,
    faults,
    accounting,
    close: () => closeServer(server),
  };
}

interface State {
  world: World | undefined;
  clock: SimulatedClock;
  faults: Faults;
  accounting: Accounting;
  staticDir: string | undefined;
  seed: number;
  scale: WorldScale | undefined;
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

async function handle(state: State, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://replay.local');
  if (url.pathname.startsWith('/_control/')) return control(state, request, response, url.pathname);
  if (request.method !== 'GET' && request.method !== 'HEAD')
    return sendJson(response, 405, { error: { code: 405, message: 'Method Not Allowed' } });

  const endpoint = state.staticDir ? 'static' : endpointOf(url.pathname);
  const finish = state.accounting.begin(endpoint, state.staticDir ? undefined : accountingKeyOf(url.pathname));
  const decision = state.faults.decide();
  if (decision.kind === 'reset') {
    finish('reset');
    request.socket.destroy();
    return;
  }
  if (decision.kind === 'respond') {
    finish(decision.status);
    return sendJson(response, decision.status, decision.body, decision.headers);
  }
  if (decision.delayMs > 0) await sleep(decision.delayMs);

  if (state.staticDir) {
    for (const [name, value] of Object.entries(decision.headers ?? {})) response.setHeader(name, value);
    const status = await serveStatic(state, state.staticDir, url.pathname, response);
    finish(status);
    return;
  }
  if (!state.world) throw new Error('no world to serve');
  const answer = handleApi({ world: state.world, now: state.clock.now(), drift: state.faults.drift() }, url.pathname);
  finish(answer.status);
  for (const [name, value] of Object.entries(decision.headers ?? {})) response.setHeader(name, value);
  await sendBody(state, response, answer.status, JSON.stringify(answer.body), 'application/json; charset=utf-8');
}

async function sendBody(
  state: State,
  response: ServerResponse,
  status: number,
  body: string,
  contentType: string,
): Promise<void> {
  const bytes = Buffer.from(body);
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': String(bytes.length),
    'cache-control': 'max-age=10, public, s-maxage=60',
  });
  const slow = state.faults.slowBody();
  if (!slow || bytes.length < slow.chunks) {
    response.end(bytes);
    return;
  }
  const size = Math.ceil(bytes.length / slow.chunks);
  for (let offset = 0; offset < bytes.length; offset += size) {
    if (response.destroyed) return;
    response.write(bytes.subarray(offset, offset + size));
    if (offset + size < bytes.length) await sleep(slow.totalMs / slow.chunks);
  }
  response.end();
}

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
};

async function serveStatic(state: State, root: string, pathname: string, response: ServerResponse): Promise<number> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    sendJson(response, 400, { error: { code: 400, message: 'Bad Request' } });
    return 400;
  }
  const file = path.resolve(root, `.${decoded}`);
  // Nothing outside the served directory, whatever the path says.
  if (file !== root && !file.startsWith(`${root}${path.sep}`)) {
    sendJson(response, 404, ERROR_BODIES[404]);
    return 404;
  }
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) {
    sendJson(response, 404, ERROR_BODIES[404]);
    return 404;
  }
  const contentType = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
  if (state.faults.slowBody()) {
    await sendBody(state, response, 200, await readFile(file, 'utf8'), contentType);
    return 200;
  }
  response.writeHead(200, { 'content-type': contentType, 'content-length': String(info.size) });
  await new Promise<void>((resolve, reject) => {
    createReadStream(file).on('error', reject).pipe(response).on('finish', resolve).on('error', reject);
  });
  return 200;
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  response.end(text);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return text === '' ? {} : JSON.parse(text);
}

const ClockCommand = z
  .strictObject({
    set: z.union([z.string(), z.number()]).optional(),
    advanceSec: z.number().optional(),
    rate: z.number().min(0).optional(),
  })
  .refine(
    (command) => command.set === undefined || command.advanceSec === undefined,
    'give set or advanceSec, not both',
  );

const CorrectionCommand = z.strictObject({
  eventId: z.number().int(),
  /** When it is published: ISO-8601 or Unix seconds; default: 1 hour after the final whistle. */
  at: z.union([z.string(), z.number()]).optional(),
});

/** The control API: clock, faults, accounting, corrections. Never faulted, never counted. */
async function control(
  state: State,
  request: IncomingMessage,
  response: ServerResponse,
  pathname: string,
): Promise<void> {
  const route = `${request.method} ${pathname}`;
  try {
    switch (route) {
      case 'GET /_control/state':
        return sendJson(response, 200, describe(state));
      case 'POST /_control/clock': {
        const command = ClockCommand.parse(await readJson(request));
        if (command.set !== undefined) state.clock.set(parseInstant(command.set));
        if (command.advanceSec !== undefined) state.clock.advance(command.advanceSec);
        if (command.rate !== undefined) state.clock.setRate(command.rate);
        return sendJson(response, 200, clockState(state));
      }
      case 'GET /_control/faults':
        return sendJson(response, 200, state.faults.current);
      case 'PUT /_control/faults':
        return sendJson(response, 200, state.faults.set(await readJson(request)));
      case 'PATCH /_control/faults':
        return sendJson(response, 200, state.faults.merge(await readJson(request)));
      case 'DELETE /_control/faults':
        return sendJson(response, 200, state.faults.set({}));
      case 'GET /_control/accounting':
        return sendJson(response, 200, state.accounting.snapshot());
      case 'POST /_control/accounting/reset':
        state.accounting.reset();
        return sendJson(response, 200, state.accounting.snapshot());
      case 'POST /_control/corrections': {
        const command = CorrectionCommand.parse(await readJson(request));
        const match = state.world?.matches.get(command.eventId);
        if (!match) return sendJson(response, 404, { error: `no event ${command.eventId}` });
        const at = command.at === undefined ? undefined : parseInstant(command.at);
        const correction = correctionStrikingLastGoal(match, 3_600, at);
        if (!correction)
          return sendJson(response, 409, { error: `event ${command.eventId} has no goal to strike off` });
        match.correction = correction;
        return sendJson(response, 200, {
          eventId: match.id,
          at: new Date(correction.at * 1000).toISOString(),
          goalId: correction.goalId,
        });
      }
      default:
        return sendJson(response, 404, { error: `no control route ${route}` });
    }
  } catch (error) {
    const message = error instanceof z.ZodError ? z.prettifyError(error) : (error as Error).message;
    return sendJson(response, 400, { error: message });
  }
}

function clockState(state: State) {
  const now = state.clock.now();
  return { now: new Date(now * 1000).toISOString(), nowTimestamp: now, rate: state.clock.speed };
}

function describe(state: State) {
  return {
    seed: state.seed,
    mode: state.staticDir ? 'static' : 'sofascore',
    ...(state.staticDir ? { staticDir: state.staticDir } : {}),
    ...(state.scale && state.world?.plays
      ? {
          scale: {
            ...state.scale,
            matches: state.world.matches.size,
            playsCached: state.world.plays.size,
            playsSimulated: state.world.plays.simulated,
          },
        }
      : {}),
    clock: clockState(state),
    faults: state.faults.current,
    competitions: (state.world?.competitions ?? []).map((competition) => ({
      uniqueTournamentId: competition.uniqueTournamentId,
      name: competition.name,
      sport: competition.sport,
      seasons: competition.seasons.map((season) => ({
        id: season.id,
        year: season.year,
        matches: season.matches.length,
      })),
    })),
  };
}
