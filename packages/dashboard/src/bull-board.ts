import type { IncomingMessage, ServerResponse } from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { getRequestListener } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Queue } from 'bullmq';
import { Hono } from 'hono';

/*
 * Bull Board (felixmosh/bull-board) at /queues over every queue of the fleet (the registry's stages,
 * maintenance, schedule: `DashboardResources.queues`). Its Hono adapter is the
 * lightest one that runs on Node 20 (Express pulls in ~30 packages; Fastify's needs Node 22):
 * hono and @hono/node-server have no dependencies of their own. The board gets the requests the
 * dashboard's node:http listener routes to it, after auth; it has none of its own (DESIGN §12).
 * @bull-board/api, ui and hono are pinned to one version: the adapters require api exactly.
 */

/** Where the board is mounted. */
export const BULL_BOARD_PATH = '/queues';

export interface BullBoardOptions {
  queues: readonly Queue[];
  /** No retry, promote, clean or remove buttons (per queue in Bull Board; here all or none). */
  readOnly: boolean;
}

export type NodeListener = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/** A node:http listener serving Bull Board (its page, static assets and /queues/api). */
export function bullBoardListener(options: BullBoardOptions): NodeListener {
  const adapter = new HonoAdapter(serveStatic);
  adapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: options.queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: options.readOnly })),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'matchflow queues' } },
  });
  // Not strict: `/queues/` (the board's own base href) is its page as well as `/queues`.
  const app = new Hono({ strict: false }).route(BULL_BOARD_PATH, adapter.registerPlugin());
  const listener = getRequestListener(app.fetch);
  return async (request, response) => {
    await listener(request, response);
  };
}

/** Whether a request path belongs to the board. */
export function isBullBoardPath(path: string): boolean {
  return path === BULL_BOARD_PATH || path.startsWith(`${BULL_BOARD_PATH}/`);
}
