import type { Config } from '@matchflow/config';
import { createDb } from '@matchflow/db';
import { checkHealth } from '@matchflow/pipeline';
import { commandRedis } from '../connect.js';
import { withDemo } from '../embedded/demo.js';
import { json, safeUrl } from '../format.js';
import type { Io } from './runs.js';

/**
 * `matchflow health [--json]`: Redis (PING, maxmemory-policy noeviction), the database (SELECT 1,
 * every migration applied) and each source's fleet-wide breaker (open = unhealthy). Exit 0
 * healthy, 1 unhealthy.
 */
export async function health(configured: Config, options: { json: boolean }, io: Io): Promise<number> {
  // With no competitions configured the fleet (npm start) runs the demo's source: check its breaker.
  const config = configured.competitions.length === 0 ? withDemo(configured, 'http://127.0.0.1:9') : configured;
  const { redis } = commandRedis(config.redis.url);
  const database = await createDb(config);
  try {
    const report = await checkHealth({ redis, redisLocation: safeUrl(config.redis.url), database, config });
    if (options.json) {
      io.out(json({ ...report, redis: safeUrl(config.redis.url), prefix: config.redis.prefix }));
    } else {
      const width = Math.max(...report.checks.map((check) => check.name.length));
      for (const check of report.checks)
        io.out(`${check.ok ? 'ok  ' : 'FAIL'}  ${check.name.padEnd(width)}  ${check.detail}`);
      io.out(
        report.healthy
          ? 'healthy'
          : `unhealthy: ${report.checks
              .filter((check) => !check.ok)
              .map((check) => check.name)
              .join(', ')}`,
      );
    }
    return report.healthy ? 0 : 1;
  } finally {
    redis.disconnect();
    await database.close().catch(() => {});
  }
}
