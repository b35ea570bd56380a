import { CronExpressionParser } from 'cron-parser';

/*
 * The schedule syntax of the config (`competitions[].schedule`, `scheduler.maintenance.schedule`)
 * and the due times it implies. Kept next to the schema that validates it, so the scheduler, the
 * workers handling ticks and the validator agree on what a schedule means.
 */

/** When a schedule is due: a cron expression in a time zone, or a fixed interval. */
export type ScheduleSpec =
  | { kind: 'cron'; pattern: string; timezone: string }
  /** Due at every multiple of `everyMs` since the Unix epoch (so 1d is midnight UTC). */
  | { kind: 'every'; everyMs: number };

const EVERY = /^every\s+(\d+)\s*(s|m|h|d)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** The longest interval: beyond a year, a cron expression says it better (and due times stay valid Dates). */
const MAX_EVERY_MS = 366 * UNIT_MS.d;

/**
 * Read a schedule: a cron expression (5 fields, or 6 with seconds) evaluated in `timezone`, or
 * `every <n><s|m|h|d>` (`every 30m`). Throws with a message saying what is wrong.
 */
export function parseSchedule(text: string, timezone = 'UTC'): ScheduleSpec {
  const every = EVERY.exec(text.trim());
  if (every) {
    const everyMs = Number(every[1]) * UNIT_MS[every[2] as keyof typeof UNIT_MS];
    if (!(everyMs >= 1_000)) throw new Error('an interval must be at least 1 second');
    if (!(everyMs <= MAX_EVERY_MS)) throw new Error('an interval must be at most 366 days');
    return { kind: 'every', everyMs };
  }
  if (text.trim().startsWith('every')) throw new Error("an interval is written 'every <n><s|m|h|d>', e.g. 'every 30m'");
  // cron-parser fills in missing fields ('* * *', even '' is every minute): count them ourselves.
  const fields = text.trim() === '' ? 0 : text.trim().split(/\s+/).length;
  if (!text.trim().startsWith('@') && fields !== 5 && fields !== 6) {
    throw new Error(`a cron expression has 5 fields (6 with seconds), not ${fields}`);
  }
  CronExpressionParser.parse(text, { tz: timezone });
  return { kind: 'cron', pattern: text, timezone };
}

/** The latest due time at or before `at` (ms since the epoch). */
export function previousDue(spec: ScheduleSpec, at: number): number {
  if (spec.kind === 'every') return Math.floor(at / spec.everyMs) * spec.everyMs;
  // cron-parser's prev() is strictly before its current date; a due time exactly at `at` counts.
  return CronExpressionParser.parse(spec.pattern, { currentDate: new Date(at + 1), tz: spec.timezone })
    .prev()
    .getTime();
}

/** The first due time strictly after `at` (ms since the epoch). */
export function nextDue(spec: ScheduleSpec, at: number): number {
  if (spec.kind === 'every') return (Math.floor(at / spec.everyMs) + 1) * spec.everyMs;
  return CronExpressionParser.parse(spec.pattern, { currentDate: new Date(at), tz: spec.timezone })
    .next()
    .getTime();
}

/** Due times in (`after`, `until`], counted up to `limit` (for logging how many ticks were missed). */
export function dueTimesBetween(spec: ScheduleSpec, after: number, until: number, limit = 1_000): number {
  let count = 0;
  for (let due = nextDue(spec, after); due <= until && count < limit; due = nextDue(spec, due)) count += 1;
  return count;
}
