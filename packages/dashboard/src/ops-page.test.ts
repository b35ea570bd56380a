import { defaultStageRegistry } from '@matchflow/pipeline';
import { StageJob } from '@matchflow/queues';
import { describe, expect, it } from 'vitest';
import { type StageOverview, stageOrder, stageOverview } from './ops-data.js';
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
