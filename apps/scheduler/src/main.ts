#!/usr/bin/env node
import { ConfigError, EXIT_INVALID_CONFIG, loadConfigOrExit } from '@matchflow/config';
import { createDb, migrate } from '@matchflow/db';
import {
  defaultStageRegistry,
  guardAgainstDriverCrashes,
  HealthListenError,
  startAlertLoop,
  startConfiguredHealthServer,
  startScheduler,
} from '@matchflow/pipeline';
import { assertNoEviction, createRedis, RedisEvictionPolicyError } from '@matchflow/queues';
import { exitOnFatal, processLogger, startProcessReporter, stopOnSignals } from '@matchflow/telemetry';

/**
 * The scheduler process: `matchflow-scheduler`. Keeps the BullMQ job schedulers equal to the
 * configured schedules (docs/scheduling.md); workers handle the ticks. Run one or more replicas.
 * It also evaluates the alerts (docs/alerts.md).
 * SIGTERM/SIGINT stop it; the schedulers stay in Redis and keep ticking.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit({
    env: process.env,
    cwd: process.cwd(),
    writeError: (text) => process.stderr.write(text),
    exit: (code) => process.exit(code),
  });
  try {
    // Settings of an unregistered stage are refused like any other bad key.
    defaultStageRegistry().checkConfig(config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(EXIT_INVALID_CONFIG);
  }
  const logger = processLogger(config, 'scheduler');

  const connection = createRedis(config.redis.url, 'client');
  connection.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  try {
    await assertNoEviction(connection);
  } catch (error) {
    logger.fatal({ err: error }, error instanceof RedisEvictionPolicyError ? 'refusing to start' : 'redis unavailable');
    process.exit(1);
  }

  const database = await createDb(config);
  await migrate(database);
  guardAgainstDriverCrashes(database, logger, 'scheduler');
  const health = await startConfiguredHealthServer(config, { redis: connection, database, logger });
  const scheduler = await startScheduler({ config, db: database.db, logger, connection });
  // Alerts are evaluated in every long-lived process; each transition is notified once.
  const alerts = startAlertLoop({ db: database.db, redis: connection, config, logger });
  // RSS and CPU every 15 s, for the ops samples (docs/dashboard.md).
  const reporter = startProcessReporter({ redis: connection, prefix: config.redis.prefix, role: 'scheduler' });

  stopOnSignals(logger, 'scheduler', async () => {
    await scheduler.stop();
    await alerts.stop();
    await reporter.stop();
    await health?.close();
    await database.close();
    await connection.quit().catch(() => connection.disconnect());
  });
}

// A health port that cannot be bound is a setting to fix: its message, no stack.
main().catch(exitOnFatal('scheduler', (error) => error instanceof HealthListenError));
