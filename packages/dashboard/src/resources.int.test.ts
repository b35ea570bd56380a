import { ops } from '@matchflow/db';
import { testBackends } from '@matchflow/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardServer } from './server.js';
import { type DashboardFixture, startDashboardFixture } from './testing/dashboard-fixture.js';

/*
 * The ops page's "Fleet resources and upstream" section over `ops.samples` rows written here
 * (what the sample-ops task writes): a sample too old for the 24 h window, two samples in one
 * 5-minute bucket, cumulative counters with a reset, 429s and 5xx, a breaker that opened twice.
 * Real HTTP, a real database (PGlite, and PostgreSQL when TEST_DATABASE_URL is set) and real
 * Redis under a prefix of the test's own.
 */

const NOW = Date.parse('2026-03-10T12:00:00.000Z');
const MINUTE = 60_000;
const MIB = 1_048_576;
/** The five sample times, ten minutes apart: 11:00 .. 11:40 UTC. */
const T = [60, 50, 40, 30, 20].map((minutesAgo) => NOW - minutesAgo * MINUTE);
/** `data-at` of a time: `2026-03-10T11:00`. */
const at = (ms: number) => new Date(ms).toISOString().slice(0, 16);

type Row = { sampledAt: Date; metric: string; subject: string; value: number };

/** Rows of one metric and subject, a value per time of T (null: not sampled then). */
function series(metric: string, subject: string, values: ReadonlyArray<number | null>): Row[] {
  return values.flatMap((value, index) =>
    value === null ? [] : [{ sampledAt: new Date(T[index] as number), metric, subject, value }],
  );
}

const ROWS: Row[] = [
  ...series(
    'redis.used_memory',
    '',
    [100, 110, 120, 130, 140].map((mib) => mib * MIB),
  ),
  // Later in the last bucket: the bucket shows the largest.
  { sampledAt: new Date((T[4] as number) + MINUTE), metric: 'redis.used_memory', subject: '', value: 150 * MIB },
  // Older than the window.
  { sampledAt: new Date(NOW - 25 * 60 * MINUTE), metric: 'redis.used_memory', subject: '', value: 999 * MIB },
  ...series('queue.waiting', 'ingest', [0, 5, 10, 3, 0]),
  ...series('queue.delayed', 'ingest', [0, 1, 0, 0, 0]),
  ...series('queue.waiting', 'build', [0, 0, 0, 0, 0]),
  ...series('queue.delayed', 'build', [0, 0, 0, 0, 0]),
  // Cumulative counters; Redis lost them between 11:20 and 11:30 (a reset).
  ...series('upstream.requests', 'sofascore:200', [100, 150, 170, 10, 30]),
  // Later in the last bucket: a counter's bucket shows its last sample.
  {
    sampledAt: new Date((T[4] as number) + 2 * MINUTE),
    metric: 'upstream.requests',
    subject: 'sofascore:200',
    value: 35,
  },
  ...series('upstream.requests', 'sofascore:429', [0, 4, 4, 0, 2]),
  ...series('upstream.requests', 'sofascore:503', [1, 1, 3, 0, 0]),
  ...series('upstream.requests', 'sofascore:404', [null, null, 1, 1, 2]),
  ...series('upstream.requests', 'other:error', [0, 2, null, null, null]),
  ...series('upstream.waits', 'sofascore:budget', [0, 3, 5, 5, 6]),
  ...series('upstream.wait_ms', 'sofascore:budget', [0, 3_000, 4_500, 4_500, 6_000]),
  ...series('upstream.waits', 'sofascore:paused', [null, null, null, 1, 2]),
  ...series('upstream.wait_ms', 'sofascore:paused', [null, null, null, 30_000, 60_000]),
  ...series('breaker.open', 'sofascore', [0, 1, 0.5, 0, 1]),
  ...series('breaker.open', 'other', [0, 0, 0, 0, 0]),
  ...series('freshness.age_hours', 'demo-league', [10, 10.25, 10.5, 27, 0.5]),
  ...series(
    'process.rss_bytes',
    'worker@host-a:11',
    [200, 210, 220, 230, 240].map((mib) => mib * MIB),
  ),
  ...series('process.rss_bytes', 'scheduler@host-a:12', [null, null, null, 50 * MIB, 52 * MIB]),
  ...series('process.cpu_percent', 'worker@host-a:11', [12.5, 80, 150, 3, 0]),
];

/** The markup of one chart's `<figure>`. */
function chart(page: string, id: string): string {
  const start = page.indexOf(`<figure class="chart-box" data-chart="${id}">`);
  expect(start, id).toBeGreaterThan(-1);
  return page.slice(start, page.indexOf('</figure>', start));
}

/** `{ at: value }` of one series' points in a line chart. */
function points(markup: string, key: string): Record<string, number> {
  return Object.fromEntries(
    [...markup.matchAll(/<circle\b[^>]*data-series="([^"]*)" data-value="([^"]*)" data-at="([^"]*)"/g)]
      .filter((match) => match[1] === key)
      .map((match) => [match[3] as string, Number(match[2])]),
  );
}

/** `{ at: value }` of one stack's bar parts in a bar chart. */
function bars(markup: string, key: string): Record<string, number> {
  return Object.fromEntries(
    [...markup.matchAll(/<rect\b[^>]*data-category="([^"]*)" data-series="([^"]*)" data-value="([^"]*)"/g)]
      .filter((match) => match[2] === key)
      .map((match) => [match[1] as string, Number(match[3])]),
  );
}

describe.each(testBackends(process.env))('the Fleet resources section on %s', (backend) => {
  let fixture: DashboardFixture;
  let server: DashboardServer;
  let page: string;
  let section: string;

  beforeAll(async () => {
    fixture = await startDashboardFixture({
      backend,
      label: 'dashboard-resources',
      seed: async (db) => {
        await db.db.insert(ops.samples).values(ROWS);
      },
      now: () => NOW,
    });
    ({ server } = fixture);
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    page = await response.text();
    section = page.slice(page.indexOf('<section id="resources">'), page.indexOf('<section id="freshness">'));
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('comes after Trends, with nine charts, each an accessible SVG with its data as a table', () => {
    expect(page.indexOf('<section id="trends">')).toBeLessThan(page.indexOf('<section id="resources">'));
    expect(section).toContain('<h2>Fleet resources and upstream</h2>');
    const ids = ['redis-memory', 'queues', 'upstream', 'waits', 'wait-seconds', 'breakers', 'freshness', 'rss', 'cpu'];
    for (const id of ids.map((name) => `res-${name}`)) {
      const markup = chart(section, id);
      expect(markup, id).toContain(`role="img" aria-labelledby="${id}-title ${id}-desc"`);
      expect(markup, id).toContain(`<table id="${id}-table">`);
    }
    expect(section).not.toContain('chart-empty');
    // 24 h in at most 300 points: 5-minute buckets.
    expect(chart(section, 'res-upstream')).toContain('<figcaption>Upstream requests per 5 min, by status</figcaption>');
  });

  it('Redis memory in MiB, the largest sample of each 5-minute bucket, nothing older than 24 h', () => {
    const markup = chart(section, 'res-redis-memory');
    expect(points(markup, 'used_memory')).toEqual({
      [at(T[0] as number)]: 100,
      [at(T[1] as number)]: 110,
      [at(T[2] as number)]: 120,
      [at(T[3] as number)]: 130,
      [at(T[4] as number)]: 150,
    });
    expect(markup).toContain('<th scope="row">2026-03-10 11:40</th><td class="num">150.0 MiB</td>');
    expect(markup).not.toContain('999');
  });

  it('queue depths: waiting + delayed per queue, queues empty throughout left out', () => {
    const markup = chart(section, 'res-queues');
    expect([...markup.matchAll(/<g class="series" data-series="([^"]*)"/g)].map((match) => match[1])).toEqual([
      'ingest',
    ]);
    expect(Object.values(points(markup, 'ingest'))).toEqual([0, 6, 10, 3, 0]);
  });

  it('upstream requests per bucket by status class: counter differences, a reset counting from 0, 429 and 5xx in warn and bad', () => {
    const markup = chart(section, 'res-upstream');
    // 200: 100 → 150 → 170 → 10 (reset) → 35 (the last sample of its bucket).
    expect(bars(markup, '2xx')).toEqual({
      [at(T[1] as number)]: 50,
      [at(T[2] as number)]: 20,
      [at(T[3] as number)]: 10,
      [at(T[4] as number)]: 25,
    });
    // 429: 0 → 4 → 4 → 0 (reset) → 2.
    expect(bars(markup, '429')).toEqual({ [at(T[1] as number)]: 4, [at(T[4] as number)]: 2 });
    expect(bars(markup, '5xx')).toEqual({ [at(T[2] as number)]: 2 });
    // 404 first seen at 11:20, while the sampler had been sampling since 11:10: it appeared
    // since, and its first value is all new.
    expect(bars(markup, '4xx')).toEqual({ [at(T[2] as number)]: 1, [at(T[4] as number)]: 1 });
    expect(bars(markup, 'error')).toEqual({ [at(T[1] as number)]: 2 });
    expect(markup).toMatch(/<rect class="bar-part warn"[^>]*data-series="429"/);
    expect(markup).toMatch(/<rect class="bar-part bad"[^>]*data-series="5xx"/);
    // One bar per 5-minute bucket from 11:10 to 11:40, quiet ones included.
    const table = markup.slice(markup.indexOf('<table'));
    expect([...table.matchAll(/<tr data-category="([^"]*)"/g)].map((match) => match[1])).toEqual(
      [50, 45, 40, 35, 30, 25, 20].map((minutesAgo) => at(NOW - minutesAgo * MINUTE)),
    );
    expect(table).toContain(
      '<th scope="row">11:10</th><td class="num">50</td><td class="num">4</td><td class="num">0</td><td class="num">0</td><td class="num">2</td><td class="num">56</td>',
    );
  });

  it('limiter waits per bucket, as counts and as seconds, by reason', () => {
    const waits = chart(section, 'res-waits');
    expect(bars(waits, 'budget')).toEqual({
      [at(T[1] as number)]: 3,
      [at(T[2] as number)]: 2,
      [at(T[4] as number)]: 1,
    });
    expect(bars(waits, 'paused')).toEqual({ [at(T[3] as number)]: 1, [at(T[4] as number)]: 1 });
    const seconds = chart(section, 'res-wait-seconds');
    expect(bars(seconds, 'budget')).toEqual({
      [at(T[1] as number)]: 3,
      [at(T[2] as number)]: 1.5,
      [at(T[4] as number)]: 1.5,
    });
    expect(bars(seconds, 'paused')).toEqual({ [at(T[3] as number)]: 30, [at(T[4] as number)]: 30 });
  });

  it('breaker state per source over time, and its open periods with their durations', () => {
    const markup = chart(section, 'res-breakers');
    expect(Object.values(points(markup, 'sofascore'))).toEqual([0, 1, 0.5, 0, 1]);
    expect(Object.values(points(markup, 'other'))).toEqual([0, 0, 0, 0, 0]);
    expect(markup).toContain('<td class="num">half-open</td>');
    const start = section.indexOf('<table id="res-breaker-periods"');
    expect(start).toBeGreaterThan(-1);
    const periods = section.slice(start, section.indexOf('</table>', start));
    const rows = [...periods.matchAll(/<tr data-source="([^"]*)" data-from="([^"]*)" data-to="([^"]*)">/g)].map(
      (match) => [match[1], match[2], match[3]],
    );
    expect(rows).toEqual([
      ['sofascore', new Date(T[1] as number).toISOString(), new Date(T[3] as number).toISOString()],
      ['sofascore', new Date(T[4] as number).toISOString(), ''],
    ]);
    // 11:10 to 11:30; and open since 11:40, the page at 12:00.
    expect(periods.match(/<td class="num">20 min 0 s<\/td>/g)).toHaveLength(2);
    expect(periods).toContain('<span class="badge bad">still open</span>');
  });

  it('freshness age per competition with the threshold, RSS in MiB and CPU per process', () => {
    const freshness = chart(section, 'res-freshness');
    expect(Object.values(points(freshness, 'demo-league'))).toEqual([10, 10.25, 10.5, 27, 0.5]);
    expect(points(freshness, 'threshold')).toEqual({ [at(T[0] as number)]: 26, [at(T[4] as number)]: 26 });
    expect(freshness).toContain('threshold (26 h)');
    const rss = chart(section, 'res-rss');
    expect(Object.values(points(rss, 'worker@host-a:11'))).toEqual([200, 210, 220, 230, 240]);
    expect(points(rss, 'scheduler@host-a:12')).toEqual({ [at(T[3] as number)]: 50, [at(T[4] as number)]: 52 });
    const cpu = chart(section, 'res-cpu');
    expect(Object.values(points(cpu, 'worker@host-a:11'))).toEqual([12.5, 80, 150, 3, 0]);
    expect(cpu).toContain('<td class="num">150 %</td>');
  });
});
