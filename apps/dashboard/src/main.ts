#!/usr/bin/env node
import { loadConfigOrExit } from '@matchflow/config';
import { createDashboardServer } from '@matchflow/dashboard';
import { createLogger, wantsPrettyLogs } from '@matchflow/telemetry';

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
  const logger = createLogger({
    service: 'dashboard',
    level: config.logLevel,
    pretty: wantsPrettyLogs(config.env, process.stdout.isTTY),
    base: { env: config.env },
  });
  const server = await createDashboardServer({ config, logger });
  logger.info(
    { url: server.url, publishDir: config.publishDir, auth: server.authRequired, readOnly: config.dashboard.readOnly },
    'dashboard listening',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await server.close();
    logger.info('dashboard stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`matchflow-dashboard: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
