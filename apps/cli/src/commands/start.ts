import type { Config } from '@matchflow/config';
import { createDb, migrate } from '@matchflow/db';

export interface StartOptions {
  once: boolean;
}

/**
 * `matchflow start`. Today it prepares what the fleet will need (a migrated database on the
 * embedded defaults) and says plainly that the fleet itself is not built yet.
 */
export async function start(config: Config, out: (line: string) => void, _options: StartOptions): Promise<number> {
  const database = await createDb(config);
  try {
    const result = await migrate(database);
    out(`matchflow (${config.env}): database ready at ${database.location} (${result.applied} migration(s))`);
  } finally {
    await database.close();
  }
  out('');
  out('not yet: the worker fleet, scheduler and dashboard are not built yet, so there is');
  out('nothing to run. What works today: `npm run matchflow -- config check`,');
  out('`npm run matchflow -- db migrate` and `npm test`.');
  return 0;
}
