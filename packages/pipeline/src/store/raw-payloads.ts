import { createHash } from 'node:crypto';
import { type Db, raw } from '@matchflow/db';
import { and, eq } from 'drizzle-orm';

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
  const sha256 = sha256Hex(payload.text);
  const inserted = await db
    .insert(raw.payloads)
    .values({
      source: payload.source,
      endpoint: payload.endpoint,
      key: payload.key,
      fetchedAt: payload.fetchedAt,
      httpStatus: payload.httpStatus,
      sha256,
      body: payload.body,
      quarantined: payload.contractError !== undefined,
      contractError: payload.contractError,
      runId: payload.runId,
    })
    .onConflictDoNothing()
    .returning({ id: raw.payloads.id });
  if (inserted[0]) return { id: inserted[0].id, sha256, isNew: true };
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
  return { id: existing.id, sha256, isNew: false };
}
