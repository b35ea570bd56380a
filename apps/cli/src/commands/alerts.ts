import type { Config } from '@matchflow/config';
import { createDb } from '@matchflow/db';
import { evaluateAlerts } from '@matchflow/pipeline';
import { createRedis } from '@matchflow/queues';
import { createLogger } from '@matchflow/telemetry';

export interface AlertsCheckIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * `matchflow alerts check [--json]`: evaluate the alerts once, as the workers' alert loop does
 * (docs/alerts.md): notify what changed since the last evaluation (webhook and alerts log), refresh
 * the heartbeats, and list the problems open now. Exit 0 when none is open, 1 otherwise.
 */
export async function alertsCheck(config: Config, options: { json: boolean }, io: AlertsCheckIo): Promise<number> {
  const logger = createLogger({ service: 'cli', level: 'warn', destination: process.stderr });
  // Give up on an unreachable Redis quickly: the breaker alerts are then left as they were.
  const redis = createRedis(config.redis.url, 'client', {
    connectTimeout: 3_000,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => (attempt > 2 ? null : 200 * attempt),
  });
  redis.on('error', () => {});
  const database = await createDb(config);
  try {
    const evaluation = await evaluateAlerts({ db: database.db, redis, config, logger });
    if (options.json) {
      io.out(
        JSON.stringify(
          {
            open: evaluation.open,
            notified: evaluation.notified,
            unknown: evaluation.unknown,
            heartbeats: evaluation.heartbeats,
            log: config.alerts.log,
          },
          null,
          2,
        ),
      );
    } else {
      for (const notification of evaluation.notified) {
        io.out(`notified ${notification.state.padEnd(8)} ${notification.key}`);
      }
      if (evaluation.unknown.length > 0) {
        io.err(`warning: could not evaluate ${evaluation.unknown.join(', ')} (Redis did not answer)`);
      }
      if (evaluation.open.length === 0) {
        io.out('no open alerts');
      } else {
        io.out(`${evaluation.open.length} open alert${evaluation.open.length === 1 ? '' : 's'}:`);
        for (const problem of evaluation.open) io.out(`  ${problem.severity.padEnd(8)} ${problem.summary}`);
      }
      io.out(`alerts log: ${config.alerts.log}`);
    }
    return evaluation.open.length === 0 ? 0 : 1;
  } finally {
    redis.disconnect();
    await database.close();
  }
}
