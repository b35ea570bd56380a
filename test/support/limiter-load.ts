/**
 * One fleet process for the limiter fidelity test: builds a real SourceClient (its own Redis
 * connection, its own HTTP pool), waits for the common start time, then asks the replay for
 * events as fast as the fleet limiter allows, with several requests in flight, until the end
 * time. Prints a JSON summary line and exits.
 *
 *   node --conditions=matchflow-source --import tsx test/support/limiter-load.ts '<json options>'
 */
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
  startAtMs: number;
  endAtMs: number;
  eventIds: number[];
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

const counts = { ok: 0, paused: 0, aborted: 0, failed: 0 };
await new Promise((resolve) => setTimeout(resolve, Math.max(0, options.startAtMs - Date.now())));
await Promise.all(
  Array.from({ length: options.workers }, async (_unused, worker) => {
    let next = worker;
    while (Date.now() < options.endAtMs) {
      const id = options.eventIds[next % options.eventIds.length];
      next += options.workers;
      try {
        // Nothing may leave after the end time: a slot granted later would count beyond the window measured.
        await client.fetch('event', `/event/${id}`, {
          signal: AbortSignal.timeout(Math.max(1, options.endAtMs - Date.now())),
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
