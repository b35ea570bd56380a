import type { Db } from '@matchflow/db';
import type { SQL } from 'drizzle-orm';

/** The rows of a raw SQL query, whichever driver runs it. */
export async function rows<Row>(db: Db, query: SQL): Promise<Row[]> {
  const result: unknown = await db.execute(query);
  // postgres.js returns an array of rows; PGlite returns `{ rows }`.
  return Array.isArray(result) ? (result as Row[]) : (result as { rows: Row[] }).rows;
}
