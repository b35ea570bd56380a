import { createHash } from 'node:crypto';
import { type Db, raw } from '@matchflow/db';
import { and, eq, sql } from 'drizzle-orm';
import { rows } from './sql-rows.js';

export interface PayloadToStore {
  source: string;
  endpoint: string;
  /** The resource's key at its endpoint (event id, `{season}.{page}`, ...). */
  key: string;
  fetchedAt: Date;
  httpStatus: number;
  /** The body exactly as received; its SHA-256 is the payload's identity. */
  text: string;
  body: unknown;
  runId: string | undefined;
  /** Set when the body broke its contract: the payload is kept, marked quarantined. */
  contractError?: string;
}

export interface StoredPayload {
  id: number;
  sha256: string;
  /** False when this exact body was stored before: it causes no downstream work. */
  isNew: boolean;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Keep an upstream payload in the raw zone, once per distinct content: storing the same body
 * again finds the existing row and reports `isNew: false`.
 */
export async function storePayload(db: Db, payload: PayloadToStore): Promise<StoredPayload> {
  const [stored] = await storePayloads(db, [payload]);
  return stored as StoredPayload;
}

interface StoredRow {
  ordinal: number;
  id: number | string | null;
  is_new: boolean;
}

/**
 * `storePayload` for several payloads in one statement (one round trip, one commit), in order.
 * The payloads travel as one jsonb parameter, so the statement's text is the same for any
 * number of them and the driver prepares it once.
 */
export async function storePayloads(db: Db, payloads: readonly PayloadToStore[]): Promise<StoredPayload[]> {
  if (payloads.length === 0) return [];
  const incoming = payloads.map((payload, ordinal) => ({
    ordinal,
    source: payload.source,
    endpoint: payload.endpoint,
    key: payload.key,
    fetched_at: payload.fetchedAt.toISOString(),
    http_status: payload.httpStatus,
    sha256: sha256Hex(payload.text),
    body: payload.body,
    quarantined: payload.contractError !== undefined,
    contract_error: payload.contractError ?? null,
    run_id: payload.runId ?? null,
  }));
  // The CTE's read of raw.payloads sees the table as it was before the statement: a row that
  // was there already is found by `held`, a new one comes back from `inserted`.
  const found = await rows<StoredRow>(
    db,
    sql`
WITH incoming AS (
  SELECT * FROM jsonb_to_recordset(${JSON.stringify(incoming)}::jsonb) AS x(
    ordinal int, source text, endpoint text, key text, fetched_at timestamptz, http_status int, sha256 text,
    body jsonb, quarantined boolean, contract_error text, run_id text)
), inserted AS (
  INSERT INTO raw.payloads (source, endpoint, key, fetched_at, http_status, sha256, body, quarantined, contract_error, run_id)
  SELECT source, endpoint, key, fetched_at, http_status, sha256, body, quarantined, contract_error, run_id
  FROM incoming ORDER BY ordinal
  ON CONFLICT DO NOTHING
  RETURNING id, source, endpoint, key, sha256
)
SELECT incoming.ordinal, coalesce(inserted.id, held.id) AS id, inserted.id IS NOT NULL AS is_new
FROM incoming
LEFT JOIN inserted USING (source, endpoint, key, sha256)
LEFT JOIN raw.payloads held
  ON (held.source, held.endpoint, held.key, held.sha256) = (incoming.source, incoming.endpoint, incoming.key, incoming.sha256)
ORDER BY incoming.ordinal`,
  );
  return Promise.all(
    found.map(async (row) => {
      const payload = payloads[row.ordinal] as PayloadToStore;
      const sha256 = incoming[row.ordinal]?.sha256 as string;
      // Stored by a concurrent transaction that committed after this statement began.
      const id = row.id === null ? await existingId(db, payload, sha256) : Number(row.id);
      return { id, sha256, isNew: row.is_new };
    }),
  );
}

async function existingId(db: Db, payload: PayloadToStore, sha256: string): Promise<number> {
  const [existing] = await db
    .select({ id: raw.payloads.id })
    .from(raw.payloads)
    .where(
      and(
        eq(raw.payloads.source, payload.source),
        eq(raw.payloads.endpoint, payload.endpoint),
        eq(raw.payloads.key, payload.key),
        eq(raw.payloads.sha256, sha256),
      ),
    );
  if (!existing)
    throw new Error(`payload ${payload.source} ${payload.endpoint} ${payload.key} vanished while being stored`);
  return existing.id;
}
