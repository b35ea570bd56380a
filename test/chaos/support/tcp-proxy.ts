import { createConnection, createServer, type Server, type Socket } from 'node:net';

/*
 * A TCP proxy between the fleet and PostgreSQL, so a test can take the database away from the
 * worker processes without touching the shared server: `cut` destroys every open connection (as a
 * dropped network or a server going down does) and, for the length of the cut, either refuses new
 * ones (the listening socket is closed: ECONNREFUSED, what clients see while a server restarts)
 * or holds them unanswered (a server that accepts but does not speak yet), then serves again.
 */

export interface TcpProxyCounters {
  /** Client connections accepted and forwarded. */
  accepted: number;
  /** Open connections destroyed by a cut. */
  dropped: number;
  /** Connections held during a cut (forwarded when it ended, if the client still waited). */
  held: number;
  /** Cuts made. */
  cuts: number;
}

export interface TcpProxy {
  /** The port the proxy listens on (127.0.0.1). */
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  urlFor(url: string): string;
  /**
   * Drop every open connection, then refuse (`refuse`, default) or hold (`hold`) new ones for
   * `durationMs`; resolves when the proxy serves again.
   */
  cut(durationMs: number, options?: { mode?: 'refuse' | 'hold' }): Promise<void>;
  /** Open client connections right now. */
  open(): number;
  readonly counters: TcpProxyCounters;
  close(): Promise<void>;
}

/** Start a proxy on a free port of 127.0.0.1 forwarding to `target` (default PostgreSQL's 127.0.0.1:5432). */
export async function startTcpProxy(target: { host: string; port: number } = { host: '127.0.0.1', port: 5432 }) {
  const pairs = new Set<{ client: Socket; upstream?: Socket }>();
  const held: Socket[] = [];
  const counters: TcpProxyCounters = { accepted: 0, dropped: 0, held: 0, cuts: 0 };
  let holding = false;
  let closed = false;

  const forward = (client: Socket) => {
    if (client.destroyed) return;
    counters.accepted += 1;
    const upstream = createConnection(target);
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const onConnection = (client: Socket) => {
    client.on('error', () => client.destroy());
    if (holding) {
      counters.held += 1;
      client.pause();
      held.push(client);
      return;
    }
    forward(client);
  };

  let server: Server = createServer(onConnection);
  const listen = (on: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      on.once('error', reject);
      on.listen(port, '127.0.0.1', () => {
        on.off('error', reject);
        const address = on.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  const stopListening = (on: Server) => new Promise<void>((resolve) => on.close(() => resolve()));
  const port = await listen(server, 0);

  const dropAll = () => {
    for (const pair of pairs) {
      counters.dropped += 1;
      pair.client.destroy();
      pair.upstream?.destroy();
    }
    pairs.clear();
  };

  const proxy: TcpProxy = {
    port,
    counters,
    urlFor(url) {
      const proxied = new URL(url);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(port);
      return proxied.toString();
    },
    open: () => pairs.size,
    async cut(durationMs, options = {}) {
      counters.cuts += 1;
      if ((options.mode ?? 'refuse') === 'hold') {
        holding = true;
        dropAll();
        await new Promise((resolve) => setTimeout(resolve, durationMs));
        holding = false;
        for (const client of held.splice(0)) {
          client.resume();
          forward(client);
        }
        return;
      }
      // Closing the listener first: no connection slips in between the drop and the refusal.
      const stopped = stopListening(server);
      dropAll();
      await stopped;
      await new Promise((resolve) => setTimeout(resolve, durationMs));
      if (closed) return;
      server = createServer(onConnection);
      await listen(server, port);
    },
    async close() {
      closed = true;
      for (const client of held.splice(0)) client.destroy();
      const stopped = server.listening ? stopListening(server) : Promise.resolve();
      dropAll();
      await stopped;
    },
  };
  return proxy;
}
