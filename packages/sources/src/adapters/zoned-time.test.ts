import { describe, expect, it } from 'vitest';
import { timeZoneOffsetMs, zonedTimeToUtc } from './zoned-time.js';

const HOUR_MS = 3_600_000;

/** `2025-03-30 01:30` -> LocalDateTime. */
function local(text: string) {
  const [date = '', time = ''] = text.split(' ');
  const [year, month, day] = date.split('-').map(Number);
  const [hour, minute] = time.split(':').map(Number);
  return { year: year ?? 0, month: month ?? 0, day: day ?? 0, hour: hour ?? 0, minute: minute ?? 0 };
}

const utc = (text: string, zone: string) => zonedTimeToUtc(local(text), zone).toISOString();

describe('zonedTimeToUtc', () => {
  it('follows Europe/London across the spring change (last Sunday of March 2025, 01:00 UTC)', () => {
    expect(utc('2025-03-29 15:00', 'Europe/London')).toBe('2025-03-29T15:00:00.000Z');
    expect(utc('2025-03-30 00:30', 'Europe/London')).toBe('2025-03-30T00:30:00.000Z');
    expect(utc('2025-03-30 02:30', 'Europe/London')).toBe('2025-03-30T01:30:00.000Z');
    expect(utc('2025-03-30 15:00', 'Europe/London')).toBe('2025-03-30T14:00:00.000Z');
  });

  it('moves a skipped wall time (clocks forward) past the gap, as Temporal "compatible" does', () => {
    // 01:30 never happens in London that night; 01:30 read in GMT is 02:30 BST.
    expect(utc('2025-03-30 01:30', 'Europe/London')).toBe('2025-03-30T01:30:00.000Z');
    expect(utc('2025-03-30 02:30', 'Europe/Berlin')).toBe('2025-03-30T01:30:00.000Z');
  });

  it('follows Europe/London across the autumn change (last Sunday of October 2025, 01:00 UTC)', () => {
    expect(utc('2025-10-25 15:00', 'Europe/London')).toBe('2025-10-25T14:00:00.000Z');
    expect(utc('2025-10-26 00:30', 'Europe/London')).toBe('2025-10-25T23:30:00.000Z');
    expect(utc('2025-10-26 02:30', 'Europe/London')).toBe('2025-10-26T02:30:00.000Z');
    expect(utc('2025-10-26 15:00', 'Europe/London')).toBe('2025-10-26T15:00:00.000Z');
  });

  it('takes the earlier instant for a repeated wall time (clocks back)', () => {
    // 01:30 happens twice in London: first in BST (00:30 UTC), then in GMT (01:30 UTC).
    expect(utc('2025-10-26 01:30', 'Europe/London')).toBe('2025-10-26T00:30:00.000Z');
  });

  it('handles southern-hemisphere DST, half-hour offsets and UTC', () => {
    expect(utc('2025-01-15 19:00', 'Australia/Sydney')).toBe('2025-01-15T08:00:00.000Z');
    expect(utc('2025-07-15 19:00', 'Australia/Sydney')).toBe('2025-07-15T09:00:00.000Z');
    expect(utc('2025-07-15 19:30', 'Asia/Kolkata')).toBe('2025-07-15T14:00:00.000Z');
    expect(utc('2025-07-15 12:00', 'America/St_Johns')).toBe('2025-07-15T14:30:00.000Z');
    expect(utc('2025-07-15 12:00', 'UTC')).toBe('2025-07-15T12:00:00.000Z');
  });

  it('crosses midnight and month ends into the UTC date', () => {
    expect(utc('2025-01-01 00:30', 'Europe/Madrid')).toBe('2024-12-31T23:30:00.000Z');
    expect(utc('2025-07-31 21:00', 'America/Sao_Paulo')).toBe('2025-08-01T00:00:00.000Z');
  });

  it('rejects an unknown zone', () => {
    expect(() => utc('2025-07-15 12:00', 'Europe/Atlantis')).toThrow(RangeError);
  });
});

describe('timeZoneOffsetMs', () => {
  it('is the wall clock minus UTC, in milliseconds', () => {
    expect(timeZoneOffsetMs(Date.parse('2025-07-01T12:00:00Z'), 'Europe/London')).toBe(HOUR_MS);
    expect(timeZoneOffsetMs(Date.parse('2025-01-01T12:00:00Z'), 'Europe/London')).toBe(0);
    expect(timeZoneOffsetMs(Date.parse('2025-01-01T12:00:00Z'), 'America/New_York')).toBe(-5 * HOUR_MS);
    expect(timeZoneOffsetMs(Date.parse('2025-01-01T00:00:00.999Z'), 'Asia/Kolkata')).toBe(5.5 * HOUR_MS);
  });
});
