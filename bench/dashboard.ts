import { performance } from 'node:perf_hooks';
import { loadConfig } from '@matchflow/config';
import { createDashboardServer } from '@matchflow/dashboard';
import { migrate, openPglite } from '@matchflow/db';
import { createLogger } from '@matchflow/telemetry';
import { sql } from 'drizzle-orm';
import type { BenchEnv } from './fleet.js';

/*
 * The dashboard's pages over a full ops and ratings zone, in an embedded PGlite (the default
 * install): 14 days of minute samples for a fleet of 8 queues, 2 sources and 3 processes
 * (retention.samplesDays' worth), 50 runs of 380 ingest jobs, and a rating pool of 200 teams and
 * 20,000 matches. Each page is fetched over HTTP, the first time and then 10 more; the median of
 * those is the figure (fetch takes gzip, as a browser does). The ops page also reads Redis (breakers, limiters, queue depths) under a
 * prefix of this run's own, empty.
 */

export interface DashboardFigures {
  samples: number;
  stageRows: number;
  ratedMatches: number;
  pages: Array<{ path: string; firstMs: number; medianMs: number; bytes: number; wireBytes: number }>;
}

const SAMPLE_DAYS = 14;
const QUEUES = ['discover', 'ingest', 'ratings', 'build', 'players', 'odds', 'maintenance', 'schedule'];
const RUNS = 50;
const INGESTS_PER_RUN = 380;
const TEAMS = 200;
const MATCHES = 20_000;
const REPEATS = 10;

export async function benchDashboard(env: BenchEnv): Promise<DashboardFigures> {
  const database = await openPglite();
  try {
    await migrate(database);
    const db = database.db;
    const now = Date.now();
    const minutes = SAMPLE_DAYS * 24 * 60;
    const start = sql`to_timestamp(${Math.floor(now / 60_000) * 60 - minutes * 60})`;
    // Subjects as the sampler names them: gauges and the fleet's cumulative counters.
    const subjects: Array<[string, string]> = [
      ['redis.used_memory', ''],
      ...QUEUES.flatMap(
        (queue): Array<[string, string]> =>
          ['queue.waiting', 'queue.active', 'queue.delayed', 'queue.failed'].map((metric) => [metric, queue]),
      ),
      ...['sofascore', 'openfootball'].flatMap(
        (source): Array<[string, string]> => [
          ['upstream.requests', `${source}:200`],
          ['upstream.requests', `${source}:429`],
          ['upstream.requests', `${source}:503`],
          ['upstream.waits', `${source}:budget`],
          ['upstream.wait_ms', `${source}:budget`],
          ['breaker.open', source],
        ],
      ),
      ['freshness.age_hours', 'demo-league'],
      ['freshness.age_hours', 'demo-cup'],
      ...['worker@bench:1', 'worker@bench:2', 'scheduler@bench:3'].flatMap(
        (process): Array<[string, string]> => [
          ['process.rss_bytes', process],
          ['process.cpu_percent', process],
        ],
      ),
    ];
    for (const [metric, subject] of subjects) {
      await db.execute(sql`INSERT INTO ops.samples (sampled_at, metric, subject, value)
        SELECT ${start} + m * interval '1 minute', ${metric}, ${subject},
          CASE WHEN ${metric} LIKE 'upstream.%' THEN m * 3 ELSE 50 + 40 * sin(m / 90.0) END
        FROM generate_series(0, ${minutes}) m`);
    }
    await db.execute(sql`INSERT INTO ops.pipeline_runs (run_id, trigger, scope, env, status, started_at, finished_at, counters)
      SELECT 'bench-run-' || r, 'schedule',
        jsonb_build_object('source', 'sofascore', 'competitionId', 'demo-league', 'competition', '1001', 'season', '50001'),
        'bench', CASE WHEN r % 10 = 0 THEN 'partial' ELSE 'ok' END,
        to_timestamp(${now / 1000}) - (${RUNS} - r) * interval '6 hours',
        to_timestamp(${now / 1000}) - (${RUNS} - r) * interval '6 hours' + interval '90 seconds',
        jsonb_build_object('matches', 380, 'qualityScore', 0.98)
      FROM generate_series(1, ${RUNS}) r`);
    await db.execute(sql`INSERT INTO ops.stage_runs (run_id, stage, scope_key, status, started_at, finished_at, counters)
      SELECT 'bench-run-' || r, 'ingest', 'match-' || i, 'ok',
        to_timestamp(${now / 1000}) - (${RUNS} - r) * interval '6 hours' + (i % 60) * interval '1 second',
        to_timestamp(${now / 1000}) - (${RUNS} - r) * interval '6 hours' + (i % 60 + 2) * interval '1 second',
        jsonb_build_object('requests', 3)
      FROM generate_series(1, ${RUNS}) r, generate_series(1, ${INGESTS_PER_RUN}) i`);
    await db.execute(sql`INSERT INTO ratings.pools (id, params, params_hash) VALUES ('bench', '{}'::jsonb, 'bench')`);
    await db.execute(sql`INSERT INTO core.participants (id, kind, name)
      SELECT 'bench.team.' || t, 'team', 'Team ' || t FROM generate_series(1, ${TEAMS}) t`);
    await db.execute(sql`INSERT INTO ratings.match_ratings (pool_id, match_id, start_time, home_id, away_id,
        home_pre, away_pre, home_post, away_post, expected_home, actual_home)
      SELECT 'bench', 'bench.match.' || lpad(m::text, 6, '0'), timestamptz '2000-01-01Z' + m * interval '8 hours',
        'bench.team.' || (m % ${TEAMS} + 1), 'bench.team.' || ((m * 7 + 3) % ${TEAMS} + 1),
        1500 + 100 * sin(m), 1500 + 100 * cos(m), 1505 + 100 * sin(m), 1495 + 100 * cos(m),
        0.5 + sin(m) / 3, (m % 3) / 2.0
      FROM generate_series(1, ${MATCHES}) m`);
    await db.execute(sql`INSERT INTO ratings.current_ratings (pool_id, participant_id, rating, games)
      SELECT 'bench', 'bench.team.' || t, 1500 + 200 * sin(t), ${Math.round((2 * MATCHES) / TEAMS)}
      FROM generate_series(1, ${TEAMS}) t`);

    const config = loadConfig(
      {},
      JSON.stringify({
        redis: { url: env.redisUrl, prefix: `${env.prefix}:dashboard` },
        sources: { sofascore: { kind: 'sofascore', baseUrl: 'http://127.0.0.1:9' } },
        ratingPools: { football: {} },
        competitions: [
          { id: 'demo-league', source: 'sofascore', competition: 1001, seasons: [50001], ratingPool: 'football' },
        ],
      }),
    );
    const server = await createDashboardServer({
      config,
      db,
      logger: createLogger({ service: 'bench', level: 'silent' }),
      port: 0,
    });
    const top = 'bench.team.1';
    const pages: DashboardFigures['pages'] = [];
    try {
      for (const path of ['/', '/ratings', '/ratings/bench', `/ratings/bench/${top}`]) {
        const times: number[] = [];
        let bytes = 0;
        let wireBytes = 0;
        for (let attempt = 0; attempt <= REPEATS; attempt += 1) {
          const started = performance.now();
          const response = await fetch(`${server.url}${path}`);
          const body = await response.text();
          times.push(performance.now() - started);
          if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status}: ${body.slice(0, 200)}`);
          bytes = body.length;
          // fetch asks for gzip and inflates; the header says what crossed the wire.
          wireBytes = Number(response.headers.get('content-length') ?? body.length);
        }
        const [first, ...rest] = times;
        rest.sort((a, b) => a - b);
        pages.push({ path, firstMs: first ?? 0, medianMs: rest[Math.floor(rest.length / 2)] ?? 0, bytes, wireBytes });
      }
    } finally {
      await server.close();
    }
    return {
      samples: subjects.length * (minutes + 1),
      stageRows: RUNS * INGESTS_PER_RUN,
      ratedMatches: MATCHES,
      pages,
    };
  } finally {
    await database.close();
  }
}
