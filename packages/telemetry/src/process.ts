import type { Config } from '@matchflow/config';
import { createLogger, type Logger, wantsPrettyLogs } from './logger.js';

/**
 * The logger of a long-running process (`worker`, `scheduler`, `dashboard`): the configured
 * level, pretty only for a dev terminal, the environment on every line.
 */
export function processLogger(config: Pick<Config, 'logLevel' | 'env'>, service: string): Logger {
  return createLogger({
    service,
    level: config.logLevel,
    pretty: wantsPrettyLogs(config.env, process.stdout.isTTY),
    base: { env: config.env },
  });
}

/**
 * Stop once on the first SIGTERM or SIGINT: log it, run `stop`, log `<service> stopped` and exit
 * 0 (1 when `stop` throws). A second signal while stopping is ignored, so an impatient Ctrl-C
 * cannot cut a graceful shutdown short.
 */
export function stopOnSignals(logger: Logger, service: string, stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    stop(signal).then(
      () => {
        logger.info(`${service} stopped`);
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * For `main().catch(...)` of a process: write why it cannot go on to stderr and exit 1. Errors
 * `expected` says are the user's to fix (a setting, a taken port) show their message alone;
 * anything else shows its stack, since it is a bug to report.
 */
export function exitOnFatal(service: string, expected: (error: unknown) => boolean = () => false) {
  return (error: unknown): never => {
    const shown =
      error instanceof Error ? (expected(error) ? error.message : (error.stack ?? error.message)) : String(error);
    process.stderr.write(`matchflow-${service}: ${shown}\n`);
    process.exit(1);
  };
}
