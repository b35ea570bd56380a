import type { Config } from '@matchflow/config';
import { createDb } from '@matchflow/db';
import { triggerRun } from '@matchflow/pipeline';
import { assertNoEviction, createRedis, Producer } from '@matchflow/queues';
import { runSummary, waitForRuns } from '../embedded/run-report.js';
import { UsageError } from '../usage-error.js';

export interface RunOptions {
  competition: string | undefined;
  season: string | undefined;
  full: boolean;
  wait: boolean;
}

/**
 * `matchflow run --competition ID --season ID [--full] [--wait]`: start a run for the workers to
 * carry out; with `--wait`, follow it to the end. Exit 0 when ok, 1 when partial or failed.
 */
export async function runCommand(config: Config, options: RunOptions, out: (line: string) => void): Promise<number> {
  if (!options.competition || !options.season) throw new UsageError('run needs --competition ID and --season ID');
  if (!config.database.url) {
    throw new UsageError(
      'run hands work to worker processes, which need a shared database: set DATABASE_URL (with the embedded database, use npm start)',
    );
  }
  // Checked here, before any connection: triggerRun's own check would end as a crash (exit 1).
  const competition = config.competitions.find((candidate) => candidate.id === options.competition);
  if (!competition) {
    const known = config.competitions.map((candidate) => candidate.id).join(', ') || 'none';
    throw new UsageError(`unknown competition '${options.competition}' (configured: ${known})`);
  }
  if (!competition.seasons.includes(options.season)) {
    throw new UsageError(
      `season '${options.season}' is not tracked for ${competition.id} (tracked: ${competition.seasons.join(', ')})`,
    );
  }
  const database = await createDb(config);
  const connection = createRedis(config.redis.url, 'client');
  const producer = new Producer({ connection, prefix: config.redis.prefix, config });
  try {
    await assertNoEviction(connection);
    const started = await triggerRun(
      { db: database.db, producer, config },
      {
        competitionId: options.competition,
        season: options.season,
        mode: options.full ? 'full' : 'changed',
        trigger: 'cli',
      },
    );
    if (started.outcome === 'skipped') {
      out(
        `a run for ${options.competition} season ${options.season} is still going (${started.runningRunId ?? 'unknown'}): skipped`,
      );
      return 0;
    }
    out(`run ${started.runId} started`);
    if (!options.wait) return 0;
    await waitForRuns(database.db, [started.runId], () => {}, 500);
    const summary = await runSummary(database.db, [started.runId]);
    for (const line of summary) out(line);
    return summary.some((line) => /: ok ·/.test(line)) ? 0 : 1;
  } finally {
    await producer.close();
    connection.disconnect();
    await database.close();
  }
}
