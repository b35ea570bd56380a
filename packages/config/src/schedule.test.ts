import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.js';
import { dueTimesBetween, nextDue, parseSchedule, previousDue } from './schedule.js';

const at = (iso: string) => Date.parse(iso);

describe('schedules', () => {
  it('reads cron expressions and intervals, and rejects anything else', () => {
    expect(parseSchedule('0 * * * *', 'Europe/London')).toEqual({
      kind: 'cron',
      pattern: '0 * * * *',
      timezone: 'Europe/London',
    });
    expect(parseSchedule('every 30m')).toEqual({ kind: 'every', everyMs: 1_800_000 });
    expect(parseSchedule('every 1d')).toEqual({ kind: 'every', everyMs: 86_400_000 });
    expect(() => parseSchedule('every 30 minutes')).toThrow(/every <n>/);
    expect(() => parseSchedule('every 0s')).toThrow(/at least 1 second/);
    expect(() => parseSchedule('61 * * * *')).toThrow();
    // cron-parser alone would fill in the missing fields of these.
    expect(() => parseSchedule('* * *')).toThrow(/5 fields \(6 with seconds\), not 3/);
    expect(() => parseSchedule('')).toThrow(/not 0/);
    expect(() => parseSchedule('every 367d')).toThrow(/at most 366 days/);
  });

  it('finds the due times around an instant, a due time itself counting as previous', () => {
    const hourly = parseSchedule('0 * * * *');
    expect(previousDue(hourly, at('2024-05-01T10:20:00Z'))).toBe(at('2024-05-01T10:00:00Z'));
    expect(previousDue(hourly, at('2024-05-01T10:00:00Z'))).toBe(at('2024-05-01T10:00:00Z'));
    expect(nextDue(hourly, at('2024-05-01T10:00:00Z'))).toBe(at('2024-05-01T11:00:00Z'));
    const interval = parseSchedule('every 15m');
    expect(previousDue(interval, at('2024-05-01T10:20:00Z'))).toBe(at('2024-05-01T10:15:00Z'));
    expect(nextDue(interval, at('2024-05-01T10:15:00Z'))).toBe(at('2024-05-01T10:30:00Z'));
    expect(dueTimesBetween(hourly, at('2024-05-01T07:00:00Z'), at('2024-05-01T10:20:00Z'))).toBe(3);
  });

  it('evaluates cron in its time zone, across a daylight-saving change', () => {
    // 03:30 in New York: EST (UTC-5) before 10 March 2024, EDT (UTC-4) after.
    const nightly = parseSchedule('30 3 * * *', 'America/New_York');
    expect(nextDue(nightly, at('2024-03-09T00:00:00Z'))).toBe(at('2024-03-09T08:30:00Z'));
    expect(nextDue(nightly, at('2024-03-10T12:00:00Z'))).toBe(at('2024-03-11T07:30:00Z'));
  });

  it('defaults: hourly per competition, nightly maintenance, catching up once, ops samples every minute', () => {
    const config = loadConfig(
      {},
      JSON.stringify({
        sources: { s: { kind: 'sofascore', baseUrl: 'http://127.0.0.1:1' } },
        ratingPools: { p: {} },
        competitions: [{ id: 'c', source: 's', competition: 1, seasons: [1], ratingPool: 'p' }],
      }),
    );
    expect(config.competitions[0]).toMatchObject({ schedule: '0 * * * *', timezone: 'UTC', missedRuns: 'once' });
    expect(config.scheduler).toEqual({
      syncIntervalMs: 60_000,
      maintenance: { schedule: '30 3 * * *', timezone: 'UTC', missedRuns: 'once' },
      opsSamples: { every: 60_000 },
    });
  });

  it('ops samples: a duration of at least 1 s, or off', () => {
    const every = (value: unknown) =>
      loadConfig({}, JSON.stringify({ scheduler: { opsSamples: { every: value } } })).scheduler.opsSamples.every;
    expect(every('30s')).toBe(30_000);
    expect(every('5m')).toBe(300_000);
    expect(every('off')).toBe('off');
    expect(() => every('500ms')).toThrow(/scheduler\.opsSamples\.every/);
    expect(() => every('often')).toThrow(/scheduler\.opsSamples\.every/);
  });

  it('names the bad key', () => {
    expect(() =>
      loadConfig({}, 'scheduler: { maintenance: { schedule: "every fortnight", missedRuns: twice } }'),
    ).toThrow(/scheduler\.maintenance\.schedule[\s\S]*scheduler\.maintenance\.missedRuns/);
  });
});
