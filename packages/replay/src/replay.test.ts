import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AccountingSnapshot } from './accounting.js';
import { type ReplayServer, startReplay } from './server.js';
import type { Match } from './world/model.js';
import { viewMatch } from './world/view.js';

const servers: ReplayServer[] = [];
async function replay(options: Parameters<typeof startReplay>[0] = {}): Promise<ReplayServer> {
  const server = await startReplay({ port: 0, ...options });
  servers.push(server);
  return server;
}
afterAll(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** Bodies are the upstream's loosely typed JSON; tests index into them freely. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are arbitrary JSON under test
type Json = any;

async function getJson(url: string): Promise<{ status: number; body: Json; headers: Headers }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json(), headers: response.headers };
}

async function post(url: string, body: unknown, method = 'POST'): Promise<Json> {
  const response = await fetch(url, {
    method,
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  expect(response.status, `${method} ${url}`).toBe(200);
  return response.json();
}

async function accountingOf(server: ReplayServer): Promise<AccountingSnapshot> {
  return (await (await fetch(`${server.url}/_control/accounting`)).json()) as AccountingSnapshot;
}

const matchesOf = (server: ReplayServer): Match[] => [...(server.world?.matches.values() ?? [])];

describe('determinism', () => {
  it('serves byte-identical bodies for the same seed, and different ones for another seed', async () => {
    const [first, second, other] = await Promise.all([replay({ seed: 7 }), replay({ seed: 7 }), replay({ seed: 8 })]);
    const paths = [
      '/unique-tournament/1001/seasons',
      '/unique-tournament/1001/season/50003/events/last/0',
      '/unique-tournament/1002/season/50012/events/last/0',
      '/event/12000001',
      '/event/12000001/lineups',
      '/event/12000001/incidents',
      '/event/12000001/statistics',
      '/sport/tennis/scheduled-events/2026-01-13',
    ];
    for (const route of paths) {
      const [a, b, c] = await Promise.all(
        [first, second, other].map(async (server) => (await fetch(`${server.apiUrl}${route}`)).text()),
      );
      expect(a, route).toBe(b);
      if (!route.endsWith('/seasons')) expect(a, route).not.toBe(c);
    }
  });
});

describe('clock', () => {
  let server: ReplayServer;
  beforeAll(async () => {
    server = await replay({ seed: 7 });
  });

  it('shows a match not started, then in progress with a partial score, then finished', async () => {
    const match = matchesOf(server).find(
      (candidate) =>
        candidate.season.competition.kind === 'league' &&
        candidate.fate === 'played' &&
        candidate.startTimestamp > server.clock.now() &&
        (candidate.football?.goals.length ?? 0) >= 2,
    ) as Match;
    const url = `${server.apiUrl}/event/${match.id}`;
    const play = match.football as NonNullable<Match['football']>;

    await post(`${server.url}/_control/clock`, { set: match.startTimestamp - 60 });
    const before = (await getJson(url)).body.event;
    expect(before.status).toEqual({ code: 0, description: 'Not started', type: 'notstarted' });
    expect(before.homeScore).toEqual({});
    expect(before.changes).toEqual({ changeTimestamp: 0 });
    expect(before.winnerCode).toBeUndefined();

    const firstGoal = play.goals[0] as NonNullable<(typeof play.goals)[0]>;
    await post(`${server.url}/_control/clock`, { set: match.startTimestamp + firstGoal.atOffset });
    const during = (await getJson(url)).body.event;
    expect(during.status.type).toBe('inprogress');
    expect(during.homeScore.display + during.awayScore.display).toBe(1);
    expect(during.winnerCode).toBeUndefined();

    await post(`${server.url}/_control/clock`, { advanceSec: 4 * 3_600 });
    const after = (await getJson(url)).body.event;
    const homeGoals = play.goals.filter((goal) => goal.side === 'home').length;
    expect(after.status).toEqual({ code: 100, description: 'Ended', type: 'finished' });
    expect(after.homeScore.display).toBe(homeGoals);
    expect(after.homeScore.normaltime).toBe(homeGoals);
    expect(after.awayScore.display + after.homeScore.display).toBe(play.goals.length);
    expect(after.winnerCode).toBe(
      homeGoals > play.goals.length - homeGoals ? 1 : homeGoals * 2 === play.goals.length ? 3 : 2,
    );
    expect(after.changes.changeTimestamp).toBe(match.startTimestamp + play.timeline.end);
  });

  it('runs on its own at a configured rate', async () => {
    const running = await replay({ seed: 7, clockRate: 3_600 });
    const start = running.clock.now();
    await vi.waitFor(() => expect(running.clock.now()).toBeGreaterThan(start + 60), { timeout: 2_000, interval: 20 });
  });
});

describe('results and statuses', () => {
  let server: ReplayServer;
  beforeAll(async () => {
    server = await replay({ seed: 7 });
  });

  it('applies a score correction when the clock passes its time, bumping changeTimestamp', async () => {
    const match = matchesOf(server).find(
      (candidate) => candidate.correction && candidate.correction.at > server.clock.now() - 400 * 86_400,
    ) as Match;
    const correction = match.correction as NonNullable<Match['correction']>;
    const url = `${server.apiUrl}/event/${match.id}`;
    await post(`${server.url}/_control/clock`, { set: correction.at - 1 });
    const before = (await getJson(url)).body.event;
    await post(`${server.url}/_control/clock`, { set: correction.at });
    const after = (await getJson(url)).body.event;
    const struck = match.football?.goals.find((goal) => goal.id === correction.goalId);
    const side = struck?.side === 'home' ? 'homeScore' : 'awayScore';
    expect(before.status.type).toBe('finished');
    expect(after[side].display).toBe(before[side].display - 1);
    expect(after[side].current).toBe(before[side].current - 1);
    expect(after.changes.changeTimestamp).toBe(correction.at);
    expect(before.changes.changeTimestamp).toBeLessThan(correction.at);
    expect(after.changes.changes).toContain(`${side}.display`);
    const incidents = (await getJson(`${url}/incidents`)).body.incidents;
    expect(incidents.some((incident: { id: number }) => incident.id === correction.goalId)).toBe(false);
  });

  it('takes a correction at runtime through the control API', async () => {
    const match = matchesOf(server).find(
      (candidate) =>
        !candidate.correction &&
        candidate.season.competition.kind === 'league' &&
        (candidate.football?.goals.length ?? 0) > 0 &&
        viewMatch(candidate, server.clock.now()).finished,
    ) as Match;
    const at = server.clock.now() + 600;
    const set = await post(`${server.url}/_control/corrections`, { eventId: match.id, at });
    expect(set).toMatchObject({ eventId: match.id, at: new Date(at * 1000).toISOString() });
    const url = `${server.apiUrl}/event/${match.id}`;
    const before = (await getJson(url)).body.event;
    await post(`${server.url}/_control/clock`, { advanceSec: 600 });
    const after = (await getJson(url)).body.event;
    expect(after.homeScore.display + after.awayScore.display).toBe(
      before.homeScore.display + before.awayScore.display - 1,
    );
    expect(after.changes.changeTimestamp).toBe(at);
  });

  it('shows postponed, rescheduled, cancelled, walkover, extra time and penalties as the upstream does', async () => {
    const now = server.clock.now();
    const all = matchesOf(server);
    const postponed = all.find(
      (match) => match.fate === 'postponed' && match.reschedule && match.reschedule.at < now,
    ) as Match;
    await post(`${server.url}/_control/clock`, { set: postponed.startTimestamp });
    const whilePostponed = (await getJson(`${server.apiUrl}/event/${postponed.id}`)).body.event;
    expect(whilePostponed.status).toEqual({ code: 60, description: 'Postponed', type: 'postponed' });
    expect(whilePostponed.homeScore).toEqual({});
    await post(`${server.url}/_control/clock`, { set: postponed.reschedule?.at });
    const rescheduled = (await getJson(`${server.apiUrl}/event/${postponed.id}`)).body.event;
    expect(rescheduled.status.type).toBe('notstarted');
    expect(rescheduled.startTimestamp).toBe(postponed.reschedule?.to);
    await post(`${server.url}/_control/clock`, { set: now });

    const canceled = all.find((match) => match.fate === 'canceled' && (match.fateKnownAt ?? 0) < now) as Match;
    expect((await getJson(`${server.apiUrl}/event/${canceled.id}`)).body.event.status).toEqual({
      code: 70,
      description: 'Canceled',
      type: 'canceled',
    });
    const walkover = all.find((match) => match.fate === 'walkover' && match.startTimestamp < now) as Match;
    const walkoverEvent = (await getJson(`${server.apiUrl}/event/${walkover.id}`)).body.event;
    expect(walkoverEvent.status).toEqual({ code: 91, description: 'Walkover', type: 'finished' });
    expect([1, 2]).toContain(walkoverEvent.winnerCode);

    const onPenalties = all.find(
      (match) => (match.football?.shootout.length ?? 0) > 0 && viewMatch(match, now).finished,
    ) as Match;
    const shootout = (await getJson(`${server.apiUrl}/event/${onPenalties.id}`)).body.event;
    expect(shootout.status.code).toBe(120);
    // `current` counts shoot-out goals; `display` is the score after extra time.
    expect(shootout.homeScore.display).toBe(shootout.awayScore.display);
    expect(shootout.homeScore.current - shootout.homeScore.display).toBe(shootout.homeScore.penalties);
    expect(shootout.winnerCode).toBe(shootout.homeScore.penalties > shootout.awayScore.penalties ? 1 : 2);
  });

  it('answers unknown ids and unpublished details with the upstream 404 body', async () => {
    expect(await getJson(`${server.apiUrl}/event/1`)).toMatchObject({
      status: 404,
      body: { error: { code: 404, message: 'Not Found' } },
    });
    const future = matchesOf(server).find(
      (match) => match.startTimestamp > server.clock.now() + 86_400 && match.football,
    ) as Match;
    expect((await getJson(`${server.apiUrl}/event/${future.id}/lineups`)).status).toBe(404);
    expect((await getJson(`${server.apiUrl}/event/${future.id}/incidents`)).status).toBe(404);
    expect((await getJson(`${server.apiUrl}/unique-tournament/9/seasons`)).status).toBe(404);
  });

  it('pages season events 30 at a time, newest page first, 404 past the end', async () => {
    const season = server.world?.competitions[0]?.seasons[0];
    expect(season?.id).toBe(50001);
    const pages: Array<{ ids: number[]; hasNextPage: boolean }> = [];
    for (let page = 0; ; page += 1) {
      const { status, body } = await getJson(
        `${server.apiUrl}/unique-tournament/1001/season/50001/events/last/${page}`,
      );
      if (status === 404) break;
      pages.push({ ids: body.events.map((event: { id: number }) => event.id), hasNextPage: body.hasNextPage });
    }
    expect(pages.flatMap((page) => page.ids).sort()).toEqual(season?.matches.map((match) => match.id).sort());
    expect(pages.map((page) => page.hasNextPage)).toEqual([...pages.slice(1).map(() => true), false]);
    expect(pages.slice(0, -1).every((page) => page.ids.length === 30)).toBe(true);
    expect((await getJson(`${server.apiUrl}/unique-tournament/1001/season/50001/events/next/0`)).status).toBe(404);
  });
});

describe('faults', () => {
  let server: ReplayServer;
  const eventUrl = () => `${server.apiUrl}/event/12000001`;
  beforeAll(async () => {
    server = await replay({ seed: 7 });
  });
  afterEach(async () => {
    await fetch(`${server.url}/_control/faults`, { method: 'DELETE' });
  });

  it('rate limit: 429 with Retry-After once the bucket is empty', async () => {
    await post(`${server.url}/_control/faults`, { rateLimit: { ratePerSec: 0.01, burst: 3 } }, 'PUT');
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let index = 0; index < 5; index += 1) {
      const response = await fetch(eventUrl());
      statuses.push(response.status);
      if (response.status === 429) {
        retryAfter = response.headers.get('retry-after');
        expect(await response.json()).toEqual({ error: { code: 429, message: 'Too Many Requests' } });
      } else await response.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it('quota: a fixed window reported in football-data.org headers, 429 with Retry-After past it', async () => {
    await post(`${server.url}/_control/faults`, { quota: { limit: 2, windowSec: 60 } }, 'PUT');
    const answers = [];
    for (let index = 0; index < 3; index += 1) {
      const response = await fetch(eventUrl());
      await response.arrayBuffer();
      answers.push({
        status: response.status,
        available: response.headers.get('x-requests-available-minute'),
        reset: Number(response.headers.get('x-requestcounter-reset')),
        retryAfter: response.headers.get('retry-after'),
      });
    }
    expect(answers.map((answer) => [answer.status, answer.available])).toEqual([
      [200, '1'],
      [200, '0'],
      [429, '0'],
    ]);
    expect(answers[2]?.reset).toBeGreaterThan(0);
    expect(answers[2]?.reset).toBeLessThanOrEqual(60);
    expect(answers[2]?.retryAfter).toBe(String(answers[2]?.reset));
  });

  it('server errors at the configured rate, from a seeded sequence', async () => {
    await post(`${server.url}/_control/faults`, { errorRate: 1, errorStatus: 502 }, 'PUT');
    expect(await getJson(eventUrl())).toMatchObject({ status: 502, body: { error: { code: 502 } } });
    await post(`${server.url}/_control/faults`, { errorRate: 0.5 }, 'PUT');
    const statuses = await Promise.all(Array.from({ length: 40 }, async () => (await fetch(eventUrl())).status));
    expect(statuses.filter((status) => status === 500).length).toBeGreaterThan(5);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThan(5);
  });

  it('latency: no answer before the base delay', async () => {
    await post(`${server.url}/_control/faults`, { latency: { baseMs: 150, jitterMs: 50 } }, 'PUT');
    const started = performance.now();
    expect((await fetch(eventUrl())).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(149);
  });

  it('outage: 503 for everything, or connections reset; ends after its duration', async () => {
    await post(`${server.url}/_control/faults`, { outage: { mode: '503' } }, 'PUT');
    expect((await getJson(eventUrl())).body).toEqual({ error: { code: 503, message: 'Service Unavailable' } });
    await post(`${server.url}/_control/faults`, { outage: { mode: 'reset', durationMs: 300 } }, 'PUT');
    await expect(fetch(eventUrl())).rejects.toThrow();
    await vi.waitFor(async () => expect((await fetch(eventUrl())).status).toBe(200), { timeout: 3_000, interval: 50 });
  });

  it('block: the real 403 "challenge" body', async () => {
    await post(`${server.url}/_control/faults`, { block: true }, 'PUT');
    expect(await getJson(eventUrl())).toEqual(
      expect.objectContaining({ status: 403, body: { error: { code: 403, reason: 'challenge' } } }),
    );
  });

  it('contract drift: a required field goes missing, or changes type, for chosen events only', async () => {
    await post(`${server.url}/_control/faults`, { drift: { eventIds: [12000001], mode: 'missing-field' } }, 'PUT');
    expect((await getJson(eventUrl())).body.event.status).toBeUndefined();
    expect((await getJson(`${server.apiUrl}/event/12000002`)).body.event.status).toBeDefined();
    await post(`${server.url}/_control/faults`, { drift: { eventIds: [12000001], mode: 'wrong-type' } }, 'PUT');
    expect(typeof (await getJson(eventUrl())).body.event.startTimestamp).toBe('string');
  });

  it('slow bodies: headers first, the body spread over the configured time, intact', async () => {
    const expected = await (await fetch(eventUrl())).text();
    await post(`${server.url}/_control/faults`, { slowBody: { totalMs: 400, chunks: 4 } }, 'PUT');
    const started = performance.now();
    const response = await fetch(eventUrl());
    const headersAfter = performance.now() - started;
    const text = await response.text();
    expect(text).toBe(expected);
    expect(performance.now() - started).toBeGreaterThanOrEqual(299);
    expect(headersAfter).toBeLessThan(performance.now() - started);
  });

  it('rejects invalid fault settings with a 400 naming the problem', async () => {
    const response = await fetch(`${server.url}/_control/faults`, {
      method: 'PUT',
      body: JSON.stringify({ errorRate: 2 }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/errorRate/);
  });
});

describe('accounting', () => {
  it('counts per endpoint and status exactly, and the busiest windows and concurrency', async () => {
    const server = await replay({ seed: 7, faults: { rateLimit: { ratePerSec: 0.01, burst: 6 } } });
    await post(`${server.url}/_control/accounting/reset`, {});
    const hit = async (route: string) => (await fetch(`${server.apiUrl}${route}`)).arrayBuffer();
    for (let index = 0; index < 4; index += 1) await hit('/event/12000001');
    await hit('/event/12000001/lineups');
    await hit('/event/1');
    for (let index = 0; index < 3; index += 1) await hit('/event/12000001/statistics');
    const snapshot = await accountingOf(server);
    expect(snapshot.requests).toBe(9);
    expect(snapshot.byEndpoint).toEqual({
      event: { '200': 4, '404': 1 },
      'event.lineups': { '200': 1 },
      'event.statistics': { '429': 3 },
    });
    expect(snapshot.served429).toBe(3);
    expect(snapshot.served5xx).toBe(0);

    // Ten requests held open together by latency: all in flight at once, all within one second.
    await post(`${server.url}/_control/faults`, { latency: { baseMs: 300, jitterMs: 0 } }, 'PUT');
    await post(`${server.url}/_control/accounting/reset`, {});
    await Promise.all(Array.from({ length: 10 }, () => hit('/event/12000001')));
    const burst = await accountingOf(server);
    expect(burst.peakInFlight).toBe(10);
    expect(burst.peakRequestsPer1s).toBe(10);
    expect(burst.peakRequestsPer10s).toBe(10);
    expect(burst.peakConnections).toBeGreaterThanOrEqual(10);
  });
});

describe('static mode', () => {
  let dir: string;
  let server: ReplayServer;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'replay-static-'));
    await mkdir(path.join(dir, '2024-25'));
    writeFileSync(path.join(dir, '2024-25', 'en.1.json'), '{"name":"English Premier League 2024/25","matches":[]}');
    writeFileSync(path.join(tmpdir(), 'replay-outside-secret.txt'), 'secret');
    server = await replay({ staticDir: dir });
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(path.join(tmpdir(), 'replay-outside-secret.txt'), { force: true });
  });

  it('serves files under the directory, nothing outside it, with faults and accounting', async () => {
    const file = await getJson(`${server.url}/2024-25/en.1.json`);
    expect(file).toMatchObject({ status: 200, body: { name: 'English Premier League 2024/25' } });
    expect((await fetch(`${server.url}/2024-25/missing.json`)).status).toBe(404);
    expect((await fetch(`${server.url}/..%2Freplay-outside-secret.txt`)).status).toBe(404);
    await post(`${server.url}/_control/faults`, { block: true }, 'PUT');
    expect((await fetch(`${server.url}/2024-25/en.1.json`)).status).toBe(403);
    const snapshot = await accountingOf(server);
    expect(snapshot.byEndpoint).toEqual({ static: { '200': 1, '403': 1, '404': 2 } });
  });
});
