import type { Db } from '@matchflow/db';
import { sql } from 'drizzle-orm';

/*
 * One transaction-scoped advisory lock orders builds and publishing across the fleet: builds take
 * it shared (they run side by side), publish and rollback take it exclusively. So a snapshot is
 * read while no build is half way through its transaction, and publishers never interleave their
 * directory and `latest` moves. Transaction-scoped: a crashed holder releases it with its session.
 */
const PUBLISH_LOCK = sql`hashtext('matchflow.publish')`;

/** Held until the transaction ends; waits while a publish or rollback is under way. */
export async function publishLockShared(tx: Db): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock_shared(${PUBLISH_LOCK})`);
}

/** Held until the transaction ends; waits for builds in progress and other publishers. */
export async function publishLockExclusive(tx: Db): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${PUBLISH_LOCK})`);
}
