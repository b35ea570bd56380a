/* Small text-formatting helpers shared by the operator commands. */

/** `2026-11-30 03:15:02` (UTC), or `-`. */
export function utcTime(time: Date | null | undefined): string {
  if (!time) return '-';
  return time.toISOString().slice(0, 19).replace('T', ' ');
}

/** `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`, or `-`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1_000);
  if (seconds < 3_600) return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** A number for a table: integers as they are, others with up to `digits` decimals. */
export function figure(value: number, digits = 3): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(digits)));
}

/** Columns padded to their widest cell; `right` lists the columns aligned right (numbers). */
export function table(header: string[], rows: string[][], right: readonly number[] = []): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return right.includes(column) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** `a 1, b [x, y]` from a counters object; long lists are cut. */
export function describeCounters(counters: Record<string, unknown>, maxItems = 5): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(counters)) {
    if (Array.isArray(value)) {
      if (value.length === 0) continue;
      const shown = value.slice(0, maxItems).map(String).join(', ');
      parts.push(`${key} [${shown}${value.length > maxItems ? `, +${value.length - maxItems} more` : ''}]`);
    } else if (typeof value === 'number') parts.push(`${key} ${figure(value)}`);
    // Long strings are hashes and the like: their start identifies them.
    else if (typeof value === 'string') parts.push(`${key} ${value.length > 40 ? `${value.slice(0, 16)}…` : value}`);
    else if (typeof value === 'boolean') parts.push(`${key} ${String(value)}`);
  }
  return parts.join(', ');
}

/** Cut a text to `max` characters with an ellipsis. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Host, port and path of a URL, without credentials or query: safe to print. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

/** Stringify for `--json`: Dates become ISO strings, as JSON.stringify does. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
