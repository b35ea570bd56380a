import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgSchema,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/** Raw zone: every upstream payload exactly as received, content-addressed. */
export const rawZone = pgSchema('raw');

export const payloads = rawZone.table(
  'payloads',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** Config name of the source (`sofascore`, `football-data`). */
    source: text('source').notNull(),
    /** Which upstream resource: `event`, `event.lineups`, `season.events`, ... */
    endpoint: text('endpoint').notNull(),
    /** The resource's key at that endpoint, e.g. the event id or `{season}.{page}`. */
    key: text('key').notNull(),
    fetchedAt: timestamp('fetched_at', { withTimezone: true, mode: 'date' }).notNull(),
    httpStatus: integer('http_status').notNull(),
    /** Hex SHA-256 of the canonical body; an identical payload is stored once. */
    sha256: text('sha256').notNull(),
    body: jsonb('body').notNull(),
    /** True when the body broke its contract; `contractError` says where. */
    quarantined: boolean('quarantined').notNull().default(false),
    contractError: text('contract_error'),
    runId: text('run_id'),
  },
  (table) => [
    uniqueIndex('payloads_content_key').on(table.source, table.endpoint, table.key, table.sha256),
    index('payloads_latest').on(table.source, table.endpoint, table.key, table.fetchedAt),
    // Lineage: a core row names its payload by sha256 alone (`raw_sha256`).
    index('payloads_sha256').on(table.sha256),
    index('payloads_quarantined').on(table.fetchedAt).where(sql`${table.quarantined}`),
    check('payloads_sha256_hex', sql`${table.sha256} ~ '^[0-9a-f]{64}$'`),
    check('payloads_quarantine_has_reason', sql`NOT ${table.quarantined} OR ${table.contractError} IS NOT NULL`),
  ],
);
