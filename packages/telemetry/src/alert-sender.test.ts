import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AlertNotification, AlertSender, formatDuration, slackPayload } from './alert-sender.js';
import { readHeartbeat, writeHeartbeat } from './heartbeat.js';
import { createLogger } from './logger.js';

const logger = createLogger({ service: 'test', level: 'silent' });

const FIRING: AlertNotification = {
  state: 'firing',
  key: 'run-failed:demo-league.50001',
  kind: 'run-failed',
  severity: 'critical',
  summary: 'Run failed: demo-league.50001 at build',
  details: { runId: 'run-1', failedStage: 'build' },
  openedAt: new Date('2024-05-01T10:00:00.000Z'),
  env: 'staging',
};

/** A local webhook receiver answering each request with the next status of `statuses` (the last one repeats). */
async function receiver(statuses: number[]): Promise<{ url: string; bodies: unknown[]; server: Server }> {
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    req.on('end', () => {
      bodies.push(JSON.parse(text));
      res.statusCode = statuses[Math.min(bodies.length - 1, statuses.length - 1)] ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/T000/B000/secret`, bodies, server };
}

async function logLines(file: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(file, 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

let dir: string;
let servers: Server[];
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'matchflow-alerts-'));
  servers = [];
});
afterEach(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await rm(dir, { recursive: true, force: true });
});

function sender(webhookUrl: string | undefined, attempts = 3): AlertSender {
  return new AlertSender({
    webhookUrl,
    logFile: path.join(dir, 'nested', 'logs', 'alerts.log'),
    attempts,
    backoffMs: 5,
    timeoutMs: 2_000,
    logger,
  });
}

describe('AlertSender', () => {
  it('retries a failing webhook with backoff and delivers on the third attempt', async () => {
    const hook = await receiver([500, 503, 200]);
    servers.push(hook.server);
    const delivery = await sender(hook.url, 3).send(FIRING);
    expect(delivery).toEqual({ logged: true, webhook: 'sent', attempts: 3 });
    expect(hook.bodies).toHaveLength(3);
    expect(hook.bodies[2]).toEqual(slackPayload(FIRING));
    expect(await logLines(path.join(dir, 'nested', 'logs', 'alerts.log'))).toEqual([
      expect.objectContaining({ state: 'firing', key: FIRING.key, severity: 'critical', env: 'staging' }),
    ]);
  });

  it('gives up after `attempts` when the webhook is down for good, and the alerts log still has every line', async () => {
    const hook = await receiver([502]);
    servers.push(hook.server);
    const alerts = sender(hook.url, 2);
    const resolved: AlertNotification = { ...FIRING, state: 'resolved', resolvedAt: new Date('2024-05-01T12:03:00Z') };
    expect(await alerts.send(FIRING)).toEqual({ logged: true, webhook: 'failed', attempts: 2 });
    expect(await alerts.send(resolved)).toEqual({ logged: true, webhook: 'failed', attempts: 2 });
    expect(hook.bodies).toHaveLength(4);
    const lines = await logLines(path.join(dir, 'nested', 'logs', 'alerts.log'));
    // The notification first, then the record that the webhook gave up on it.
    expect(lines.map((line) => [line.state ?? line.delivery, line.key])).toEqual([
      ['firing', FIRING.key],
      ['failed', FIRING.key],
      ['resolved', FIRING.key],
      ['failed', FIRING.key],
    ]);
    expect(lines[1]).toMatchObject({ channel: 'webhook', notification: 'firing', attempts: 2, reason: 'HTTP 502' });
    expect(lines[2]).toMatchObject({ resolvedAt: '2024-05-01T12:03:00.000Z', details: FIRING.details });
  });

  it('does not throw when nothing answers at all', async () => {
    const hook = await receiver([200]);
    const url = hook.url;
    await new Promise((resolve) => hook.server.close(resolve));
    const delivery = await sender(url, 2).send(FIRING);
    expect(delivery).toEqual({ logged: true, webhook: 'failed', attempts: 2 });
  });

  it('does not retry a 4xx other than 429 (the hook is wrong, asking again will not help)', async () => {
    const hook = await receiver([404, 200]);
    servers.push(hook.server);
    expect(await sender(hook.url, 3).send(FIRING)).toEqual({ logged: true, webhook: 'failed', attempts: 1 });
    expect(hook.bodies).toHaveLength(1);
  });

  it('only logs when no webhook is configured', async () => {
    expect(await sender(undefined).send(FIRING)).toEqual({ logged: true, webhook: 'none', attempts: 0 });
    expect(await logLines(path.join(dir, 'nested', 'logs', 'alerts.log'))).toHaveLength(1);
  });

  it('reports a log it cannot write instead of throwing', async () => {
    const blocked = new AlertSender({
      logFile: path.join('/dev/null', 'alerts.log'),
      attempts: 1,
      backoffMs: 1,
      timeoutMs: 1_000,
      logger,
    });
    expect(await blocked.send(FIRING)).toEqual({ logged: false, webhook: 'none', attempts: 0 });
  });
});

describe('slackPayload', () => {
  it('says what fires, in which environment, with the details as fields', () => {
    const payload = slackPayload(FIRING);
    expect(payload.text).toBe('[staging] FIRING (critical): Run failed: demo-league.50001 at build');
    expect(payload.attachments[0]).toMatchObject({
      color: '#d00000',
      title: FIRING.summary,
      fields: [
        { title: 'key', value: FIRING.key, short: true },
        { title: 'severity', value: 'critical', short: true },
        { title: 'runId', value: 'run-1', short: true },
        { title: 'failedStage', value: 'build', short: true },
      ],
    });
  });

  it('says how long a resolved problem was open', () => {
    const payload = slackPayload({ ...FIRING, state: 'resolved', resolvedAt: new Date('2024-05-01T12:03:00Z') });
    expect(payload.text).toBe('[staging] RESOLVED: Run failed: demo-league.50001 at build');
    expect(payload.attachments[0]).toMatchObject({ color: '#2eb886', text: 'Cleared after 2h 3m.' });
  });

  it('formats durations', () => {
    expect(formatDuration(4_000)).toBe('4s');
    expect(formatDuration(95_000)).toBe('1m 35s');
    expect(formatDuration(2 * 86_400_000 + 3_600_000)).toBe('2d 1h');
  });
});

describe('writeHeartbeat', () => {
  it('writes the last success of a scope with its finish time as mtime, once per run', async () => {
    const heartbeats = path.join(dir, 'heartbeats');
    const finishedAt = new Date('2024-05-01T10:00:00.000Z');
    expect(await writeHeartbeat(heartbeats, { scope: 'demo-league.50001', runId: 'run-1', finishedAt })).toBe(true);
    expect(await writeHeartbeat(heartbeats, { scope: 'demo-league.50001', runId: 'run-1', finishedAt })).toBe(false);
    expect(await readHeartbeat(heartbeats, 'demo-league.50001')).toEqual({
      scope: 'demo-league.50001',
      runId: 'run-1',
      finishedAt,
    });
    const file = path.join(heartbeats, 'demo-league.50001.json');
    expect((await stat(file)).mtime.toISOString()).toBe(finishedAt.toISOString());
    const later = new Date('2024-05-01T11:00:00.000Z');
    expect(await writeHeartbeat(heartbeats, { scope: 'demo-league.50001', runId: 'run-2', finishedAt: later })).toBe(
      true,
    );
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ runId: 'run-2', finishedAt: later.toISOString() });
  });
});
