#!/usr/bin/env node
import { EXIT_INVALID_CONFIG, loadConfigOrExit } from '@matchflow/config';
import { createDashboardServer, DashboardAuthError } from '@matchflow/dashboard';
import { createRedis } from '@matchflow/queues';
import { processLogger, startProcessReporter, stopOnSignals } from '@matchflow/telemetry';

/**
 * The dashboard process: `matchflow-dashboard`. Serves @matchflow/dashboard (the ops page, Bull
 * Board, /metrics, health and the consumer API) on `dashboard.host`:`dashboard.port`;
 * SIGTERM/SIGINT close it.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit({
    env: process.env,
    cwd: process.cwd(),
    writeError: (text) => process.stderr.write(text),
    exit: (code) => process.exit(code),
  });
  const logger = processLogger(config, 'dashboard');
  const server = await createDashboardServer({ config, logger });
  logger.info(
    { url: server.url, publishDir: config.publishDir, auth: server.authRequired, readOnly: config.dashboard.readOnly },
    'dashboard listening',
  );

  // RSS and CPU every 15 s, for the ops samples (docs/dashboard.md), on a connection of its own:
  // the server opens Redis only when a page needs it, and a Redis that is away must not stop it.
  const reportRedis = createRedis(config.redis.url, 'client', { maxRetriesPerRequest: 1 });
  reportRedis.on('error', () => undefined);
  const reporter = startProcessReporter({ redis: reportRedis, prefix: config.redis.prefix, role: 'dashboard' });

  stopOnSignals(logger, 'dashboard', async () => {
    await reporter.stop();
    reportRedis.disconnect();
    await server.close();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`matchflow-dashboard: ${error instanceof Error ? error.message : String(error)}\n`);
  // Exposed without credentials is a configuration error, like every other (exit 2).
  process.exit(error instanceof DashboardAuthError ? EXIT_INVALID_CONFIG : 1);
});
