import { type Database, isDriverWriteAfterClose } from '@matchflow/db';
import type { Logger } from '@matchflow/telemetry';
import { isDatabaseUnavailable } from './database-errors.js';

/**
 * For the `main()` of a long-lived process on PostgreSQL: survive the two ways postgres.js 3.4.9
 * can crash a process when a connection closes under it (porsager/postgres#1154, #1208, #1215),
 * by replacing the connection pool, and nothing else: every other uncaught error still prints
 * and exits 1, as it does without a handler. Returns the pool replacer (at most once a second;
 * a no-op on PGlite) for callers that learn of an outage another way.
 */
export function guardAgainstDriverCrashes(database: Database, logger: Logger, service: string): () => void {
  if (database.backend !== 'postgres') return () => {};
  let lastAt = 0;
  const replacePool = () => {
    if (Date.now() - lastAt < 1_000) return;
    lastAt = Date.now();
    logger.info('replacing the database connection pool');
    database.replacePool().catch((error: unknown) => logger.warn({ err: error }, 'closing the old pool failed'));
  };
  process.on('uncaughtException', (error, origin) => {
    if (isDriverWriteAfterClose(error)) {
      // The query it belonged to was already rejected (and its job handed back); only the pool
      // is damaged.
      logger.warn({ err: error }, 'database driver wrote to a closed connection: connection pool replaced');
      replacePool();
      return;
    }
    if (origin === 'unhandledRejection' && isDatabaseUnavailable(error)) {
      // Work of a transaction whose connection died after begin() had already rejected: nobody
      // awaits it any more and the server rolled the transaction back.
      logger.warn({ err: error }, 'database connection lost under a transaction: connection pool replaced');
      replacePool();
      return;
    }
    process.stderr.write(`matchflow-${service}: ${origin}: ${error.stack ?? error.message}\n`);
    process.exit(1);
  });
  return replacePool;
}
