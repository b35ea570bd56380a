import type { Config } from '@matchflow/config';
import { createDb, migrate } from '@matchflow/db';

/** `matchflow db migrate`: bring the configured database to the latest schema. */
export async function migrateDatabase(config: Config, out: (line: string) => void): Promise<number> {
  const database = await createDb(config);
  try {
    const result = await migrate(database);
    out(
      result.newlyApplied === 0
        ? `database ${database.location} is up to date (${result.applied} migration(s) applied)`
        : `database ${database.location}: applied ${result.newlyApplied} migration(s), ${result.applied} in all`,
    );
    return 0;
  } finally {
    await database.close();
  }
}
