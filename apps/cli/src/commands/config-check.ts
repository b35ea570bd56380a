import type { Config } from '@matchflow/config';
import { pgliteDirectory } from '@matchflow/db';

type ConfigWithFile = Config & { configFile: string | undefined };

/** `matchflow config check`: the config is valid; say what it amounts to, secrets left out. */
export function checkConfig(config: ConfigWithFile, out: (line: string) => void): number {
  out(`configuration OK (${config.configFile ?? 'no file: defaults and environment only'})`);
  out(`  env:          ${config.env}`);
  out(
    `  database:     ${config.database.url ? 'PostgreSQL (DATABASE_URL / database.url)' : `embedded PGlite at ${pgliteDirectory(config.dataDir)}`}`,
  );
  out(`  redis:        ${redisHost(config.redis.url)} (prefix ${config.redis.prefix})`);
  out(
    `  sources:      ${describeList(Object.entries(config.sources).map(([name, source]) => `${name} (${source.kind})`))}`,
  );
  out(
    `  competitions: ${describeList(config.competitions.map((competition) => `${competition.id} [${competition.seasons.length} season(s)]`))}`,
  );
  out(`  rating pools: ${describeList(Object.keys(config.ratingPools))}`);
  out(`  publish to:   ${config.publishDir}`);
  return 0;
}

function describeList(items: string[]): string {
  return items.length === 0 ? 'none' : items.join(', ');
}

/** Host and port only: a Redis URL may carry a password. */
function redisHost(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}
