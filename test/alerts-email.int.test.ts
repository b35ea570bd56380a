import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Config, loadConfig } from '@matchflow/config';
import type { Db } from '@matchflow/db';
import { createTestDatabase, type TestDatabase, testBackends } from '@matchflow/db/testing';
import { type AlertEvaluation, evaluateAlerts, startAlertLoop } from '@matchflow/pipeline';
import { createLogger } from '@matchflow/telemetry';
import { sql } from 'drizzle-orm';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ago, alertLogLines, insertRun, startWebhookReceiver, type WebhookReceiver } from './support/alert-fixtures.js';

/*
 * Email alerts (docs/alerts.md): the same notifications as the webhook, one message each, to an
 * SMTP sink started here. State changes are driven as in alerts.int.test.ts: crafted runs in
 * ops, then `evaluateAlerts`.
 */

const serverUrl = process.env.TEST_DATABASE_URL;
const logger = createLogger({ service: 'test', level: 'silent' });
const HOUR = 3_600_000;

/** A message as the sink received it: envelope, unfolded headers, decoded plain-text body. */
interface ReceivedMail {
  from: string;
  to: string[];
  headers: Record<string, string>;
  body: string;
}

interface Sink {
  port: number;
  mails: ReceivedMail[];
  /** Reply codes for the next DATA commands (`451`: try later, `550`: refused); then 250. */
  refuseNext: number[];
  close(): Promise<void>;
}

/** Minimal quoted-printable decoding: soft line breaks and `=XX` bytes (ASCII bodies only). */
function decodeQuotedPrintable(text: string): string {
  return text
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

function parseMail(raw: string, from: string, to: string[]): ReceivedMail {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const encoded = raw.slice(split + 4);
  const body =
    headers['content-transfer-encoding']?.toLowerCase() === 'quoted-printable'
      ? decodeQuotedPrintable(encoded)
      : encoded;
  return { from, to, headers, body: body.replace(/\r\n/g, '\n') };
}

async function startSink(): Promise<Sink> {
  const mails: ReceivedMail[] = [];
  const refuseNext: number[] = [];
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const code = refuseNext.shift();
        if (code !== undefined) {
          callback(Object.assign(new Error(code >= 500 ? 'refused' : 'try again later'), { responseCode: code }));
          return;
        }
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        mails.push(
          parseMail(
            Buffer.concat(chunks).toString('utf8'),
            from,
            session.envelope.rcptTo.map((rcpt) => rcpt.address),
          ),
        );
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { port, mails, refuseNext, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function makeConfig(dir: string, smtpPort: number, webhookUrl: string): Config {
  return loadConfig(
    {},
    JSON.stringify({
      env: 'staging',
      dataDir: dir,
      sources: { sofascore: { kind: 'sofascore', baseUrl: 'http://127.0.0.1:9' } },
      ratingPools: { football: {} },
      competitions: [
        { id: 'demo-league', source: 'sofascore', competition: 1001, seasons: [50001], ratingPool: 'football' },
      ],
      alerts: {
        webhookUrl,
        attempts: 3,
        backoffMs: 5,
        timeoutMs: 2_000,
        email: {
          smtp: { host: '127.0.0.1', port: smtpPort },
          from: 'matchflow <alerts@matchflow.test>',
          to: ['ops@matchflow.test', 'oncall@matchflow.test'],
        },
      },
    }),
  );
}

describe.each(testBackends(process.env))('email alerts on %s', (backend) => {
  let database: TestDatabase;
  let db: Db;
  let dir: string;
  let sink: Sink;
  let receiver: WebhookReceiver;
  let config: Config;

  beforeAll(async () => {
    database = await createTestDatabase(backend, { serverUrl, label: 'alerts_email' });
    db = database.db;
  });
  afterAll(async () => {
    await database?.dispose();
  });
  beforeEach(async () => {
    await db.execute(sql`TRUNCATE ops.alerts, ops.pipeline_runs CASCADE`);
    dir = await mkdtemp(path.join(tmpdir(), 'matchflow-alerts-email-'));
    sink = await startSink();
    receiver = await startWebhookReceiver();
    config = makeConfig(dir, sink.port, receiver.url);
  });
  afterEach(async () => {
    await sink.close();
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  });

  const evaluate = (): Promise<AlertEvaluation> => evaluateAlerts({ db, config, logger });

  it('sends one email when a run fails and one when it clears, however often it is evaluated', async () => {
    await insertRun(db, { runId: 'run-a', status: 'failed', failedStage: 'build', finishedAt: ago(HOUR) });
    const fired = await evaluate();
    expect(fired.deliveries).toEqual([
      { logged: true, webhook: 'sent', attempts: 1, email: { result: 'sent', attempts: 1 } },
    ]);
    await evaluate();
    await evaluate();
    expect(sink.mails).toHaveLength(1);
    const [firing] = sink.mails;
    expect(firing?.headers.subject).toBe('[matchflow staging] FIRING critical: Run failed: demo-league.50001 at build');
    expect(firing?.from).toBe('alerts@matchflow.test');
    expect(firing?.to).toEqual(['ops@matchflow.test', 'oncall@matchflow.test']);
    expect(firing?.headers.to).toBe('ops@matchflow.test, oncall@matchflow.test');
    expect(firing?.headers['x-matchflow-alert-key']).toBe('run-failed:demo-league.50001');
    expect(firing?.body).toContain('key: run-failed:demo-league.50001\n');
    expect(firing?.body).toContain('severity: critical\n');
    expect(firing?.body).toContain('  runId: run-a\n');
    expect(firing?.body).toContain('  failedStage: build\n');
    expect(firing?.body).toMatch(/opened: \d{4}-\d\d-\d\dT/);

    await insertRun(db, { runId: 'run-b', status: 'ok', finishedAt: ago(1_000) });
    await evaluate();
    await evaluate();
    expect(sink.mails.map((mail) => mail.headers.subject)).toEqual([
      '[matchflow staging] FIRING critical: Run failed: demo-league.50001 at build',
      '[matchflow staging] RESOLVED: Run failed: demo-league.50001 at build',
    ]);
    expect(sink.mails[1]?.body).toMatch(/resolved: \d{4}-\d\d-\d\dT.* \(open \d+s\)/);
    // The webhook got exactly the same transitions.
    expect(receiver.bodies.map((body) => body.text)).toEqual([
      '[staging] FIRING (critical): Run failed: demo-league.50001 at build',
      '[staging] RESOLVED: Run failed: demo-league.50001 at build',
    ]);
  });

  it('sends one email for an escalation (a partial run, then a failed one)', async () => {
    await insertRun(db, { runId: 'run-a', status: 'partial', finishedAt: ago(HOUR) });
    await evaluate();
    await insertRun(db, { runId: 'run-b', status: 'failed', failedStage: 'ratings', finishedAt: ago(1_000) });
    await evaluate();
    await evaluate();
    expect(sink.mails.map((mail) => mail.headers.subject)).toEqual([
      expect.stringMatching(/^\[matchflow staging\] FIRING warning: /),
      expect.stringMatching(/^\[matchflow staging\] ESCALATED critical: /),
    ]);
    expect(sink.mails[1]?.body).toContain('  runId: run-b\n');
  });

  it('retries a temporary refusal, gives up at once on a permanent one, and records the failure', async () => {
    sink.refuseNext.push(451, 421);
    await insertRun(db, { runId: 'run-a', status: 'failed', failedStage: 'build', finishedAt: ago(HOUR) });
    const retried = await evaluate();
    expect(retried.deliveries[0]?.email).toEqual({ result: 'sent', attempts: 3 });
    expect(sink.mails).toHaveLength(1);

    sink.refuseNext.push(550);
    await insertRun(db, { runId: 'run-b', status: 'ok', finishedAt: ago(1_000) });
    const refused = await evaluate();
    expect(refused.deliveries[0]?.email).toEqual({ result: 'failed', attempts: 1 });
    expect(sink.mails).toHaveLength(1);
    expect((await alertLogLines(config)).filter((line) => line.delivery === 'failed')).toEqual([
      expect.objectContaining({
        channel: 'email',
        key: 'run-failed:demo-league.50001',
        notification: 'resolved',
        attempts: 1,
        reason: expect.stringContaining('550'),
      }),
    ]);
  });

  it('with the SMTP server down, the webhook still delivers and the failure is in the alerts log after every attempt', async () => {
    await sink.close();
    await insertRun(db, { runId: 'run-a', status: 'failed', failedStage: 'build', finishedAt: ago(HOUR) });
    const evaluation = await evaluate();
    expect(evaluation.deliveries).toEqual([
      { logged: true, webhook: 'sent', attempts: 1, email: { result: 'failed', attempts: 3 } },
    ]);
    expect(receiver.bodies.map((body) => body.text)).toEqual([
      '[staging] FIRING (critical): Run failed: demo-league.50001 at build',
    ]);
    expect(await alertLogLines(config)).toEqual([
      expect.objectContaining({ state: 'firing', key: 'run-failed:demo-league.50001' }),
      expect.objectContaining({
        delivery: 'failed',
        channel: 'email',
        key: 'run-failed:demo-league.50001',
        notification: 'firing',
        attempts: 3,
        reason: expect.stringMatching(/^E[A-Z]+/),
      }),
    ]);
    // Not retried at the next evaluation: the transition was notified (and recorded) once.
    await evaluate();
    expect(await alertLogLines(config)).toHaveLength(2);
    sink = await startSink();
  });

  it('sends from the alert loop with one sender, closed when the loop stops', async () => {
    await insertRun(db, { runId: 'run-a', status: 'failed', failedStage: 'build', finishedAt: ago(HOUR) });
    const loop = startAlertLoop({ db, config, logger, intervalMs: 60_000 });
    try {
      await loop.evaluateNow();
      await insertRun(db, { runId: 'run-b', status: 'ok', finishedAt: ago(1_000) });
      await loop.evaluateNow();
    } finally {
      await loop.stop();
    }
    expect(sink.mails.map((mail) => mail.headers.subject)).toEqual([
      expect.stringContaining('FIRING critical'),
      expect.stringContaining('RESOLVED'),
    ]);
  });
});
