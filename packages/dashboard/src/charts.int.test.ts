import { ops } from '@matchflow/db';
import { type TestDatabase, testBackends } from '@matchflow/db/testing';
import { createLogger } from '@matchflow/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboardServer, type DashboardServer } from './server.js';
import { type DashboardFixture, dashboardTestConfig, startDashboardFixture } from './testing/dashboard-fixture.js';

/*
 * The ops page's Trends section over ops rows written here: runs over several days (one too old
 * for the window, one still running, a run of a standalone stage that must not count), stage rows
 * with parallel ingest jobs. Real HTTP, a real database (PGlite, and PostgreSQL when
 * TEST_DATABASE_URL is set) and real Redis under a prefix of the test's own.
 */

const logger = createLogger({ service: 'test', level: 'silent' });
const NOW = Date.parse('2026-03-10T12:00:00.000Z');
const MINUTE = 60_000;
const DAY = 86_400_000;
const at = (iso: string) => new Date(iso);
const HOSTILE = '<script>alert("owned")</script>';

const league = { source: 'sofascore', competitionId: 'demo-league', competition: '1001', season: '50001' };

/** The competition runs the charts must plot, oldest first. */
const RUNS = [
  {
    runId: 'trend-1',
    status: 'ok' as const,
    startedAt: at('2026-03-08T06:00:00Z'),
    minutes: 10,
    counters: { matches: 12, qualityScore: 1 },
  },
  {
    runId: 'trend-2',
    status: 'partial' as const,
    startedAt: at('2026-03-09T06:00:00Z'),
    minutes: 20,
    counters: { matches: 9, qualityScore: 0.75 },
  },
  {
    runId: 'trend-3',
    status: 'failed' as const,
    startedAt: at('2026-03-09T18:00:00Z'),
    minutes: 2,
    counters: {},
  },
  {
    runId: 'trend-4',
    status: 'ok' as const,
    startedAt: at('2026-03-10T06:00:00Z'),
    minutes: 5,
    counters: { matches: 3, qualityScore: 0.5 },
  },
  { runId: 'trend-5', status: 'running' as const, startedAt: at('2026-03-10T11:50:00Z'), minutes: null, counters: {} },
];

async function seed(database: TestDatabase): Promise<void> {
  await database.db.insert(ops.pipelineRuns).values([
    ...RUNS.map((run) => ({
      runId: run.runId,
      trigger: 'schedule',
      scope: league,
      env: 'dev',
      status: run.status,
      ...(run.status === 'failed' ? { failedStage: 'ingest', error: HOSTILE } : {}),
      startedAt: run.startedAt,
      finishedAt: run.minutes === null ? null : new Date(run.startedAt.getTime() + run.minutes * MINUTE),
      counters: run.counters,
    })),
    // Outside the 14-day window.
    {
      runId: 'trend-old',
      trigger: 'schedule',
      scope: league,
      env: 'dev',
      status: 'ok',
      startedAt: new Date(NOW - 20 * DAY),
      finishedAt: new Date(NOW - 20 * DAY + MINUTE),
      counters: { matches: 99 },
    },
    // A run of a standalone stage: not a competition run.
    {
      runId: 'trend-stage-run',
      trigger: 'schedule',
      scope: { stage: 'players', queue: 'players', scope: 'all' },
      env: 'dev',
      status: 'failed',
      failedStage: 'players',
      startedAt: at('2026-03-10T03:00:00Z'),
      finishedAt: at('2026-03-10T03:01:00Z'),
      counters: { processed: 4 },
    },
  ]);
  const start = RUNS[0]?.startedAt.getTime() ?? 0;
  const row = (stage: string, scopeKey: string, fromMin: number, toMin: number, requests?: number) => ({
    runId: 'trend-1',
    stage,
    scopeKey,
    status: 'ok' as const,
    startedAt: new Date(start + fromMin * MINUTE),
    finishedAt: new Date(start + toMin * MINUTE),
    durationMs: (toMin - fromMin) * MINUTE,
    counters: requests === undefined ? {} : { requests },
  });
  await database.db.insert(ops.stageRuns).values([
    row('discover', 'demo-league.50001', 0, 1, 2),
    // Three parallel ingest jobs from minute 1 to minute 5: 4 minutes of wall time, 9 summed.
    row('ingest', 'm1', 1, 4, 3),
    row('ingest', 'm2', 1, 5, 4),
    row('ingest', 'm3', 2, 4, 5),
    row('ratings', 'football', 5, 6),
    row('build', 'demo-league.50001', 6, 9),
    row('publish', 'demo-league.50001', 9, 10),
    { ...row('discover', 'demo-league.50001', 0, 1, 7), runId: 'trend-4' },
    { ...row('players', 'all', 0, 1, 50), runId: 'trend-stage-run' },
  ]);
}

/** The markup of one chart's `<figure>`. */
function chart(page: string, id: string): string {
  const start = page.indexOf(`<figure class="chart-box" data-chart="${id}">`);
  expect(start, id).toBeGreaterThan(-1);
  return page.slice(start, page.indexOf('</figure>', start));
}

/** `data-<name>` of every `<tag>` in `markup` that has one. */
function attributes(markup: string, tag: string, name: string): string[] {
  return [...markup.matchAll(new RegExp(`<${tag}\\b[^>]*\\bdata-${name}="([^"]*)"`, 'g'))].map(
    (match) => match[1] as string,
  );
}

/** `{ run: value }` of the points of one series of a line chart. */
function points(markup: string, series: string): Record<string, number> {
  return Object.fromEntries(
    [...markup.matchAll(/<circle\b[^>]*data-series="([^"]*)" data-value="([^"]*)" data-run="([^"]*)"/g)]
      .filter((match) => match[1] === series)
      .map((match) => [match[3] as string, Number(match[2])]),
  );
}

describe.each(testBackends(process.env))('the Trends section on %s', (backend) => {
  let fixture: DashboardFixture;
  let server: DashboardServer;
  let redis: { prefix: string };
  let publishDir: string;
  let page: string;

  beforeAll(async () => {
    fixture = await startDashboardFixture({
      backend,
      label: 'dashboard-trends',
      seed: seed,
      now: () => NOW,
    });
    ({ server, redis, publishDir } = fixture);
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    page = await response.text();
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('has six charts, each an accessible SVG with its data as a table', () => {
    const section = page.slice(page.indexOf('<section id="trends">'), page.indexOf('<section id="freshness">'));
    const ids = ['outcomes', 'duration', 'stages', 'matches', 'quality', 'requests'].map((name) => `trend-${name}`);
    for (const id of ids) {
      const markup = chart(section, id);
      expect(markup, id).toContain(`role="img" aria-labelledby="${id}-title ${id}-desc"`);
      expect(markup, id).toMatch(new RegExp(`<title id="${id}-title">[^<]+</title><desc id="${id}-desc">[^<]+</desc>`));
      expect(markup, id).toContain(`<table id="${id}-table">`);
    }
    expect(section).not.toContain(HOSTILE);
    expect(section).not.toContain('<script');
  });

  it('run outcomes per UTC day over 14 days, stacked; the old run and the stage run left out', () => {
    const markup = chart(page, 'trend-outcomes');
    const parts = [
      ...markup.matchAll(/<rect\b[^>]*data-category="([^"]*)" data-series="([^"]*)" data-value="([^"]*)"/g),
    ]
      .map((match) => `${match[1]} ${match[2]} ${match[3]}`)
      .sort();
    expect(parts).toEqual([
      '2026-03-08 ok 1',
      '2026-03-09 failed 1',
      '2026-03-09 partial 1',
      '2026-03-10 ok 1',
      '2026-03-10 running 1',
    ]);
    const table = markup.slice(markup.indexOf('<table'));
    const days = attributes(table, 'tr', 'category');
    expect(days).toHaveLength(14);
    expect(days[0]).toBe('2026-02-25');
    expect(days[13]).toBe('2026-03-10');
    expect(table).toContain(
      '<th scope="row">03-10</th><td class="num">1</td><td class="num">0</td><td class="num">0</td><td class="num">1</td><td class="num">2</td>',
    );
  });

  it('run duration per finished run, failed and partial runs marked', () => {
    const markup = chart(page, 'trend-duration');
    expect(points(markup, 'run')).toEqual({
      'trend-1': 10 * MINUTE,
      'trend-2': 20 * MINUTE,
      'trend-3': 2 * MINUTE,
      'trend-4': 5 * MINUTE,
    });
    expect(markup).toMatch(/<circle class="point s0 bad"[^>]*data-run="trend-3"/);
    expect(markup).toMatch(/<circle class="point s0 warn"[^>]*data-run="trend-2"/);
    // The table lists every run in the window, the running one without a duration.
    const table = markup.slice(markup.indexOf('<table'));
    expect(attributes(table, 'tr', 'run')).toEqual(['trend-1', 'trend-2', 'trend-3', 'trend-4', 'trend-5']);
    expect(table).toContain('<th scope="row">2026-03-08 06:00 trend-1</th><td class="num">10 min 0 s</td>');
    expect(table).toMatch(/trend-5<\/th><td class="num">—<\/td>/);
    expect(markup).not.toContain('trend-old');
    expect(markup).not.toContain('trend-stage-run');
  });

  it('stage durations: a series per stage in the registry order, ingest as its wall time', () => {
    const markup = chart(page, 'trend-stages');
    expect(attributes(markup, 'g', 'series')).toEqual(['discover', 'ingest', 'ratings', 'build', 'publish']);
    expect(points(markup, 'ingest')).toEqual({ 'trend-1': 4 * MINUTE });
    expect(points(markup, 'build')).toEqual({ 'trend-1': 3 * MINUTE });
    expect(points(markup, 'discover')).toEqual({ 'trend-1': MINUTE, 'trend-4': MINUTE });
    expect(markup).not.toContain('players');
  });

  it('matches, quality score and upstream requests per run', () => {
    expect(points(chart(page, 'trend-matches'), 'matches')).toEqual({ 'trend-1': 12, 'trend-2': 9, 'trend-4': 3 });
    expect(points(chart(page, 'trend-quality'), 'quality')).toEqual({ 'trend-1': 1, 'trend-2': 0.75, 'trend-4': 0.5 });
    expect(chart(page, 'trend-quality')).toContain('<td class="num">0.75</td>');
    // trend-1: 2 + 3 + 4 + 5; trend-4: 7; runs without stage rows made none.
    expect(points(chart(page, 'trend-requests'), 'requests')).toEqual({
      'trend-1': 14,
      'trend-2': 0,
      'trend-3': 0,
      'trend-4': 7,
      'trend-5': 0,
    });
  });

  it('shows a database that is away in the section, the rest of the page still served', async () => {
    const config = dashboardTestConfig(redis.prefix, publishDir);
    const away = await createDashboardServer({
      config,
      logger,
      db: {
        execute: () => Promise.reject(new Error('connection refused')),
      } as unknown as TestDatabase['db'],
      port: 0,
      now: () => NOW,
    });
    try {
      const response = await fetch(`${away.url}/`);
      expect(response.status).toBe(200);
      const body = await response.text();
      expect(body).toContain(
        '<section id="trends"><h2>Trends</h2><p class="error">unavailable: connection refused</p>',
      );
      expect(body).toContain('<section id="stages">');
    } finally {
      await away.close();
    }
  });
});
