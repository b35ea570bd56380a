import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Config, loadConfig } from '@matchflow/config';
import { createDashboardServer, type DashboardServer } from '@matchflow/dashboard';
import { ops, ratings } from '@matchflow/db';
import { createTestDatabase, type TestDatabase } from '@matchflow/db/testing';
import { Fleet, sampleOps, triggerRun } from '@matchflow/pipeline';
import { type ReplayServer, startReplay } from '@matchflow/replay';
import { readSourceStats, sourceStatsKeys } from '@matchflow/sources';
import { createLogger, type ProcessReporter, startProcessReporter } from '@matchflow/telemetry';
import { testRedis } from '@matchflow/testing';
import { eq } from 'drizzle-orm';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/*
 * The dashboard in a real browser (Debian's chromium driven by playwright-core) after a real run:
 * the fleet over the replay's cup, then the ops page and Bull Board. Screenshots go to
 * test-artifacts/ for a person to look at. Without chromium (`apt-get install chromium`; CI
 * installs it) the test is skipped with a notice.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const QUEUE_NAMES = ['discover', 'ingest', 'ratings', 'build', 'maintenance'];
const serverUrl = process.env.TEST_DATABASE_URL;
const logger = createLogger({ service: 'test', level: 'silent' });

if (!haveChromium) {
  process.stderr.write(
    `\n[dashboard-browser] SKIPPED: no chromium at ${CHROMIUM}. Install it (Debian: apt-get install chromium) or set CHROMIUM_PATH.\n\n`,
  );
}

describe.skipIf(!haveChromium)('the dashboard in a browser', () => {
  const redis = testRedis(undefined, 'dashboard-browser');
  const publishDir = mkdtempSync(path.join(tmpdir(), 'matchflow-dashboard-browser-'));
  let replay: ReplayServer;
  let database: TestDatabase;
  let fleet: Fleet;
  let dashboard: DashboardServer;
  let browser: Browser;
  /** The two runs, oldest first; `runId` is the newer. */
  const runIds: string[] = [];
  let runId: string;
  let reporter: ProcessReporter;

  beforeAll(async () => {
    replay = await startReplay({ port: 0, seed: 7 });
    const config: Config = loadConfig(
      {},
      JSON.stringify({
        redis: { prefix: redis.prefix },
        publishDir,
        sources: {
          sofascore: {
            kind: 'sofascore',
            baseUrl: replay.apiUrl,
            rateLimit: { requestsPerInterval: 2000, intervalMs: 1000, maxConcurrent: 16 },
          },
        },
        ratingPools: { football: {} },
        competitions: [
          {
            id: 'demo-league',
            source: 'sofascore',
            competition: 1001,
            seasons: [50001, 50002],
            ratingPool: 'football',
          },
        ],
        workers: { shutdownTimeoutMs: 5000 },
      }),
    );
    database = await createTestDatabase(serverUrl ? 'postgres' : 'pglite', { serverUrl, label: 'dashboard_browser' });
    fleet = Fleet.start({ config, db: database.db, logger });
    // This process is the fleet's worker: it reports its RSS and CPU as a worker process does.
    reporter = startProcessReporter({ redis: redis.connect(), prefix: redis.prefix, role: 'worker' });
    // The sample-ops task before, between and after the runs, ten minutes apart on the page's
    // clock (each in a 5-minute bucket of its own): what the scheduler's minutely job records.
    const sample = (minutesAgo: number) =>
      sampleOps({
        db: database.db,
        producer: fleet.producer,
        config,
        logger,
        now: () => Date.now() - minutesAgo * 60_000,
      });
    await sample(20);
    // The demo's two runs (`npm start`: the league's two seasons), one after the other: the
    // charts plot one point per run, the ratings pages the pool both fed.
    for (const season of ['50001', '50002']) {
      const started = await triggerRun(
        { db: database.db, producer: fleet.producer, config },
        { competitionId: 'demo-league', season, mode: 'full', trigger: 'cli' },
      );
      if (started.outcome !== 'started') throw new Error(`the run of ${season} did not start: ${started.outcome}`);
      const id = started.runId;
      await vi.waitFor(
        async () => {
          const [run] = await database.db.select().from(ops.pipelineRuns).where(eq(ops.pipelineRuns.runId, id));
          expect(run?.status).toBe('ok');
        },
        { timeout: 120_000, interval: 250 },
      );
      runIds.push(id);
      await sample(season === '50001' ? 10 : 0);
    }
    runId = runIds[1] as string;
    dashboard = await createDashboardServer({ config, db: database.db, logger, port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless=new', '--no-sandbox'] });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await reporter?.stop();
    await fleet?.stop(5_000);
    await database?.dispose();
    await replay?.close();
    await redis.cleanup();
    rmSync(publishDir, { recursive: true, force: true });
  });

  it('shows the run on the ops page, on a desktop and on a phone', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      const response = await page.goto(`${dashboard.url}/`);
      expect(response?.status()).toBe(200);
      const run = page.locator(`li.run[id="${runId}"]`);
      await run.waitFor({ state: 'visible' });
      expect(await run.locator('.run-id').innerText()).toBe(runId);
      expect(await run.locator('.badge').first().innerText()).toBe('ok');
      expect(await run.locator('.stage-name').allInnerTexts()).toEqual(
        expect.arrayContaining(['discover', 'ratings', 'build', 'publish']),
      );
      await expect.poll(() => page.locator('#snapshot code').first().innerText()).toMatch(/^\d{8}T/);
      // The workers counted their upstream answers in Redis; the page (and /metrics) read them.
      expect(await page.locator('#sources tbody tr').first().innerText()).toMatch(/200: \d+/);
      await page.screenshot({ path: path.join(ARTIFACTS, 'ops-page.png'), fullPage: true });

      // Usable on a phone: nothing wider than the screen but the tables' own scroll boxes.
      await page.setViewportSize({ width: 390, height: 844 });
      await run.waitFor({ state: 'visible' });
      // A string, so this file needs no DOM types.
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow).toBeLessThanOrEqual(0);
      await page.screenshot({ path: path.join(ARTIFACTS, 'ops-page-phone.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('draws the Trends charts of both runs, matching ops, in the light and the dark scheme', async () => {
    const recorded = await database.db.select().from(ops.pipelineRuns);
    const stageRows = await database.db.select().from(ops.stageRuns);
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      try {
        await page.emulateMedia({ colorScheme });
        expect((await page.goto(`${dashboard.url}/`))?.status()).toBe(200);
        const trends = page.locator('section#trends');
        await trends.waitFor({ state: 'visible' });
        expect(await trends.locator('svg.chart[role="img"]').count()).toBe(6);
        // Today's bar: the two runs, both ok.
        const today = new Date().toISOString().slice(0, 10);
        expect(
          await trends.locator(`rect[data-category="${today}"][data-series="ok"]`).getAttribute('data-value'),
        ).toBe('2');
        // One point per run in every per-run chart, each equal to what ops recorded for that run.
        for (const chart of ['trend-duration', 'trend-matches', 'trend-quality', 'trend-requests']) {
          expect(await trends.locator(`#${chart} circle[data-run]`).count(), chart).toBe(2);
        }
        for (const id of runIds) {
          const run = recorded.find((row) => row.runId === id);
          const counters = run?.counters as { matches?: number; qualityScore?: number };
          const point = (chart: string) => trends.locator(`#${chart} circle[data-run="${id}"]`);
          // The database keeps microseconds, a Date milliseconds.
          const duration = Number(await point('trend-duration').getAttribute('data-value'));
          expect(
            Math.abs(duration - ((run?.finishedAt?.getTime() ?? 0) - (run?.startedAt.getTime() ?? 0))),
          ).toBeLessThan(1);
          expect(Number(await point('trend-matches').getAttribute('data-value'))).toBe(counters.matches);
          expect(Number(await point('trend-quality').getAttribute('data-value'))).toBeCloseTo(
            counters.qualityScore ?? Number.NaN,
            9,
          );
          const requests = stageRows
            .filter((row) => row.runId === id)
            .reduce((sum, row) => sum + Number((row.counters as { requests?: number }).requests ?? 0), 0);
          expect(Number(await point('trend-requests').getAttribute('data-value'))).toBe(requests);
          expect(requests).toBeGreaterThan(0);
        }
        expect(await trends.locator('#trend-stages g.series').count()).toBeGreaterThan(3);
        // Drawn, not just present: the marker has a size on the screen.
        const marker = trends.locator(`#trend-duration circle[data-run="${runId}"]`);
        expect((await marker.boundingBox())?.width).toBeGreaterThan(2);
        // The text alternative: the table opens and lists both runs.
        await trends.locator('[data-chart="trend-duration"] summary').click();
        for (const id of runIds) {
          await expect.poll(() => trends.locator(`#trend-duration-table tr[data-run="${id}"]`).isVisible()).toBe(true);
        }
        // The scheme took: the page's background follows it.
        const background = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
        expect(background).toBe(colorScheme === 'dark' ? 'rgb(13, 17, 23)' : 'rgb(246, 247, 249)');
        await page.screenshot({ path: path.join(ARTIFACTS, `ops-page-${colorScheme}.png`), fullPage: true });
        await trends.screenshot({ path: path.join(ARTIFACTS, `ops-trends-${colorScheme}.png`) });
      } finally {
        await page.close();
      }
    }
  });

  it('draws the fleet resources from the samples taken around the runs', async () => {
    const stats = await readSourceStats(redis.connect(), sourceStatsKeys(redis.prefix, 'sofascore'));
    const answered = Object.values(stats.requests).reduce((sum, count) => sum + count, 0);
    expect(answered).toBeGreaterThan(0);
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      try {
        await page.emulateMedia({ colorScheme });
        expect((await page.goto(`${dashboard.url}/`))?.status()).toBe(200);
        const resources = page.locator('section#resources');
        await resources.waitFor({ state: 'visible' });
        // Three samples, three buckets: Redis memory has a point in each.
        expect(await resources.locator('#res-redis-memory circle[data-value]').count()).toBe(3);
        // The upstream bars add up to every answer the runs got: none before the first sample,
        // the first run's between the first two, the second run's between the last two.
        const parts = resources.locator('#res-upstream rect[data-value]');
        let charted = 0;
        for (const value of await parts.evaluateAll((rects) => rects.map((rect) => rect.getAttribute('data-value'))))
          charted += Number(value);
        expect(charted).toBe(answered);
        expect(await resources.locator('#res-upstream g.bar-group').count()).toBeGreaterThanOrEqual(2);
        // This process, reporting as a worker.
        expect(await resources.locator(`#res-rss circle[data-series="${reporter.id}"]`).count()).toBeGreaterThan(0);
        expect(await resources.locator(`#res-freshness circle[data-series="demo-league"]`).count()).toBeGreaterThan(0);
        await resources.screenshot({ path: path.join(ARTIFACTS, `ops-resources-${colorScheme}.png`) });
      } finally {
        await page.close();
      }
    }
  });

  it('shows the pool leaderboard, its calibration and a participant with every rated match', async () => {
    const rated = await database.db
      .select()
      .from(ratings.matchRatings)
      .where(eq(ratings.matchRatings.poolId, 'football'));
    expect(rated.length).toBeGreaterThan(100);
    for (const colorScheme of ['light', 'dark'] as const) {
      // Scripts off: the pages have none, links and tables are plain HTML.
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
      try {
        await page.emulateMedia({ colorScheme });
        expect((await page.goto(`${dashboard.url}/ratings`))?.status()).toBe(200);
        await page.locator('#pools tr[data-pool="football"] a').first().click();
        await page.waitForURL(/\/ratings\/football$/);
        const board = page.locator('#leaderboard-table tbody tr');
        await board.first().waitFor({ state: 'visible' });
        const participants = (await database.db.select().from(ratings.currentRatings)).length;
        expect(await board.count()).toBe(Math.min(50, participants));
        // Every row has a drawn sparkline; the leader's ends at its current rating.
        expect(await page.locator('#leaderboard-table svg.sparkline').count()).toBe(await board.count());
        const leaderSpark = board.first().locator('svg.sparkline');
        expect((await leaderSpark.boundingBox())?.width).toBeGreaterThan(20);
        // Calibration: the counted matches and the reliability diagram with its bins.
        const counted = rated.filter((row) => row.counted).length;
        expect(await page.locator('#calibration [data-matches]').getAttribute('data-matches')).toBe(String(counted));
        const brier =
          rated.filter((row) => row.counted).reduce((sum, row) => sum + (row.expectedHome - row.actualHome) ** 2, 0) /
          counted;
        expect(Number(await page.locator('#calibration [data-brier]').getAttribute('data-brier'))).toBeCloseTo(
          brier,
          9,
        );
        expect(await page.locator('svg#reliability[role="img"]').count()).toBe(1);
        await page.screenshot({ path: path.join(ARTIFACTS, `ratings-pool-${colorScheme}.png`), fullPage: true });

        // The leader's page: a marker and a table row per rated match, as many as ratings has.
        const leader = (await board.first().getAttribute('data-participant')) as string;
        await board.first().locator('a').first().click();
        await page.locator('#match-count').waitFor({ state: 'visible' });
        const matches = rated.filter((row) => row.homeId === leader || row.awayId === leader);
        expect(matches.length).toBeGreaterThan(30);
        expect(await page.locator('#match-count').getAttribute('data-matches')).toBe(String(matches.length));
        expect(await page.locator('#rating-history circle[data-match]').count()).toBe(matches.length);
        expect(await page.locator('#matches-table tbody tr[data-match]').count()).toBe(matches.length);
        const newest = matches.reduce((a, b) => (b.startTime > a.startTime ? b : a));
        const newestPost = newest.homeId === leader ? newest.homePost : newest.awayPost;
        expect(
          Number(
            await page.locator(`#rating-history circle[data-match="${newest.matchId}"]`).getAttribute('data-value'),
          ),
        ).toBeCloseTo(newestPost, 6);
        await page.screenshot({ path: path.join(ARTIFACTS, `ratings-participant-${colorScheme}.png`), fullPage: true });
      } finally {
        await page.close();
      }
    }
  });

  it('exports the run in /metrics', async () => {
    const text = await (await fetch(`${dashboard.url}/metrics`)).text();
    expect(text).toMatch(/^matchflow_upstream_requests_total\{source="sofascore",status="200"\} [1-9]\d*$/m);
    expect(text).toMatch(/^matchflow_runs\{status="ok"\} 2$/m);
    const ingests = (await database.db.select().from(ops.stageRuns)).filter((row) => row.stage === 'ingest').length;
    expect(ingests).toBeGreaterThan(0);
    expect(text).toContain(`matchflow_job_duration_seconds_count{queue="ingest",stage="ingest"} ${ingests}\n`);
    expect(text).toMatch(/^matchflow_freshness_age_seconds\{competition="demo-league"\} \d/m);
  });

  it('serves Bull Board with every pipeline queue', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      // The board links a web font from Google; the sandbox may have no internet, so do not wait for it.
      await page.route(/fonts\.(googleapis|gstatic)\.com/, (route) => route.abort());
      const response = await page.goto(`${dashboard.url}/queues`, { waitUntil: 'domcontentloaded' });
      expect(response?.status()).toBe(200);
      for (const name of QUEUE_NAMES) {
        await page.getByRole('link', { name, exact: true }).first().waitFor({ state: 'visible', timeout: 20_000 });
      }
      await page.screenshot({ path: path.join(ARTIFACTS, 'bull-board.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });
});
