import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConfig, type SourceSettings } from '@matchflow/config';
import { type AccountingSnapshot, type ReplayServer, startReplay } from '@matchflow/replay';
import {
  mapSofascoreEvent,
  mapSofascoreEventsPage,
  mapSofascoreIncidents,
  mapSofascoreLineups,
  mapSofascoreSeasons,
  mapSofascoreStatistics,
  SOFASCORE_PATHS,
  SourceClient,
  UpstreamBlocked,
  UpstreamRateLimited,
  UpstreamUnavailable,
} from '@matchflow/sources';
import { createLogger } from '@matchflow/telemetry';
import { testRedis } from '@matchflow/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const LOAD_SCRIPT = fileURLToPath(new URL('./support/limiter-load.ts', import.meta.url));
const TSX_LOADER = import.meta.resolve('tsx');
const logger = createLogger({ service: 'test', level: 'silent' });
const redis = testRedis(undefined, 'sources-replay');
let replay: ReplayServer;
let sourceCounter = 0;
const clients: SourceClient[] = [];

beforeAll(async () => {
  replay = await startReplay({ port: 0, seed: 7 });
});
afterEach(async () => {
  await fetch(`${replay.url}/_control/faults`, { method: 'DELETE' });
  await Promise.all(clients.splice(0).map((client) => client.close()));
});
afterAll(async () => {
  await replay?.close();
  await redis.cleanup();
});

function settingsFor(overrides: Record<string, unknown> = {}): SourceSettings {
  const config = loadConfig(
    {},
    JSON.stringify({ sources: { replay: { kind: 'sofascore', baseUrl: replay.apiUrl, ...overrides } } }),
  );
  return config.sources.replay as SourceSettings;
}

/** Clients standing for separate processes: each has its own Redis connection and HTTP pool. */
function fleetOf(
  count: number,
  overrides: Record<string, unknown> = {},
  extra: Partial<ConstructorParameters<typeof SourceClient>[0]> = {},
) {
  const name = `replay-${++sourceCounter}`;
  return Array.from({ length: count }, () => {
    const client = new SourceClient({
      name,
      settings: settingsFor(overrides),
      redis: redis.connect(),
      prefix: redis.prefix,
      logger,
      ...extra,
    });
    clients.push(client);
    return client;
  });
}

async function accounting(): Promise<AccountingSnapshot> {
  return (await (await fetch(`${replay.url}/_control/accounting`)).json()) as AccountingSnapshot;
}

async function setFaults(faults: unknown): Promise<void> {
  const response = await fetch(`${replay.url}/_control/faults`, { method: 'PUT', body: JSON.stringify(faults) });
  expect(response.status).toBe(200);
}

const eventIds = () => [...(replay.world?.matches.values() ?? [])].slice(0, 200).map((match) => match.id);

interface LoadResult {
  ok: number;
  failed: number;
  late: number;
}

/**
 * Fleet processes (test/support/limiter-load.ts), each with its own Redis connection and HTTP
 * pool, given one option set each. Once all are ready (however long a loaded machine takes to
 * start them), they run together from 0.5 s later for `durationMs`.
 */
async function runLoad(perProcess: Array<Record<string, unknown>>, durationMs: number): Promise<LoadResult[]> {
  const children = perProcess.map((options) => {
    const child = spawn(
      process.execPath,
      ['--conditions=matchflow-source', '--import', TSX_LOADER, LOAD_SCRIPT, JSON.stringify(options)],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let output = '';
    let onReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      onReady = resolve;
    });
    child.stdout.on('data', (chunk) => {
      output += String(chunk);
      if (output.includes('"ready":true')) onReady();
    });
    child.stderr.on('data', (chunk) => {
      output += String(chunk);
    });
    const result = new Promise<LoadResult>((resolve, reject) => {
      child.on('exit', (code) => {
        if (code !== 0) reject(new Error(`load process exited ${code}: ${output}`));
        else resolve(JSON.parse(output.trim().split('\n').at(-1) ?? '{}'));
      });
    });
    return { child, ready: Promise.race([ready, result.then(() => undefined)]), result };
  });
  await Promise.all(children.map(({ ready }) => ready));
  const startAtMs = Date.now() + 500;
  for (const { child } of children) {
    child.stdin.end(`${JSON.stringify({ startAtMs, endAtMs: startAtMs + durationMs })}\n`);
  }
  return Promise.all(children.map(({ result }) => result));
}

describe('fleet-wide limiter against the replay, with separate OS processes', () => {
  const BUDGET = { requestsPerInterval: 20, intervalMs: 1_000, maxConcurrent: 8 };
  const DURATION_MS = 15_000;

  async function runFleet(processes: number) {
    await fetch(`${replay.url}/_control/accounting/reset`, { method: 'POST' });
    const options = {
      apiUrl: replay.apiUrl,
      redisUrl: 'redis://127.0.0.1:6379',
      prefix: redis.prefix,
      source: `fidelity-${processes}-${++sourceCounter}`,
      ...BUDGET,
      workers: 6,
      eventIds: eventIds(),
    };
    const results = await runLoad(
      Array.from({ length: processes }, () => options),
      DURATION_MS,
    );
    const served = await accounting();
    const achievedPerSec = served.requests / (DURATION_MS / 1000);
    console.info(
      `[limiter fidelity] ${processes} process(es): budget ${BUDGET.requestsPerInterval}/s, achieved ${achievedPerSec.toFixed(2)}/s ` +
        `(${((achievedPerSec / BUDGET.requestsPerInterval) * 100).toFixed(1)}%), max 1 s window ${served.peakRequestsPer1s}, ` +
        `max 10 s window ${served.peakRequestsPer10s}, peak in flight ${served.peakInFlight}, requests ${served.requests}`,
    );
    return { results, served, achievedPerSec };
  }

  for (const processes of [1, 3]) {
    it(`${processes} process(es) for 15 s: never above the budget in any 1 s window, at least 80% of it used`, async () => {
      const { results, served, achievedPerSec } = await runFleet(processes);
      expect(results.every((result) => result.failed === 0)).toBe(true);
      expect(served.byStatus['429'] ?? 0).toBe(0);
      expect(served.peakRequestsPer1s).toBeLessThanOrEqual(BUDGET.requestsPerInterval + 1);
      expect(served.peakInFlight).toBeLessThanOrEqual(BUDGET.maxConcurrent);
      // The suite runs test files side by side on 2 cores: a starved process starts late and
      // under-uses its budget (17.3/s of 20 seen once under load). That is not what this guards:
      // the ceiling above is exact, and the floor here only catches a limiter that holds requests back.
      expect(achievedPerSec).toBeGreaterThanOrEqual(0.8 * BUDGET.requestsPerInterval);
    }, 40_000);
  }
});

describe('fleet-wide limiter: a request counts from when it was actually sent', () => {
  const BUDGET = { requestsPerInterval: 10, intervalMs: 1_000, maxConcurrent: 12 };
  const DURATION_MS = 6_000;

  /**
   * Three processes against the replay with 50–150 ms answers: two send what they are granted
   * at once, one waits 300–700 ms after each grant before sending (a starved process). The
   * replay, alone in this process, counts arrivals in every sliding 1 s window. With
   * `countFromGrant` the late sender reports its grant time as its send time: the limiter's
   * first, unsound rule.
   */
  async function withLateSender(countFromGrant: boolean) {
    await setFaults({ latency: { baseMs: 50, jitterMs: 100 } });
    await fetch(`${replay.url}/_control/accounting/reset`, { method: 'POST' });
    const options = {
      apiUrl: replay.apiUrl,
      redisUrl: 'redis://127.0.0.1:6379',
      prefix: redis.prefix,
      source: `late-sender-${++sourceCounter}`,
      ...BUDGET,
      // Counting from the send time is the opt-in rule this block is about.
      sendGuardMs: 20,
      workers: 4,
      eventIds: eventIds(),
    };
    const [late, ...prompt] = await runLoad(
      [{ ...options, lagAfterGrantMs: [300, 700], countFromGrant }, options, options],
      DURATION_MS,
    );
    if (!late) throw new Error('no late sender');
    return { served: await accounting(), late, prompt };
  }

  it('keeps every 1 s window at the upstream within the budget when a granted request is sent late', async () => {
    const { served, late, prompt } = await withLateSender(false);
    console.info(
      `[late sender] counting from the send: max 1 s window ${served.peakRequestsPer1s}, requests ${served.requests}, sent late ${late.late}`,
    );
    expect([late, ...prompt].every((result) => result?.failed === 0)).toBe(true);
    expect(late.late).toBeGreaterThanOrEqual(5);
    expect(served.peakRequestsPer1s).toBeLessThanOrEqual(BUDGET.requestsPerInterval);
    // And the budget is used (six 1 s windows hold 60, minus a start on a loaded machine).
    expect(served.requests).toBeGreaterThanOrEqual(0.8 * BUDGET.requestsPerInterval * (DURATION_MS / 1_000));
  }, 30_000);

  it('and the check above catches the rule that counts a request from its grant', async () => {
    const { served } = await withLateSender(true);
    console.info(`[late sender] counting from the grant: max 1 s window ${served.peakRequestsPer1s}`);
    expect(served.peakRequestsPer1s).toBeGreaterThan(BUDGET.requestsPerInterval);
  }, 30_000);
});

describe('SourceClient against the replay', () => {
  it('honours a 429 Retry-After across the whole fleet', async () => {
    await setFaults({ rateLimit: { ratePerSec: 0.5, burst: 1 } });
    const [first, second, impatient] = fleetOf(3, {}, { maxWaitMs: 10_000 });
    await first?.fetch('event', '/event/12000001');
    const limited = await first?.fetch('event', '/event/12000002').catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(UpstreamRateLimited);
    const retryAfterMs = (limited as UpstreamRateLimited).retryAfterMs;
    expect(retryAfterMs).toBeGreaterThanOrEqual(1_000);

    const before = (await accounting()).requests;
    const quick = new SourceClient({
      name: first?.name ?? '',
      settings: settingsFor(),
      redis: redis.connect(),
      prefix: redis.prefix,
      logger,
      maxWaitMs: 100,
    });
    clients.push(quick);
    await expect(quick.fetch('event', '/event/12000003')).rejects.toMatchObject({
      code: 'upstream-paused',
      reason: 'rate-limit-pause',
    });
    const started = performance.now();
    const answer = await second?.fetch('event', '/event/12000003');
    expect(performance.now() - started).toBeGreaterThanOrEqual(retryAfterMs - 150);
    expect(answer?.status).toBe(200);
    // Nobody in the fleet went out while the pause was in force.
    expect((await accounting()).requests).toBe(before + 1);
    expect(impatient).toBeDefined();
  });

  it('obeys the budget the upstream reports in football-data.org headers (adaptive)', async () => {
    await setFaults({ quota: { limit: 4, windowSec: 1, headers: true } });
    await fetch(`${replay.url}/_control/accounting/reset`, { method: 'POST' });
    const [first, second] = fleetOf(
      2,
      { rateLimit: { requestsPerInterval: 100, intervalMs: 1_000, maxConcurrent: 4 } },
      { maxWaitMs: 5_000 },
    );
    const started = performance.now();
    for (let index = 0; index < 12; index += 1) {
      const client = index % 2 === 0 ? first : second;
      expect((await client?.fetch('event', `/event/${12_000_001 + index}`))?.status).toBe(200);
    }
    const served = await accounting();
    // The configured budget (100/s) would have sent all 12 at once and met 429s; the reported one (4/s) was obeyed.
    expect(served.byStatus['429'] ?? 0).toBeLessThanOrEqual(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_500);
  });

  it('opens the breaker for every process after repeated failures, probes once, closes when the upstream is back', async () => {
    const breaker = { consecutiveFailures: 3, cooldownMs: 400 };
    const [first, second] = fleetOf(2, { breaker });
    await setFaults({ outage: { mode: '503' } });
    for (let index = 0; index < 2; index += 1) {
      await expect(first?.fetch('event', '/event/12000001')).rejects.toBeInstanceOf(UpstreamUnavailable);
    }
    // The failure that opens the breaker waits like the rest (no attempt spent), the 503 its cause.
    const opening = await first?.fetch('event', '/event/12000001').catch((error: unknown) => error);
    expect(opening).toMatchObject({ code: 'upstream-paused', reason: 'breaker-open' });
    expect((opening as Error).cause).toBeInstanceOf(UpstreamUnavailable);
    const before = (await accounting()).requests;
    await expect(second?.fetch('event', '/event/12000001')).rejects.toMatchObject({
      code: 'upstream-paused',
      reason: 'breaker-open',
    });
    expect((await accounting()).requests).toBe(before);
    expect((await second?.breaker.state())?.state).toBe('open');

    await setFaults({});
    await new Promise((resolve) => setTimeout(resolve, breaker.cooldownMs + 50));
    expect((await second?.fetch('event', '/event/12000001'))?.status).toBe(200);
    expect((await first?.breaker.state())?.state).toBe('closed');
  });

  it('stops the source for the whole fleet on a 403 challenge, and raises the alert', async () => {
    const blocked: UpstreamBlocked[] = [];
    const [first, second] = fleetOf(2, {}, { onBlocked: (error) => blocked.push(error) });
    await setFaults({ block: true });
    await fetch(`${replay.url}/_control/accounting/reset`, { method: 'POST' });
    await expect(first?.fetch('event', '/event/12000001')).rejects.toBeInstanceOf(UpstreamBlocked);
    await setFaults({});
    // Stopped: every other process fails at once too (no request, no retry), for the blocked cooldown.
    const refused = await second?.fetch('event', '/event/12000001').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UpstreamBlocked);
    expect((await accounting()).requests).toBe(1);
    expect((await second?.breaker.state())?.openUntil).toBeGreaterThan(Date.now() + 3_000_000);
    expect(blocked).toHaveLength(1);
    expect(await second?.breaker.state()).toMatchObject({ state: 'open', reason: 'blocked' });
  });
});

describe('sofascore adapter against the replay', () => {
  it('maps seasons, a season page and one match with lineups, incidents and statistics', async () => {
    const [client] = fleetOf(1, { rateLimit: { requestsPerInterval: 200, intervalMs: 1_000, maxConcurrent: 8 } });
    if (!client) throw new Error('no client');
    const source = client.name;
    const seasons = mapSofascoreSeasons((await client.fetch('seasons', SOFASCORE_PATHS.seasons('1001'))).body, {
      source,
      competitionSourceId: '1001',
    });
    expect(seasons.map((season) => season.sourceId)).toEqual(['50003', '50002', '50001']);

    const page = mapSofascoreEventsPage(
      (await client.fetch('events', SOFASCORE_PATHS.eventsLast('1001', '50001', 0))).body,
      source,
    );
    expect(page.batch.matches).toHaveLength(30);
    expect(page.batch.matches.every((match) => match.status === 'finished' || match.status === 'canceled')).toBe(true);

    // A cup tie decided on penalties: the mapping must agree with what the simulation decided.
    const now = replay.clock.now();
    const shootout = [...(replay.world?.matches.values() ?? [])].find(
      (match) => (match.football?.shootout.length ?? 0) > 0 && match.startTimestamp + 4 * 3_600 < now,
    );
    if (!shootout?.football) throw new Error('no shoot-out in the world');
    const id = String(shootout.id);
    const [match] = mapSofascoreEvent((await client.fetch('event', SOFASCORE_PATHS.event(id))).body, source).matches;
    const kicks = { home: 0, away: 0 };
    for (const kick of shootout.football.shootout) if (kick.scored) kicks[kick.side] += 1;
    const goals = { home: 0, away: 0 };
    for (const goal of shootout.football.goals) goals[goal.side] += 1;
    expect(match).toMatchObject({
      status: 'finished',
      statusDetail: 'after-penalties',
      score: goals,
      penalties: kicks,
      winner: kicks.home > kicks.away ? 'home' : 'away',
    });

    const context = {
      source,
      matchSourceId: id,
      homeSourceId: String(shootout.home.id),
      awaySourceId: String(shootout.away.id),
    };
    const { appearances } = mapSofascoreLineups(
      (await client.fetch('lineups', SOFASCORE_PATHS.lineups(id))).body,
      context,
    );
    expect(appearances.filter((appearance) => appearance.starter)).toHaveLength(22);
    const incidents = mapSofascoreIncidents(
      (await client.fetch('incidents', SOFASCORE_PATHS.incidents(id))).body,
      context,
    );
    expect(incidents.filter((incident) => incident.kind === 'goal')).toHaveLength(goals.home + goals.away);
    expect(incidents.filter((incident) => incident.kind === 'shootout-kick')).toHaveLength(
      shootout.football.shootout.length,
    );
    expect(incidents.map((incident) => incident.seq)).toEqual(incidents.map((_incident, index) => index));
    const statistics = mapSofascoreStatistics(
      (await client.fetch('statistics', SOFASCORE_PATHS.statistics(id))).body,
      context,
    );
    const possession = statistics.find((item) => item.period === 'ALL' && item.key === 'ballPossession');
    expect((possession?.home ?? 0) + (possession?.away ?? 0)).toBe(100);
  });

  it('maps tennis matches with players, sets, retirements and walkovers', async () => {
    const [client] = fleetOf(1, { rateLimit: { requestsPerInterval: 200, intervalMs: 1_000, maxConcurrent: 8 } });
    if (!client) throw new Error('no client');
    const matches = [];
    for (let page = 0; ; page += 1) {
      const answer = await client
        .fetch('events', SOFASCORE_PATHS.eventsLast('1003', '50022', page))
        .catch(() => undefined);
      if (!answer) break;
      const mapped = mapSofascoreEventsPage(answer.body, client.name);
      matches.push(...mapped.batch.matches);
      if (!mapped.hasNextPage) break;
    }
    expect(matches).toHaveLength(31);
    expect(matches.filter((match) => match.statusDetail === 'walkover')).toHaveLength(1);
    expect(matches.filter((match) => match.statusDetail === 'retired').length).toBeGreaterThanOrEqual(1);
    for (const match of matches.filter((candidate) => candidate.statusDetail === 'regular')) {
      const sets = match.periods.filter((set) => set.home !== set.away);
      const won = {
        home: sets.filter((set) => set.home > set.away).length,
        away: sets.filter((set) => set.away > set.home).length,
      };
      expect(match.score).toEqual(won);
      expect(match.winner).toBe(won.home === 2 ? 'home' : 'away');
    }
  });
});
