import type { Config } from '@matchflow/config';
import { createDb } from '@matchflow/db';
import { findRun, latestQualityRun, qualityResults, type RunListing } from '@matchflow/pipeline';
import { clip, json, utcTime } from '../format.js';
import { describeScope, type Io, qualityHeadline, qualityTable } from './runs.js';

/** Sample rows shown per check that did not pass (`--json` has all of them). */
const SAMPLES_SHOWN = 3;

/**
 * `matchflow dq [--run ID] [--json]`: the quality results of a run (default: the newest run that
 * has any): check, scope, severity, status, observed against threshold, and sample rows of the
 * checks that did not pass. Exit 1 when a check failed (status `fail`) or the run is unknown.
 */
export async function dataQuality(
  config: Config,
  options: { runId: string | undefined; json: boolean },
  io: Io,
): Promise<number> {
  const database = await createDb(config);
  try {
    let run: RunListing | undefined;
    if (options.runId !== undefined) {
      run = await findRun(database.db, options.runId);
      if (!run) {
        io.err(`matchflow: no run '${options.runId}' (matchflow runs list shows the recent ones)`);
        return 1;
      }
    } else {
      run = await latestQualityRun(database.db);
    }
    const results = run ? await qualityResults(database.db, run.runId) : [];
    const failed = results.filter((result) => result.status === 'fail').length;
    if (options.json) {
      io.out(
        json({
          run: run ? { runId: run.runId, scope: run.scope, status: run.status, startedAt: run.startedAt } : null,
          passed: results.filter((result) => result.status === 'pass').length,
          warned: results.filter((result) => result.status === 'warn').length,
          failed,
          results,
        }),
      );
      return failed > 0 ? 1 : 0;
    }
    if (!run) {
      io.out('no quality results recorded yet (a build records them)');
      return 0;
    }
    io.out(
      `quality results of run ${run.runId}: ${describeScope(run)}, started ${utcTime(run.startedAt)} UTC, ${run.status}` +
        qualityHeadline(results),
    );
    if (results.length === 0) {
      io.out('  none recorded for this run');
      return 0;
    }
    const lines = qualityTable(results);
    io.out(`  ${lines[0] ?? ''}`);
    results.forEach((result, index) => {
      io.out(`  ${lines[index + 1] ?? ''}`);
      if (result.status === 'pass' || result.sample.length === 0) return;
      for (const row of result.sample.slice(0, SAMPLES_SHOWN)) io.out(`      ${clip(JSON.stringify(row), 160)}`);
      if (result.sample.length > SAMPLES_SHOWN)
        io.out(`      ... ${result.sample.length - SAMPLES_SHOWN} more sample row(s) (--json)`);
    });
    if (failed > 0) io.out(`${failed} check(s) failed: publishing was blocked for this run`);
    return failed > 0 ? 1 : 0;
  } finally {
    await database.close();
  }
}
