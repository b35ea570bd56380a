#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, EXIT_INVALID_CONFIG, loadConfigOrExit } from '@matchflow/config';
import { createDb, migrate } from '@matchflow/db';
import {
  defaultStageRegistry,
  Fleet,
  fleetQueues,
  guardAgainstDriverCrashes,
  HealthListenError,
  startAlertLoop,
  startConfiguredHealthServer,
} from '@matchflow/pipeline';
import { assertNoEviction, createRedis, RedisEvictionPolicyError } from '@matchflow/queues';
import {
  armFailpoints,
  exitOnFatal,
  FailpointSpecError,
  processLogger,
  startProcessReporter,
  stopOnSignals,
} from '@matchflow/telemetry';

/**
 * A worker process: `matchflow-worker [--queues ingest,build]` (default: every registered
 * stage's queue, the scheduler's ticks and maintenance included). SIGTERM/SIGINT stop it
 * gracefully: no new jobs, in-flight ones get `workers.shutdownTimeoutMs` to finish.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { queues: { type: 'string' } } });
  // Every registered stage's queue is known; `--queues` may name any of them.
  const registry = defaultStageRegistry();
  const known = fleetQueues(registry);
  const queues = values.queues?.split(',').map((queue) => queue.trim()) ?? known;
  const unknown = queues.filter((queue) => !known.includes(queue));
  if (unknown.length > 0) {
    process.stderr.write(`matchflow-worker: unknown queue(s) ${unknown.join(', ')} (known: ${known.join(', ')})\n`);
    process.exit(EXIT_INVALID_CONFIG);
  }
  const config = loadConfigOrExit({
    env: process.env,
    cwd: process.cwd(),
    writeError: (text) => process.stderr.write(text),
    exit: (code) => process.exit(code),
  });
  try {
    registry.checkConfig(config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(EXIT_INVALID_CONFIG);
  }
  const logger = processLogger(config, 'worker');
  if (process.env.MATCHFLOW_FAILPOINTS) {
    // Chaos tests and drills only (docs/chaos.md "Failpoints"): the process kills itself on cue.
    try {
      logger.warn({ failpoints: armFailpoints(process.env.MATCHFLOW_FAILPOINTS) }, 'failpoints armed');
    } catch (error) {
      if (!(error instanceof FailpointSpecError)) throw error;
      process.stderr.write(`matchflow-worker: MATCHFLOW_FAILPOINTS: ${error.message}\n`);
      process.exit(EXIT_INVALID_CONFIG);
    }
  }

  const probe = createRedis(config.redis.url, 'client');
  try {
    await assertNoEviction(probe);
  } catch (error) {
    logger.fatal({ err: error }, error instanceof RedisEvictionPolicyError ? 'refusing to start' : 'redis unavailable');
    process.exit(1);
  } finally {
    probe.disconnect();
  }

  const database = await createDb(config);
  await migrate(database);
  const replacePool = guardAgainstDriverCrashes(database, logger, 'worker');
  const alertsRedis = createRedis(config.redis.url, 'client');
  alertsRedis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  // Before the fleet takes a job: a health port that is taken stops the process cleanly.
  const health = await startConfiguredHealthServer(config, { redis: alertsRedis, database, logger });
  const fleet = Fleet.start({ config, db: database.db, logger, registry, queues, onDatabaseUnavailable: replacePool });
  // Alerts are evaluated in every long-lived process; each transition is notified once.
  const alerts = startAlertLoop({ db: database.db, redis: alertsRedis, config, logger });
  // RSS and CPU every 15 s, for the ops samples (docs/dashboard.md).
  const reporter = startProcessReporter({ redis: alertsRedis, prefix: config.redis.prefix, role: 'worker' });
  logger.info({ queues, concurrency: config.workers.concurrency, database: database.location }, 'worker started');

  stopOnSignals(logger, 'worker', async () => {
    logger.info({ timeoutMs: config.workers.shutdownTimeoutMs }, 'finishing jobs in flight');
    await fleet.stop();
    await alerts.stop();
    await reporter.stop();
    await health?.close();
    alertsRedis.disconnect();
    await database.close();
  });
}

// A health port that cannot be bound is a setting to fix: its message, no stack.
main().catch(exitOnFatal('worker', (error) => error instanceof HealthListenError));
