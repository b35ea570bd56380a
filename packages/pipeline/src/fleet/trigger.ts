import type { Config } from '@matchflow/config';
import type { Db } from '@matchflow/db';
import { newRunId, type Producer, type Trigger } from '@matchflow/queues';
import { sql } from 'drizzle-orm';
import { createRun, discardRun, runningRunFor, scopeKey } from '../store/runs.js';

export interface RunRequest {
  competitionId: string;
  season: string;
  mode: 'changed' | 'full';
  trigger: Trigger;
  /** Only these upstream match ids of the season (a backfill's `--matches`). */
  matches?: string[];
  /** Only matches starting at or after `from` and before `to` (a backfill's `--from`/`--to`). */
  from?: Date;
  to?: Date;
}

export type RunStart = { outcome: 'started'; runId: string } | { outcome: 'skipped'; runningRunId: string | undefined };

/**
 * Start a run for one competition-season: record it, then enqueue its discover job. With the
 * `skip` overlap policy a scope whose previous run is still going gets no new run; with `queue`
 * the new run waits in its discover job until the older one is done.
 */
export async function triggerRun(
  deps: { db: Db; producer: Producer; config: Pick<Config, 'competitions' | 'env' | 'runs'> },
  request: RunRequest,
): Promise<RunStart> {
  const competition = deps.config.competitions.find((candidate) => candidate.id === request.competitionId);
  if (!competition) throw new Error(`unknown competition '${request.competitionId}'`);
  if (!competition.seasons.includes(request.season)) {
    throw new Error(
      `season '${request.season}' is not tracked for ${competition.id} (tracked: ${competition.seasons.join(', ')})`,
    );
  }
  const scope = {
    source: competition.source,
    competitionId: competition.id,
    competition: competition.competition,
    season: request.season,
  };
  const runId = newRunId();
  const run = { runId, trigger: request.trigger, scope, env: deps.config.env };
  if (deps.config.runs.overlap === 'skip') {
    // Look and record under the scope's lock: triggers at the same moment (two schedulers'
    // ticks, two CLIs) take turns, and the second finds the first's run. Without it both could
    // find the scope free; the discover job id would still stop the second, but not once the
    // first's discover has finished (it is removed on completion).
    const running = await deps.db.transaction(async (txn) => {
      const tx = txn as unknown as Db;
      await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`matchflow.run.${scopeKey(scope)}`}))`);
      const found = await runningRunFor(tx, scope, { staleAfterMs: deps.config.runs.staleAfterMs });
      if (!found) await createRun(tx, run);
      return found;
    });
    if (running) return { outcome: 'skipped', runningRunId: running };
  } else {
    await createRun(deps.db, run);
  }
  const { added } = await deps.producer.enqueueDiscover({
    ...scope,
    runId,
    mode: request.mode,
    trigger: request.trigger,
    ...(request.matches ? { matches: request.matches } : {}),
    ...(request.from ? { from: request.from.toISOString() } : {}),
    ...(request.to ? { to: request.to.toISOString() } : {}),
  });
  if (!added) {
    // Another run's discover for this scope is already queued: this one never did anything.
    await discardRun(deps.db, runId);
    return { outcome: 'skipped', runningRunId: await runningRunFor(deps.db, scope) };
  }
  return { outcome: 'started', runId };
}
