import path from 'node:path';
import type { Config } from '@matchflow/config';
import { createDb, migrate } from '@matchflow/db';
import { Fleet, readLatestVersion, triggerRun } from '@matchflow/pipeline';
import { assertNoEviction, createRedis } from '@matchflow/queues';
import { type ReplayServer, startReplay } from '@matchflow/replay';
import { createLogger } from '@matchflow/telemetry';
import { withDemo } from '../embedded/demo.js';
import { ensureRedis } from '../embedded/redis.js';
import { progressLine, runSummary, waitForRuns } from '../embedded/run-report.js';

export interface StartOptions {
  once: boolean;
}

/**
 * `npm start`: everything in one process on embedded defaults (DESIGN §10): the configured
 * Redis or a private redis-server, PGlite under dataDir unless DATABASE_URL, the replay upstream
 * as the source when no competitions are configured, and the fleet. Runs every tracked
 * competition-season once with a progress display, prints a summary, then exits (`--once`) or
 * keeps serving until Ctrl-C.
 */
export async function start(config: Config, out: (line: string) => void, options: StartOptions): Promise<number> {
  const tty = process.stdout.isTTY === true;
  let replay: ReplayServer | undefined;
  let effective = config;
  if (config.competitions.length === 0) {
    replay = await startReplay({ port: 0, seed: 7 });
    effective = withDemo(config, replay.apiUrl);
    out(`matchflow: no competitions configured: running the demo against the replay upstream at ${replay.apiUrl}`);
  }
  const redis = await ensureRedis(effective.redis.url);
  effective = { ...effective, redis: { ...effective.redis, url: redis.url } };
  out(`matchflow: Redis ${redis.private ? `(private redis-server) ${redis.url}` : redis.url}`);
  const probe = createRedis(redis.url, 'client');
  try {
    await assertNoEviction(probe);
  } finally {
    probe.disconnect();
  }

  const database = await createDb(effective);
  await migrate(database);
  out(`matchflow: database ${database.location}`);
  // Logs go to stderr, warnings and worse only, so the progress display stays readable.
  const logger = createLogger({ service: 'start', level: 'warn', destination: process.stderr });
  const fleet = Fleet.start({ config: effective, db: database.db, logger });

  const shutdown = async () => {
    await fleet.stop();
    await database.close();
    await redis.stop();
    await replay?.close();
  };

  const started = performance.now();
  const runIds: string[] = [];
  for (const competition of effective.competitions) {
    for (const season of competition.seasons) {
      const run = await triggerRun(
        { db: database.db, producer: fleet.producer, config: effective },
        { competitionId: competition.id, season, mode: 'changed', trigger: 'start' },
      );
      if (run.outcome === 'started') runIds.push(run.runId);
      else
        out(
          `matchflow: ${competition.id} season ${season}: a run is already going (${run.runningRunId ?? 'unknown'}), skipped`,
        );
    }
  }
  out(`matchflow: ${runIds.length} run(s) started`);
  let lastPlain = 0;
  await waitForRuns(database.db, runIds, (progress) => {
    const line = progressLine(progress, performance.now() - started);
    if (tty) process.stdout.write(`\r${line}`);
    else if (performance.now() - lastPlain > 5_000 || progress.closed >= progress.runs) {
      lastPlain = performance.now();
      out(line);
    }
  });
  if (tty) process.stdout.write('\n');

  const summary = await runSummary(database.db, runIds);
  out('');
  out(`matchflow: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (const line of summary) out(line);
  out('');
  out(`data: ${database.location} (zones raw, core, ratings, curated, ops)`);
  const latest = await readLatestVersion(effective.publishDir);
  out(
    latest
      ? `published: ${path.join(effective.publishDir, latest)} (CSV + NDJSON per table, manifest.json; docs/consumption.md)`
      : `published: nothing yet under ${effective.publishDir}`,
  );
  const failed = summary.some((line) => /: (failed|partial) ·/.test(line));

  if (options.once) {
    await shutdown();
    return failed ? 1 : 0;
  }
  out('matchflow: serving; scheduled updates come with the operations work. Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await shutdown();
  return failed ? 1 : 0;
}
