/**
 * One fleet process for the limiter fidelity test: builds a real SourceClient (its own Redis
 * connection, its own HTTP pool), prints `{"ready":true}`, waits for the start and end times on
 * stdin (`{"startAtMs":…,"endAtMs":…}`, so a slow start on a loaded machine cannot eat the run),
 * then asks the replay for events as fast as the fleet limiter allows, with several requests in
 * flight, until the end time. Prints a JSON summary line and exits.
 *
 *   node --conditions=matchflow-source --import tsx test/support/limiter-load.ts '<json options>'
 */
import { createInterface } from 'node:readline';
import { loadConfig } from '@matchflow/config';
import { SourceClient, UpstreamPaused } from '@matchflow/sources';
import { createLogger } from '@matchflow/telemetry';
import { Redis } from 'ioredis';

interface LoadOptions {
  apiUrl: string;
  redisUrl: string;
  prefix: string;
  source: string;
  requestsPerInterval: number;
  intervalMs: number;
  maxConcurrent: number;
  workers: number;
  eventIds: number[];
  /**
   * Stand for a starved process: after each grant, wait this long (uniform, ms) before sending
   * what was granted. Off by default.
   */
  lagAfterGrantMs?: [number, number];
  /** With `lagAfterGrantMs`: report the grant time as the send time (the limiter's first, unsound rule). */
  countFromGrant?: boolean;
  /** Count finished requests from their send time plus this guard (`rateLimit.sendGuardMs`); unset: from their release. */
  sendGuardMs?: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
const config = loadConfig(
  {},
  JSON.stringify({
    sources: {
      [options.source]: {
        kind: 'sofascore',
        baseUrl: options.apiUrl,
        rateLimit: {
          requestsPerInterval: options.requestsPerInterval,
          intervalMs: options.intervalMs,
          maxConcurrent: options.maxConcurrent,
          ...(options.sendGuardMs === undefined ? {} : { sendGuardMs: options.sendGuardMs }),
        },
      },
    },
  }),
);
const settings = config.sources[options.source];
if (!settings) throw new Error('no source settings');
const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 3 });
const client = new SourceClient({
  name: options.source,
  settings,
  redis,
  prefix: options.prefix,
  logger: createLogger({ service: 'limiter-load', level: 'warn' }),
  maxWaitMs: 2_000,
});

const counts = { ok: 0, paused: 0, aborted: 0, failed: 0, late: 0 };
const lag = options.lagAfterGrantMs;
if (lag) {
  const acquire = client.limiter.acquire.bind(client.limiter);
  client.limiter.acquire = async (acquireOptions) => {
    const grant = await acquire(acquireOptions);
    await new Promise((resolve) => setTimeout(resolve, lag[0] + Math.random() * (lag[1] - lag[0])));
    counts.late += 1;
    if (!options.countFromGrant) return grant;
    return { ...grant, release: () => grant.release({ sentAtMs: grant.grantedAtMs }) };
  };
}

process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
const lines = createInterface({ input: process.stdin });
const { startAtMs, endAtMs } = JSON.parse(await new Promise<string>((resolve) => lines.once('line', resolve))) as {
  startAtMs: number;
  endAtMs: number;
};
lines.close();
await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAtMs - Date.now())));
await Promise.all(
  Array.from({ length: options.workers }, async (_unused, worker) => {
    let next = worker;
    while (Date.now() < endAtMs) {
      const id = options.eventIds[next % options.eventIds.length];
      next += options.workers;
      try {
        // Nothing may leave after the end time: a slot granted later would count beyond the window measured.
        await client.fetch('event', `/event/${id}`, {
          signal: AbortSignal.timeout(Math.max(1, endAtMs - Date.now())),
        });
        counts.ok += 1;
      } catch (error) {
        if (error instanceof UpstreamPaused) counts.paused += 1;
        else if ((error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError')
          counts.aborted += 1;
        else counts.failed += 1;
      }
    }
  }),
);
process.stdout.write(`${JSON.stringify(counts)}\n`);
await client.close();
await redis.quit();
