import { sql } from 'drizzle-orm';
import type { HttpResponse } from './http.js';
import type { DashboardResources } from './resources.js';

/** A dependency check that takes longer than this counts as failed: a probe must answer. */
export const PROBE_TIMEOUT_MS = 2_000;

export interface Readiness {
  status: 'ready' | 'unready';
  checks: { redis: CheckResult; database: CheckResult };
}

export type CheckResult = { ok: true; ms: number } | { ok: false; ms: number; error: string };

/** Redis answers PING and the database `SELECT 1`, each within `PROBE_TIMEOUT_MS`. */
export async function readiness(resources: DashboardResources): Promise<Readiness> {
  const [redis, database] = await Promise.all([
    timed(async () => {
      const reply = await resources.redis().ping();
      if (reply !== 'PONG') throw new Error(`PING answered ${reply}`);
    }),
    timed(async () => {
      await (await resources.db()).execute(sql`SELECT 1`);
    }),
  ]);
  return { status: redis.ok && database.ok ? 'ready' : 'unready', checks: { redis, database } };
}

/** /readyz: 200 when both answer, 503 naming what failed. */
export async function readyzResponse(resources: DashboardResources): Promise<HttpResponse> {
  const result = await readiness(resources);
  return { status: result.status === 'ready' ? 200 : 503, headers: { 'cache-control': 'no-store' }, body: result };
}

async function timed(check: () => Promise<void>): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
      }),
    ]);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, ms: Math.round(performance.now() - started), error: message };
  } finally {
    clearTimeout(timer);
  }
}
