import path from 'node:path';
import type { Config } from '@matchflow/config';
import { createDashboardServer, DashboardListenError, type DashboardServer } from '@matchflow/dashboard';
import { createDb, migrate } from '@matchflow/db';
import {
  Fleet,
  guardAgainstDriverCrashes,
  readLatestVersion,
  startAlertLoop,
  startScheduler,
  triggerRun,
} from '@matchflow/pipeline';
import { assertNoEviction, createRedis } from '@matchflow/queues';
import { type ReplayServer, startReplay } from '@matchflow/replay';
import { createLogger, startProcessReporter } from '@matchflow/telemetry';
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
  const replacePool = guardAgainstDriverCrashes(database, logger, 'start');
  const fleet = Fleet.start({ config: effective, db: database.db, logger, onDatabaseUnavailable: replacePool });

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
  // The dashboard in this process, over this process's database (PGlite allows one process).
  let dashboard: DashboardServer;
  try {
    dashboard = await createDashboardServer({
      config: effective,
      db: database.db,
      logger: createLogger({ service: 'dashboard', level: 'warn', destination: process.stderr }),
    });
  } catch (error) {
    await shutdown();
    if (error instanceof DashboardListenError && error.code === 'EADDRINUSE') {
      process.stderr.write(
        `matchflow: cannot serve the dashboard: port ${error.port} on ${error.host} is already in use ` +
          '(another matchflow start or dashboard?). Stop it, or pick another port: MATCHFLOW_DASHBOARD__PORT=3001 npm start\n',
      );
      return 1;
    }
    process.stderr.write(
      `matchflow: cannot serve the dashboard: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
  // Keep the data fresh on the configured schedules (hourly by default) and watch for problems.
  const scheduler = await startScheduler({ config: effective, db: database.db, logger, producer: fleet.producer });
  const alertsRedis = createRedis(redis.url, 'client');
  alertsRedis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  const alerts = startAlertLoop({ db: database.db, redis: alertsRedis, config: effective, logger });
  // RSS and CPU every 15 s, for the ops samples (docs/dashboard.md).
  const reporter = startProcessReporter({ redis: alertsRedis, prefix: effective.redis.prefix, role: 'start' });
  out(`matchflow: dashboard ${dashboard.url} (ops page /, Bull Board /queues, API /api, metrics /metrics)`);
  out(
    `matchflow: serving; scheduled updates: ${effective.competitions.map((competition) => `${competition.id} ${competition.schedule} ${competition.timezone}`).join(', ')}. Ctrl-C to stop.`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await scheduler.stop();
  await alerts.stop();
  await reporter.stop();
  alertsRedis.disconnect();
  await dashboard.close();
  await shutdown();
  return failed ? 1 : 0;
}
