import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Config, loadConfig } from '@matchflow/config';
import { type Db, openPostgres, ops } from '@matchflow/db';
import { createTestDatabase, type TestDatabase, testBackends } from '@matchflow/db/testing';
import { type AlertEvaluation, evaluateAlerts, startAlertLoop } from '@matchflow/pipeline';
import { FleetBreaker } from '@matchflow/sources';
import { createLogger } from '@matchflow/telemetry';
import { type TestRedis, testRedis } from '@matchflow/testing';
import { asc, eq, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ago, alertLogLines, insertRun, startWebhookReceiver, type WebhookReceiver } from './support/alert-fixtures.js';

/*
 * Alerts (docs/alerts.md): derived from ops and Redis state, notified on change only, to a local
 * webhook receiver; every notification in the alerts log. Rows and breaker state are crafted.
 */

const serverUrl = process.env.TEST_DATABASE_URL;
const logger = createLogger({ service: 'test', level: 'silent' });
const HOUR = 3_600_000;

function makeConfig(dir: string, prefix: string, webhookUrl: string | undefined): Config {
  return loadConfig(
    {},
    JSON.stringify({
      env: 'staging',
      dataDir: dir,
      redis: { prefix },
      sources: {
        sofascore: { kind: 'sofascore', baseUrl: 'http://127.0.0.1:9', breaker: { blockedCooldownMs: 50 } },
      },
      ratingPools: { football: {} },
      competitions: [
        { id: 'demo-league', source: 'sofascore', competition: 1001, seasons: [50001, 50002], ratingPool: 'football' },
        { id: 'demo-cup', source: 'sofascore', competition: 1002, seasons: [50011], ratingPool: 'football' },
      ],
      alerts: { webhookUrl, attempts: 3, backoffMs: 5, timeoutMs: 2_000, breakerOpenMs: 600_000, stuckRunMs: 2 * HOUR },
    }),
  );
}

describe.each(testBackends(process.env))('alerts on %s', (backend) => {
  let database: TestDatabase;
  let db: Db;
  let redis: TestRedis;
  let client: Redis;
  let dir: string;
  let receiver: WebhookReceiver;
  let config: Config;

  beforeAll(async () => {
    database = await createTestDatabase(backend, { serverUrl, label: 'alerts' });
    db = database.db;
    redis = testRedis(undefined, 'alerts');
    client = redis.connect();
  });
  afterAll(async () => {
    await redis?.cleanup();
    await database?.dispose();
  });
  beforeEach(async () => {
    await db.execute(sql`TRUNCATE ops.alerts, ops.pipeline_runs CASCADE`);
    await client.del(`${redis.prefix}:breaker:sofascore:state`, `${redis.prefix}:breaker:sofascore:outcomes`);
    dir = await mkdtemp(path.join(tmpdir(), 'matchflow-alerts-'));
    receiver = await startWebhookReceiver();
    config = makeConfig(dir, redis.prefix, receiver.url);
  });
  afterEach(async () => {
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  });

  const evaluate = (options: { now?: Date; withRedis?: boolean; on?: Config } = {}): Promise<AlertEvaluation> =>
    evaluateAlerts({
      db,
      redis: options.withRedis === false ? undefined : client,
      config: options.on ?? config,
      logger,
      ...(options.now ? { now: options.now } : {}),
    });

  it('fires once for a failed run however often it is evaluated, resolves once when a later run ends ok, and writes the heartbeat', async () => {
    await insertRun(db, {
      runId: 'run-a',
      status: 'failed',
      failedStage: 'build',
      startedAt: ago(2 * 60_000),
      finishedAt: ago(60_000),
      error: 'build: quality gate',
    });
    for (let round = 0; round < 3; round += 1) await evaluate();
    expect(receiver.bodies.map((body) => body.text)).toEqual([
      '[staging] FIRING (critical): Run failed: demo-league.50001 at build',
    ]);
    expect(receiver.bodies[0]?.attachments[0]?.fields).toEqual(
      expect.arrayContaining([
        { title: 'key', value: 'run-failed:demo-league.50001', short: true },
        { title: 'runId', value: 'run-a', short: true },
      ]),
    );

    await insertRun(db, { runId: 'run-b', status: 'ok', startedAt: ago(30_000), finishedAt: ago(10_000) });
    const first = await evaluate();
    const second = await evaluate();
    expect(first.notified.map((n) => [n.state, n.key])).toEqual([['resolved', 'run-failed:demo-league.50001']]);
    expect(second.notified).toEqual([]);
    expect(receiver.bodies.map((body) => body.text)).toEqual([
      '[staging] FIRING (critical): Run failed: demo-league.50001 at build',
      '[staging] RESOLVED: Run failed: demo-league.50001 at build',
    ]);

    const rows = await db.select().from(ops.alerts);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ key: 'run-failed:demo-league.50001', kind: 'run-failed', severity: 'critical' });
    expect(rows[0]?.resolvedAt).toBeInstanceOf(Date);
    expect((await alertLogLines(config)).map((line) => [line.state, line.key])).toEqual([
      ['firing', 'run-failed:demo-league.50001'],
      ['resolved', 'run-failed:demo-league.50001'],
    ]);

    const heartbeat = JSON.parse(
      await readFile(path.join(config.alerts.heartbeatDir, 'demo-league.50001.json'), 'utf8'),
    );
    expect(heartbeat).toMatchObject({ scope: 'demo-league.50001', runId: 'run-b' });
    expect(first.heartbeats).toBe(1);
    expect(second.heartbeats).toBe(0);
  });

  it('a failure after recovery is a new alert: it fires again', async () => {
    await insertRun(db, {
      runId: 'run-a',
      status: 'failed',
      failedStage: 'discover',
      startedAt: ago(HOUR),
      finishedAt: ago(HOUR),
    });
    await evaluate();
    await insertRun(db, { runId: 'run-b', status: 'ok', startedAt: ago(HOUR / 2), finishedAt: ago(HOUR / 2) });
    await evaluate();
    await insertRun(db, {
      runId: 'run-c',
      status: 'failed',
      failedStage: 'ratings',
      startedAt: ago(60_000),
      finishedAt: ago(1_000),
    });
    await evaluate();
    await evaluate();
    expect(receiver.bodies.map((body) => body.text)).toEqual([
      '[staging] FIRING (critical): Run failed: demo-league.50001 at discover',
      '[staging] RESOLVED: Run failed: demo-league.50001 at discover',
      '[staging] FIRING (critical): Run failed: demo-league.50001 at ratings',
    ]);
    const rows = await db.select().from(ops.alerts).orderBy(asc(ops.alerts.id));
    expect(rows.map((row) => row.resolvedAt === null)).toEqual([false, true]);
  });

  it('a partial run warns, and escalates once when the next run of the scope fails outright', async () => {
    await insertRun(db, {
      runId: 'run-a',
      status: 'partial',
      startedAt: ago(HOUR),
      finishedAt: ago(HOUR),
      counters: { failedMatches: ['m1', 'm2'] },
    });
    await evaluate();
    await insertRun(db, {
      runId: 'run-b',
      status: 'failed',
      failedStage: 'build',
      startedAt: ago(60_000),
      finishedAt: ago(1_000),
    });
    await evaluate();
    await evaluate();
    expect(receiver.bodies.map((body) => body.text)).toEqual([
      '[staging] FIRING (warning): Run partial: demo-league.50001, 2 matches failed',
      '[staging] ESCALATED (critical): Run failed: demo-league.50001 at build',
    ]);
  });

  it('two evaluators at once (separate connections on PostgreSQL) notify a transition once', async () => {
    await insertRun(db, {
      runId: 'run-a',
      status: 'failed',
      failedStage: 'build',
      startedAt: ago(HOUR),
      finishedAt: ago(1_000),
    });
    const others =
      database.backend === 'postgres' && database.name
        ? Array.from({ length: 3 }, () => {
            const url = new URL(serverUrl as string);
            url.pathname = `/${database.name}`;
            return openPostgres(url.toString(), 2);
          })
        : [];
    try {
      const dbs = [db, ...others.map((other) => other.db)];
      const evaluations = await Promise.all(
        [...dbs, ...dbs].map((each) => evaluateAlerts({ db: each, redis: client, config, logger })),
      );
      expect(evaluations.flatMap((evaluation) => evaluation.notified)).toHaveLength(1);
      expect(receiver.bodies).toHaveLength(1);

      await insertRun(db, { runId: 'run-b', status: 'ok', startedAt: ago(500), finishedAt: ago(100) });
      const resolutions = await Promise.all(
        [...dbs, ...dbs].map((each) => evaluateAlerts({ db: each, redis: client, config, logger })),
      );
      expect(resolutions.flatMap((evaluation) => evaluation.notified.map((n) => n.state))).toEqual(['resolved']);
      expect(receiver.bodies).toHaveLength(2);
    } finally {
      await Promise.all(others.map((other) => other.close()));
    }
  });

  it('retries a webhook that fails twice, and keeps every line in the alerts log when it is down for good', async () => {
    await receiver.close();
    receiver = await startWebhookReceiver([500, 503, 200]);
    config = makeConfig(dir, redis.prefix, receiver.url);
    await insertRun(db, {
      runId: 'run-a',
      status: 'failed',
      failedStage: 'build',
      startedAt: ago(HOUR),
      finishedAt: ago(1_000),
    });
    const evaluation = await evaluate();
    expect(evaluation.deliveries).toEqual([{ logged: true, webhook: 'sent', attempts: 3 }]);
    expect(receiver.bodies).toHaveLength(3);

    // The webhook goes away for good: nothing answers on its port any more.
    await receiver.close();
    await insertRun(db, { runId: 'run-b', status: 'ok', startedAt: ago(500), finishedAt: ago(100) });
    await insertRun(db, {
      runId: 'run-c',
      competition: 'demo-cup',
      season: '50011',
      status: 'failed',
      failedStage: 'ratings',
      startedAt: ago(500),
      finishedAt: ago(100),
    });
    const down = await evaluate();
    expect(down.deliveries).toEqual([
      { logged: true, webhook: 'failed', attempts: 3 },
      { logged: true, webhook: 'failed', attempts: 3 },
    ]);
    const lines = await alertLogLines(config);
    expect(lines.filter((line) => line.delivery === undefined).map((line) => [line.state, line.key])).toEqual([
      ['firing', 'run-failed:demo-league.50001'],
      ['firing', 'run-failed:demo-cup.50011'],
      ['resolved', 'run-failed:demo-league.50001'],
    ]);
    // Each notification the webhook gave up on is recorded as such.
    expect(
      lines.filter((line) => line.delivery === 'failed').map((line) => [line.channel, line.notification, line.key]),
    ).toEqual(
      expect.arrayContaining([
        ['webhook', 'firing', 'run-failed:demo-cup.50011'],
        ['webhook', 'resolved', 'run-failed:demo-league.50001'],
      ]),
    );
    receiver = await startWebhookReceiver();
  });

  it('quality FAIL fires for the scope and resolves when a later build passes', async () => {
    await insertRun(db, {
      runId: 'run-a',
      status: 'failed',
      failedStage: 'build',
      startedAt: ago(HOUR),
      finishedAt: ago(HOUR),
    });
    await db.insert(ops.qualityResults).values([
      {
        runId: 'run-a',
        check: 'completeness.scores',
        scope: 'demo-league.50001',
        severity: 'fail',
        status: 'fail',
        observed: 3,
        threshold: 0,
        checkedAt: ago(HOUR),
      },
      {
        runId: 'run-a',
        check: 'completeness.lineups',
        scope: 'demo-league.50001',
        severity: 'warn',
        status: 'warn',
        observed: 2,
        threshold: 0,
        checkedAt: ago(HOUR),
      },
      {
        runId: 'run-a',
        check: 'ranges.scores',
        scope: 'demo-league.50001',
        severity: 'fail',
        status: 'pass',
        observed: 0,
        threshold: 0,
        checkedAt: ago(HOUR),
      },
    ]);
    const fired = await evaluate();
    expect(fired.notified.map((n) => n.key).sort()).toEqual([
      'quality-fail:demo-league.50001',
      'run-failed:demo-league.50001',
    ]);
    const quality = fired.notified.find((n) => n.kind === 'quality-fail');
    expect(quality).toMatchObject({
      severity: 'critical',
      summary: 'Quality FAIL: demo-league.50001: completeness.scores (publishing blocked)',
      details: { runId: 'run-a', checks: 'completeness.scores on demo-league.50001: 3 vs 0' },
    });

    // A run without a build (nothing changed) does not judge quality: the FAIL stays open.
    await insertRun(db, { runId: 'run-b', status: 'ok', startedAt: ago(HOUR / 2), finishedAt: ago(HOUR / 2) });
    expect((await evaluate()).notified.map((n) => [n.state, n.key])).toEqual([
      ['resolved', 'run-failed:demo-league.50001'],
    ]);

    await insertRun(db, { runId: 'run-c', status: 'ok', startedAt: ago(60_000), finishedAt: ago(1_000) });
    await db.insert(ops.qualityResults).values({
      runId: 'run-c',
      check: 'completeness.scores',
      scope: 'demo-league.50001',
      severity: 'fail',
      status: 'pass',
      observed: 0,
      threshold: 0,
      checkedAt: ago(30_000),
    });
    expect((await evaluate()).notified.map((n) => [n.state, n.key])).toEqual([
      ['resolved', 'quality-fail:demo-league.50001'],
    ]);
  });

  it('a stale competition fires, a competition never run is not judged, a fresh success resolves it', async () => {
    await insertRun(db, { runId: 'run-a', status: 'ok', startedAt: ago(31 * HOUR), finishedAt: ago(30 * HOUR) });
    // A rebuild fetches nothing: it does not make the competition fresh.
    await insertRun(db, {
      runId: 'run-r',
      status: 'ok',
      trigger: 'rebuild',
      startedAt: ago(HOUR),
      finishedAt: ago(HOUR),
    });
    const fired = await evaluate();
    expect(fired.notified.map((n) => [n.key, n.severity])).toEqual([['stale:demo-league', 'warning']]);
    expect(fired.notified[0]?.details).toMatchObject({ limit: '26h' });
    expect(await evaluate()).toMatchObject({ notified: [] });

    await insertRun(db, {
      runId: 'run-b',
      status: 'partial',
      season: '50002',
      startedAt: ago(60_000),
      finishedAt: ago(1_000),
    });
    const resolved = await evaluate();
    expect(resolved.notified.map((n) => [n.state, n.key])).toEqual([
      ['firing', 'run-failed:demo-league.50002'],
      ['resolved', 'stale:demo-league'],
    ]);
  });

  it('a standalone stage whose latest run failed warns, and a later run that does not fail resolves it', async () => {
    const stageRun = (runId: string, status: 'ok' | 'failed', finishedAt: Date, scope = 'all') =>
      db.insert(ops.pipelineRuns).values({
        runId,
        trigger: 'schedule',
        scope: { stage: 'players', queue: 'players', scope },
        env: 'dev',
        status,
        ...(status === 'failed' ? { failedStage: 'players', error: 'upstream unavailable' } : {}),
        startedAt: new Date(finishedAt.getTime() - 60_000),
        finishedAt,
      });
    await stageRun('run-stage-ok', 'ok', ago(3 * HOUR));
    await stageRun('run-stage-failed', 'failed', ago(2 * HOUR));
    // A one-off over another scope raises nothing of its own.
    await stageRun('run-stage-other', 'failed', ago(HOUR), 'other');
    const fired = await evaluate();
    expect(fired.notified.map((n) => [n.state, n.key, n.severity])).toEqual([
      ['firing', 'stage-failed:players', 'warning'],
    ]);
    expect(fired.notified[0]).toMatchObject({
      summary: 'Stage failed: players',
      details: { runId: 'run-stage-failed', error: 'upstream unavailable' },
    });
    expect(await evaluate()).toMatchObject({ notified: [] });
    await stageRun('run-stage-again', 'ok', ago(0));
    expect((await evaluate()).notified.map((n) => [n.state, n.key])).toEqual([['resolved', 'stage-failed:players']]);
  });

  it('a run running past alerts.stuckRunMs fires, and resolves once it closes', async () => {
    await insertRun(db, { runId: 'run-stuck', status: 'running', startedAt: ago(3 * HOUR) });
    await insertRun(db, {
      runId: 'run-young',
      competition: 'demo-cup',
      season: '50011',
      status: 'running',
      startedAt: ago(HOUR),
    });
    const fired = await evaluate();
    expect(fired.notified.map((n) => [n.key, n.severity])).toEqual([['stuck-run:run-stuck', 'warning']]);
    expect(fired.notified[0]?.summary).toMatch(/^Run stuck: demo-league\.50001 still running since /);
    expect(await evaluate()).toMatchObject({ notified: [] });

    await db
      .update(ops.pipelineRuns)
      .set({ status: 'failed', failedStage: 'reaper', finishedAt: new Date() })
      .where(eq(ops.pipelineRuns.runId, 'run-stuck'));
    const after = await evaluate();
    expect(after.notified.map((n) => [n.state, n.key])).toEqual([
      ['firing', 'run-failed:demo-league.50001'],
      ['resolved', 'stuck-run:run-stuck'],
    ]);
  });

  it('a breaker open longer than alerts.breakerOpenMs fires; a 403 block fires at once; both resolve when it closes', async () => {
    const settings = config.sources.sofascore?.breaker;
    if (!settings) throw new Error('no breaker settings');
    const breaker = new FleetBreaker({ redis: client, prefix: redis.prefix, source: 'sofascore', settings });
    for (let failure = 0; failure < settings.consecutiveFailures; failure += 1) {
      const permission = await breaker.allow();
      if (!permission.allowed) throw new Error('breaker refused too early');
      await breaker.record(permission.token, 'failure');
    }
    expect(await evaluate()).toMatchObject({ notified: [] });
    const later = new Date(Date.now() + 11 * 60_000);
    const fired = await evaluate({ now: later });
    expect(fired.notified.map((n) => [n.key, n.severity])).toEqual([['breaker-open:sofascore', 'critical']]);
    expect(fired.notified[0]?.details).toMatchObject({ source: 'sofascore', reason: 'failures', limit: '10m 0s' });
    expect(await evaluate({ now: later })).toMatchObject({ notified: [] });

    await breaker.trip('blocked');
    const blocked = await evaluate({ now: later });
    expect(blocked.notified.map((n) => [n.state, n.key])).toEqual([
      ['firing', 'blocked:sofascore'],
      ['resolved', 'breaker-open:sofascore'],
    ]);

    // Without Redis the breakers cannot be judged: their alerts stay as they are.
    expect(await evaluate({ now: later, withRedis: false })).toMatchObject({
      notified: [],
      unknown: ['breaker-open', 'blocked'],
    });

    // The blocked cooldown (50 ms here) ends, a probe goes out and succeeds: the breaker closes.
    const probe = await vi.waitFor(async () => {
      const permission = await breaker.allow();
      if (!permission.allowed) throw new Error('still blocked');
      return permission;
    });
    await breaker.record(probe.token, 'success');
    const cleared = await evaluate({ now: later });
    expect(cleared.notified.map((n) => [n.state, n.key])).toEqual([['resolved', 'blocked:sofascore']]);
    expect(receiver.bodies.map((body) => body.text)).toEqual([
      expect.stringMatching(/^\[staging\] FIRING \(critical\): Circuit breaker open: sofascore since /),
      '[staging] FIRING (critical): Source blocked: sofascore refused us (403 challenge); its requests are stopped',
      expect.stringMatching(/^\[staging\] RESOLVED: Circuit breaker open: sofascore/),
      '[staging] RESOLVED: Source blocked: sofascore refused us (403 challenge); its requests are stopped',
    ]);
  });

  it('startAlertLoop evaluates at once and on its interval until stopped', async () => {
    await insertRun(db, {
      runId: 'run-a',
      status: 'failed',
      failedStage: 'build',
      startedAt: ago(HOUR),
      finishedAt: ago(1_000),
    });
    const evaluations: AlertEvaluation[] = [];
    const loop = startAlertLoop({
      db,
      redis: client,
      config,
      logger,
      intervalMs: 20,
      onEvaluated: (e) => evaluations.push(e),
    });
    try {
      await vi.waitFor(() => expect(receiver.bodies).toHaveLength(1));
      await vi.waitFor(() => expect(evaluations.length).toBeGreaterThanOrEqual(3));
    } finally {
      await loop.stop();
    }
    const count = evaluations.length;
    expect(evaluations.flatMap((evaluation) => evaluation.notified)).toHaveLength(1);
    await insertRun(db, { runId: 'run-b', status: 'ok', startedAt: ago(500), finishedAt: ago(100) });
    const now = await loop.evaluateNow();
    expect(now?.notified.map((n) => n.state)).toEqual(['resolved']);
    expect(evaluations).toHaveLength(count + 1);
  });
});
