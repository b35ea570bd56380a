import { type Config, loadConfig } from '@matchflow/config';

/** The demo: two finished seasons of the replay's simulated league, at a local-friendly budget. */
export function withDemo(config: Config, replayApiUrl: string): Config {
  const demo = loadConfig(
    {},
    JSON.stringify({
      sources: {
        sofascore: {
          kind: 'sofascore',
          baseUrl: replayApiUrl,
          // The replay runs in this process: a generous budget keeps the demo quick.
          rateLimit: { requestsPerInterval: 400, intervalMs: 1000, maxConcurrent: 16 },
        },
      },
      ratingPools: { football: { preset: 'football', homeAdvantage: 65 } },
      competitions: [
        { id: 'demo-league', source: 'sofascore', competition: 1001, seasons: [50001, 50002], ratingPool: 'football' },
      ],
    }),
  );
  return {
    ...config,
    sources: { ...demo.sources, ...config.sources },
    ratingPools: { ...demo.ratingPools, ...config.ratingPools },
    competitions: demo.competitions,
  };
}
