import type { Config } from '@matchflow/config';
import { createDb } from '@matchflow/db';
import { RAW_REBUILD_KINDS, rebuildFromRaw, type SeasonRebuild } from '@matchflow/pipeline';
import { createLogger } from '@matchflow/telemetry';
import { withDemo } from '../embedded/demo.js';
import { UsageError } from '../usage-error.js';

export interface RebuildOptions {
  fromRaw: boolean;
  competition: string | undefined;
  json: boolean;
}

/**
 * `matchflow rebuild --from-raw [--competition ID] [--json]`: re-normalise the stored raw payloads
 * into core (no upstream calls), re-rate, rebuild and publish, one run per competition-season
 * (docs/running.md "Rebuilding from raw"). Exit 0 when every season published or was unchanged,
 * 1 when one was blocked, failed or skipped.
 */
export async function rebuildCommand(
  configured: Config,
  options: RebuildOptions,
  out: (line: string) => void,
): Promise<number> {
  // Only one mode so far; the flag keeps room for others (e.g. from the upstream again).
  if (!options.fromRaw) throw new UsageError('rebuild needs --from-raw (re-normalise the stored raw payloads)');
  let config = configured;
  if (config.competitions.length === 0) {
    // What `npm start` ran without configuration; the source's URL is never called here.
    config = withDemo(config, 'http://127.0.0.1:9');
    out('no competitions configured: rebuilding the demo competition that npm start runs');
  }
  if (options.competition !== undefined) {
    const competition = config.competitions.find((candidate) => candidate.id === options.competition);
    if (!competition) {
      const known = config.competitions.map((candidate) => candidate.id).join(', ') || 'none';
      throw new UsageError(`unknown competition '${options.competition}' (configured: ${known})`);
    }
    const kind = config.sources[competition.source]?.kind;
    if (kind === undefined || !RAW_REBUILD_KINDS.includes(kind))
      throw new UsageError(
        `rebuild --from-raw is available for ${RAW_REBUILD_KINDS.join(' and ')} sources, ` +
          `not for ${competition.id} (a ${kind ?? 'unknown'} source: no raw normaliser)`,
      );
  }

  const logger = createLogger({ service: 'rebuild', level: 'warn', destination: process.stderr });
  const database = await createDb(config);
  try {
    const { seasons } = await rebuildFromRaw(
      { db: database.db, config, logger },
      options.competition === undefined ? {} : { competitionId: options.competition },
    );
    if (options.json) out(JSON.stringify({ seasons }, null, 2));
    else if (seasons.length === 0) out('nothing to rebuild: raw holds no matches of the competitions in scope');
    else for (const season of seasons) for (const line of describe(season)) out(line);
    return seasons.every((season) => season.status === 'ok') ? 0 : 1;
  } finally {
    await database.close();
  }
}

function describe(season: SeasonRebuild): string[] {
  const heading = `${season.competitionId} season ${season.season}`;
  if (season.status === 'skipped')
    return [`${heading}: skipped, run ${season.runningRunId ?? 'unknown'} is still going`];
  const lines = [`${heading} (run ${season.runId ?? '?'}): ${season.status}`];
  lines.push(
    `  payloads re-normalised: ${season.payloads}; matches: ${season.matches}; quarantined skipped: ${season.quarantinedSkipped}`,
  );
  for (const rejected of season.rejected.slice(0, 5))
    lines.push(`  rejected match ${rejected.match}: ${rejected.error}`);
  if (season.rejected.length > 5) lines.push(`  ... and ${season.rejected.length - 5} more rejected`);
  if (season.pools.length > 0)
    lines.push(`  pools re-rated: ${season.pools.map((pool) => `${pool.pool} (${pool.matches} matches)`).join(', ')}`);
  if (season.quality) {
    const failed = season.quality.failed.length > 0 ? ` (failed: ${season.quality.failed.join(', ')})` : '';
    lines.push(`  build quality score: ${season.quality.score}${failed}`);
  }
  const publish = season.publish;
  if (publish?.status === 'published') lines.push(`  published ${publish.version} (content ${publish.contentHash})`);
  else if (publish?.status === 'unchanged')
    lines.push(`  unchanged, same content as ${publish.version} (content ${publish.contentHash})`);
  else if (publish?.status === 'blocked') lines.push(`  publishing blocked: ${publish.failed.join(', ')}`);
  if (season.status === 'failed') lines.push(`  failed at ${season.failedStage ?? '?'}: ${season.error ?? ''}`);
  return lines;
}
