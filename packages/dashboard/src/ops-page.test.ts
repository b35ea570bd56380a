import { defaultStageRegistry } from '@matchflow/pipeline';
import { StageJob } from '@matchflow/queues';
import { describe, expect, it } from 'vitest';
import { counterDeltas, openPeriods, type StageOverview, stageOrder, stageOverview, statusClass } from './ops-data.js';
import { type OpsPageData, renderOpsPage } from './ops-page.js';

/* The ops page's Stages section and the run timeline's order, rendered from data built here. */

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const HOSTILE = '<script>alert("owned")</script>';

function page(stages: StageOverview[], stageRuns: OpsPageData['stageRuns']): string {
  const none = { ok: true as const, value: [] };
  return renderOpsPage({
    env: 'test',
    nowMs: NOW,
    runs: none,
    trends: { ok: true, value: { sinceMs: NOW, days: [], runs: [], stages: [] } },
    samples: {
      ok: true,
      value: { sinceMs: NOW - 86_400_000, nowMs: NOW, bucketMs: 300_000, series: new Map(), breaker: new Map() },
    },
    freshnessMaxAgeHours: 26,
    freshness: none,
    snapshot: { ok: true, value: undefined },
    quality: { ok: true, value: undefined },
    sources: none,
    queues: none,
    stages,
    stageRuns,
  }).value;
}

function stagesSection(html: string): string {
  const start = html.indexOf('<section id="stages">');
  expect(start).toBeGreaterThan(-1);
  return html.slice(start, html.indexOf('</section>', start));
}

const probe: StageOverview = {
  name: 'probe',
  kind: 'standalone',
  queue: 'probe',
  dependsOn: ['ratings'],
  summary: `probe ${HOSTILE}`,
  standalone: {
    enabled: false,
    schedule: 'off',
    timezone: 'UTC',
    inRuns: false,
    budget: { batchSize: 5, maxItems: 50, maxRuntimeMs: 90_000 },
  },
};

describe('the Stages section', () => {
  it('lists the stages when the database is away, saying so, and escapes what stages say', () => {
    const section = stagesSection(page([probe], { ok: false, error: 'the database: no answer within 3000 ms' }));
    expect(section).toContain('<p class="error">unavailable: the database: no answer within 3000 ms</p>');
    expect(section).toContain('<tr id="stage-probe" data-kind="standalone">');
    expect(section).toContain('<span class="badge warn">disabled</span> <code>off</code>');
    expect(section).toContain('<td>ratings</td>');
    expect(section).toContain('5 a batch, at most 50 items, 1 min 30 s');
    expect(section).not.toContain(HOSTILE);
    expect(section).toContain('probe &lt;script&gt;');
  });

  it('says when a stage never ran, and when no stage is registered', () => {
    expect(stagesSection(page([probe], { ok: true, value: new Map() }))).toContain('<span class="muted">never</span>');
    expect(stagesSection(page([], { ok: true, value: new Map() }))).toContain('No stages registered.');
  });

  it('shows a step of a competition run with the run it was in', () => {
    const section = stagesSection(
      page([probe], {
        ok: true,
        value: new Map([
          [
            'probe',
            {
              stage: 'probe',
              runId: 'run-1',
              status: 'running',
              startedMs: NOW - 90_000,
              finishedMs: null,
              durationMs: null,
              processed: undefined,
              failed: undefined,
              error: null,
              inRun: { competitionId: 'demo-league', season: '50001' },
            },
          ],
        ]),
      }),
    );
    expect(section).toContain('<span class="badge info">running</span> started <time');
    expect(section).toContain('1 min 30 s ago</time> · 1 min 30 s');
    expect(section).toContain('<code>run-1</code> in the run of demo-league · 50001');
  });

  it('lists the built-in stages from the default registry', () => {
    const overview = stageOverview(defaultStageRegistry(), { stages: {} });
    expect(overview.map((stage) => [stage.name, stage.kind])).toEqual(
      defaultStageRegistry()
        .all()
        .map((stage) => [stage.name, stage.kind]),
    );
    expect(overview.find((stage) => stage.name === 'discover')?.standalone).toBeUndefined();
  });
});

describe('stageOrder', () => {
  it('puts standalone stages between ratings and build, normalise after discover, publish after build', () => {
    const builtIn = defaultStageRegistry()
      .standalone()
      .map((stage) => stage.name);
    const registry = defaultStageRegistry().register({
      kind: 'standalone',
      name: 'probe',
      queue: 'probe',
      jobName: 'probe.run',
      summary: 'a stage of this test',
      payload: StageJob,
      dependsOn: [],
      concurrency: () => 1,
      scopeKey: () => 'all',
      budget: { batchSize: 1, maxItems: 1, maxRuntimeMs: 1_000 },
      schedule: 'off',
      work: async () => ({ scanned: 0, processed: 0, skipped: 0, failed: 0, counters: {}, complete: true }),
    });
    expect(stageOrder(registry)).toEqual([
      'discover',
      'normalise',
      'ingest',
      'ratings',
      ...builtIn,
      'probe',
      'build',
      'publish',
    ]);
  });
});

describe('the Fleet resources section helpers', () => {
  it('takes differences of cumulative counters, a decrease being a reset that counts from 0', () => {
    const points = [10, 15, 15, 3, 8].map((value, index) => ({ ms: index * 60_000, value }));
    expect(counterDeltas(points)).toEqual([
      { ms: 60_000, value: 5 },
      { ms: 120_000, value: 0 },
      { ms: 180_000, value: 3 },
      { ms: 240_000, value: 5 },
    ]);
    expect(counterDeltas(points.slice(0, 1))).toEqual([]);
    // Sampled before its first point: the counter appeared since, and its first value is new.
    const appeared = points.slice(1, 3);
    expect(counterDeltas(appeared, 0)).toEqual([
      { ms: 60_000, value: 15 },
      { ms: 120_000, value: 0 },
    ]);
    expect(counterDeltas(appeared, 60_000)).toEqual([{ ms: 120_000, value: 0 }]);
  });

  it('classes statuses: 429 on its own, other 4xx, 5xx, error, the rest as 2xx', () => {
    expect(['200', '204', '304', '429', '404', '403', '500', '503', 'error'].map(statusClass)).toEqual([
      '2xx',
      '2xx',
      '2xx',
      '429',
      '4xx',
      '4xx',
      '5xx',
      '5xx',
      'error',
    ]);
  });

  it('finds the periods a breaker was not closed, one still open at the end', () => {
    const at = (minutes: number, value: number) => ({ ms: minutes * 60_000, value });
    const periods = openPeriods(
      new Map([
        ['a', [at(0, 0), at(1, 1), at(2, 0.5), at(3, 0), at(4, 0.5), at(5, 0)]],
        ['b', [at(0, 0), at(2, 1), at(3, 1)]],
      ]),
    );
    expect(periods).toEqual([
      { source: 'a', fromMs: 60_000, toMs: 180_000, worst: 'open' },
      { source: 'b', fromMs: 120_000, toMs: null, worst: 'open' },
      { source: 'a', fromMs: 240_000, toMs: 300_000, worst: 'half-open' },
    ]);
  });

  it('says how samples come to be when there are none', () => {
    const html = page([], { ok: true, value: new Map() });
    const section = html.slice(html.indexOf('<section id="resources">'), html.indexOf('<section id="freshness">'));
    expect(section).toContain('<h2>Fleet resources and upstream</h2>');
    for (const id of [
      'redis-memory',
      'queues',
      'upstream',
      'waits',
      'wait-seconds',
      'breakers',
      'freshness',
      'rss',
      'cpu',
    ])
      expect(section).toContain(`<figure class="chart-box" data-chart="res-${id}"><figcaption>`);
    expect(section.match(/sample-ops task writes them every minute/g)).toHaveLength(9);
  });
});
