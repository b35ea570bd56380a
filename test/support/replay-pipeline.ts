import { type Config, loadConfig } from '@matchflow/config';
import { type ReplayServer, startReplay } from '@matchflow/replay';
import { SourceClient } from '@matchflow/sources';
import { createLogger, type Logger } from '@matchflow/telemetry';
import { type TestRedis, testRedis } from '@matchflow/testing';

/** A replay upstream, a config whose `sofascore` source points at it, and a fleet client for it. */
export interface ReplayPipeline {
  replay: ReplayServer;
  config: Config;
  client: SourceClient;
  logger: Logger;
  redis: TestRedis;
  close(): Promise<void>;
}

/**
 * Start the replay (seed 7) and a SourceClient on a Redis prefix of the test's own, with a
 * generous budget (the replay is local). `settings` adds competitions, rating pools and the like.
 */
export async function startReplayPipeline(label: string, settings: Record<string, unknown>): Promise<ReplayPipeline> {
  const replay = await startReplay({ port: 0, seed: 7 });
  const redis = testRedis(undefined, label);
  const config = loadConfig(
    {},
    JSON.stringify({
      sources: {
        sofascore: {
          kind: 'sofascore',
          baseUrl: replay.apiUrl,
          rateLimit: { requestsPerInterval: 2000, intervalMs: 1000, maxConcurrent: 16 },
        },
      },
      ...settings,
    }),
  );
  const logger = createLogger({ service: 'test', level: 'silent' });
  const client = new SourceClient({
    name: 'sofascore',
    settings: config.sources.sofascore as Config['sources'][string],
    redis: redis.connect(),
    prefix: redis.prefix,
    logger,
  });
  return {
    replay,
    config,
    client,
    logger,
    redis,
    async close() {
      await client.close();
      await replay.close();
      await redis.cleanup();
    },
  };
}
