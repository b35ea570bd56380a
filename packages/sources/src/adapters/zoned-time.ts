/** A wall-clock reading with no zone attached, as upstreams like openfootball print it. */
export interface LocalDateTime {
  year: number;
  /** 1..12 */
  month: number;
  /** 1..31 */
  day: number;
  /** 0..23 */
  hour: number;
  /** 0..59 */
  minute: number;
}

const DAY_MS = 86_400_000;

// Building a formatter is far slower than using one, and an adapter converts thousands of kick-offs.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      // h23, not hour12: false, which some ICU versions render as `24` at midnight.
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * How far `timeZone`'s wall clock is ahead of UTC at `instantMs`, in milliseconds (negative west
 * of Greenwich). Uses the runtime's IANA data through Intl, so it follows every DST rule change.
 *
 * @throws RangeError when `timeZone` is not a known IANA zone.
 */
export function timeZoneOffsetMs(instantMs: number, timeZone: string): number {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(instantMs))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const wallClockAsUtcMs = Date.UTC(
    fields.year ?? Number.NaN,
    (fields.month ?? Number.NaN) - 1,
    fields.day ?? Number.NaN,
    fields.hour ?? Number.NaN,
    fields.minute ?? Number.NaN,
    fields.second ?? Number.NaN,
  );
  // The formatter drops milliseconds; compare whole seconds on both sides.
  return wallClockAsUtcMs - Math.floor(instantMs / 1_000) * 1_000;
}

/**
 * The UTC instant at which `timeZone`'s wall clock reads `local`.
 *
 * Around DST changes a wall-clock time can be ambiguous or missing; this resolves them the way
 * Temporal's `compatible` disambiguation does: a repeated time (clocks go back) is the earlier
 * instant, a skipped time (clocks go forward) moves forward by the length of the gap, so
 * 01:30 in London on the spring-forward Sunday is 02:30 BST (01:30 UTC).
 *
 * @throws RangeError when `timeZone` is not a known IANA zone.
 */
export function zonedTimeToUtc(local: LocalDateTime, timeZone: string): Date {
  const wallClockAsUtcMs = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  // A day either side reaches past any transition that could affect this wall time, so the two
  // offsets are the ones in force before and after it (equal when there is no transition).
  const offsetBeforeMs = timeZoneOffsetMs(wallClockAsUtcMs - DAY_MS, timeZone);
  const offsetAfterMs = timeZoneOffsetMs(wallClockAsUtcMs + DAY_MS, timeZone);
  // A larger offset gives an earlier instant; trying it first picks the earlier of two readings.
  const offsetsEarliestFirst =
    offsetBeforeMs >= offsetAfterMs ? [offsetBeforeMs, offsetAfterMs] : [offsetAfterMs, offsetBeforeMs];
  for (const offsetMs of offsetsEarliestFirst) {
    const candidateMs = wallClockAsUtcMs - offsetMs;
    if (timeZoneOffsetMs(candidateMs, timeZone) === offsetMs) return new Date(candidateMs);
  }
  // In the gap: no instant shows this wall time. Reading it with the offset from before the
  // change lands the same distance past the change as the wall time is past its start.
  return new Date(wallClockAsUtcMs - offsetBeforeMs);
}
