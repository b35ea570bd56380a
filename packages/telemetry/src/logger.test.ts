import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, jobLogger, REDACTION_CENSOR, wantsPrettyLogs } from './logger.js';

/** A destination that keeps every JSON line pino writes. */
function captureLines(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('redacts credentials wherever they sit in the logged object', () => {
    const { stream, lines } = captureLines();
    const log = createLogger({ service: 'worker', level: 'info', destination: stream });
    log.info(
      {
        token: 'top-level-secret',
        source: { name: 'football-data', credentials: { token: 'fd-secret' } },
        request: { headers: { authorization: 'Bearer abc', 'x-auth-token': 'xyz', accept: 'application/json' } },
        dashboard: { auth: { basic: { username: 'ops', password: 'hunter2hunter2' } } },
        url: 'redis://:redis-secret@cache:6379',
      },
      'source configured',
    );
    const [line] = lines();
    const text = JSON.stringify(line);
    for (const secret of ['top-level-secret', 'fd-secret', 'Bearer abc', 'xyz', 'hunter2hunter2', 'redis-secret']) {
      expect(text).not.toContain(secret);
    }
    expect(line).toMatchObject({
      token: REDACTION_CENSOR,
      source: { name: 'football-data', credentials: { token: REDACTION_CENSOR } },
      request: { headers: { authorization: REDACTION_CENSOR, accept: 'application/json' } },
      dashboard: { auth: { basic: { username: 'ops', password: REDACTION_CENSOR } } },
    });
  });

  it('writes JSON with service, level label, ISO time and message', () => {
    const { stream, lines } = captureLines();
    createLogger({ service: 'scheduler', level: 'debug', destination: stream, base: { env: 'staging' } }).debug(
      { matchId: 'm1', durationMs: 12 },
      'match ingested',
    );
    const [line] = lines();
    expect(line).toMatchObject({
      service: 'scheduler',
      env: 'staging',
      level: 'debug',
      msg: 'match ingested',
      matchId: 'm1',
    });
    expect(new Date(String(line?.time)).toISOString()).toBe(line?.time);
  });

  it('drops lines below the configured level', () => {
    const { stream, lines } = captureLines();
    const log = createLogger({ service: 'worker', level: 'warn', destination: stream });
    log.info('not shown');
    log.warn('shown');
    expect(lines().map((line) => line.msg)).toEqual(['shown']);
  });
});

describe('jobLogger', () => {
  it('tags every line with queue, job, id, 1-based attempt and run id', () => {
    const { stream, lines } = captureLines();
    const log = createLogger({ service: 'worker', level: 'info', destination: stream });
    jobLogger(log, {
      queueName: 'ingest',
      name: 'match.ingest',
      id: 'ingest.sofascore.11.run-1',
      attemptsMade: 2,
      data: { runId: 'run-1', matchId: '11' },
    }).info('fetched');
    expect(lines()[0]).toMatchObject({
      queue: 'ingest',
      job: 'match.ingest',
      jobId: 'ingest.sofascore.11.run-1',
      attempt: 3,
      runId: 'run-1',
    });
  });
});

describe('wantsPrettyLogs', () => {
  it('is on only for dev at a terminal', () => {
    expect(wantsPrettyLogs('dev', true)).toBe(true);
    expect(wantsPrettyLogs('dev', false)).toBe(false);
    expect(wantsPrettyLogs('prod', true)).toBe(false);
  });
});
