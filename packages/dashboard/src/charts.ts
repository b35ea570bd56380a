import { html, type SafeHtml } from './html.js';

/*
 * Small server-rendered SVG charts for the ops page: no script, no library, no build step. Each
 * chart is an `<svg role="img">` with a `<title>` and `<desc>`, followed by its data as a table in
 * a `<details>` (the text alternative, and what a page without images reads). Colours come from
 * CSS classes the page styles with its custom properties (`--series-0`.., `--good`, ...), so the
 * light and dark schemes both work. Every data mark carries `data-series`, `data-value` and the
 * point's own `data-*` attributes, for tests and for anyone reading the markup.
 */

/** The drawing's size in SVG user units; the page scales it to the width it has. */
export const CHART_WIDTH = 640;
export const CHART_HEIGHT = 220;
const MARGIN = { top: 12, right: 14, bottom: 30, left: 58 } as const;
/** Series colours the page defines (`--series-0` .. `--series-5`); more series reuse them. */
export const SERIES_COLOURS = 6;

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

// ---- scales and ticks -----------------------------------------------------------------------

/** A step of 1, 2 or 5 times a power of ten that cuts `span` into about `count` parts. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalised = raw / magnitude;
  const factor = normalised <= 1 ? 1 : normalised <= 2 ? 2 : normalised <= 5 ? 5 : 10;
  return factor * magnitude;
}

/** Drop the floating-point dust a step leaves (0.30000000000000004). */
function clean(value: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(value.toFixed(Math.min(12, decimals)));
}

/**
 * The value axis for these values: a domain widened to whole steps and its ticks. `zero` keeps
 * 0 in the domain (counts, durations); `fixed` imposes one (a score in 0..1). All-equal values
 * or none still give a usable axis.
 */
export function valueAxis(
  values: readonly number[],
  options: { zero?: boolean; fixed?: readonly [number, number]; ticks?: number } = {},
): { min: number; max: number; ticks: number[] } {
  const count = options.ticks ?? 4;
  let min: number;
  let max: number;
  let step: number;
  if (options.fixed) {
    [min, max] = options.fixed;
    step = niceStep(max - min, count);
  } else {
    const finite = values.filter((value) => Number.isFinite(value));
    min = finite.length > 0 ? Math.min(...finite) : 0;
    max = finite.length > 0 ? Math.max(...finite) : 1;
    if (options.zero !== false) {
      min = Math.min(0, min);
      max = Math.max(0, max);
    }
    if (max === min) max = min === 0 ? 1 : min + Math.abs(min);
    // Widened with the step of the data's own span: the widened span's step could be coarser.
    step = niceStep(max - min, count);
    min = clean(Math.floor(min / step) * step, step);
    max = clean(Math.ceil(max / step - 1e-9) * step, step);
  }
  const ticks: number[] = [];
  for (let tick = Math.ceil(min / step) * step; tick <= max + step * 1e-9; tick += step) ticks.push(clean(tick, step));
  return { min, max, ticks };
}

const SECOND_MS = 1_000;
const TIME_STEPS_MS = [
  SECOND_MS,
  5 * SECOND_MS,
  15 * SECOND_MS,
  30 * SECOND_MS,
  MINUTE_MS,
  5 * MINUTE_MS,
  15 * MINUTE_MS,
  30 * MINUTE_MS,
  HOUR_MS,
  3 * HOUR_MS,
  6 * HOUR_MS,
  12 * HOUR_MS,
  DAY_MS,
  2 * DAY_MS,
  7 * DAY_MS,
  14 * DAY_MS,
];
/** Beyond two weeks a step, ticks go on the first of a month: every 1, 2, 3, 6 or 12 months. */
const MONTH_STEPS = [1, 2, 3, 6, 12];
const AVERAGE_MONTH_MS = 30.44 * DAY_MS;

/**
 * The time axis over `[min, max]` (ms since epoch): ticks on whole UTC seconds, minutes, hours,
 * days or months (about `count` of them) and their labels: `HH:MM:SS` for steps under a minute,
 * `HH:MM` within a day, `MM-DD HH:MM` across days with a step under a day, `MM-DD` for steps of
 * days (`YYYY-MM-DD` across years), `YYYY-MM` for months. One instant gets an hour either side.
 */
export function timeAxis(
  minMs: number,
  maxMs: number,
  count = 5,
): { min: number; max: number; ticks: Array<{ ms: number; label: string }> } {
  let min = minMs;
  let max = maxMs;
  if (!(max > min)) {
    min -= HOUR_MS;
    max += HOUR_MS;
  }
  const span = max - min;
  // A little room at both ends so the first and last points are not on the frame.
  min -= span * 0.03;
  max += span * 0.03;
  const ticks: Array<{ ms: number; label: string }> = [];
  const step = TIME_STEPS_MS.find((candidate) => (max - min) / candidate <= count);
  if (step === undefined) {
    const months = MONTH_STEPS.find((candidate) => (max - min) / (candidate * AVERAGE_MONTH_MS) <= count) ?? 12;
    const first = new Date(min);
    let year = first.getUTCFullYear();
    let month =
      Math.ceil((first.getUTCMonth() + (first.getUTCDate() > 1 || min % DAY_MS > 0 ? 1 : 0)) / months) * months;
    for (;;) {
      year += Math.floor(month / 12);
      month %= 12;
      const ms = Date.UTC(year, month, 1);
      if (ms > max) break;
      ticks.push({ ms, label: months === 12 ? String(year) : new Date(ms).toISOString().slice(0, 7) });
      month += months;
    }
    return { min, max, ticks };
  }
  const acrossDays = Math.floor(min / DAY_MS) !== Math.floor(max / DAY_MS);
  const acrossYears = new Date(min).getUTCFullYear() !== new Date(max).getUTCFullYear();
  const label = (ms: number) => {
    const iso = new Date(ms).toISOString();
    if (step >= DAY_MS) return acrossYears ? iso.slice(0, 10) : iso.slice(5, 10);
    if (step < MINUTE_MS) return iso.slice(11, 19);
    return acrossDays ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
  };
  for (let ms = Math.ceil(min / step) * step; ms <= max; ms += step) ticks.push({ ms, label: label(ms) });
  return { min, max, ticks };
}

/** Map `[d0, d1]` onto `[r0, r1]`; a degenerate domain maps to the middle. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (value: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (value) => r0 + ((value - d0) / (d1 - d0)) * (r1 - r0);
}

// ---- shared parts ---------------------------------------------------------------------------

const DATA_KEY = /^[a-z][a-z0-9-]*$/;

/** `data-*` attributes from a record; keys are ours (code), values are escaped. */
function dataAttributes(data: Readonly<Record<string, string | number>> | undefined): SafeHtml[] {
  return Object.entries(data ?? {}).map(([key, value]) => {
    if (!DATA_KEY.test(key)) throw new Error(`not a data attribute name: ${key}`);
    return html` data-${key}="${String(value)}"`;
  });
}

const px = (value: number) => value.toFixed(1);

export interface ChartFrame {
  /** A page-unique id, used for `aria-labelledby` and the table. */
  id: string;
  title: string;
  /** What the chart shows and where its data comes from: the SVG's `<desc>`. */
  description: string;
}

function svgOpen(frame: ChartFrame, kind: string): SafeHtml {
  return html`<svg class="chart chart-${kind}" id="${frame.id}" role="img" aria-labelledby="${frame.id}-title ${frame.id}-desc" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" preserveAspectRatio="xMidYMid meet"><title id="${frame.id}-title">${frame.title}</title><desc id="${frame.id}-desc">${frame.description}</desc>`;
}

export function empty(frame: ChartFrame, message: string): SafeHtml {
  return html`<figure class="chart-box" data-chart="${frame.id}"><figcaption>${frame.title}</figcaption><p class="muted small chart-empty">${message}</p></figure>`;
}

function yGrid(ticks: readonly number[], y: (value: number) => number, format: (value: number) => string): SafeHtml[] {
  const left = MARGIN.left;
  const right = CHART_WIDTH - MARGIN.right;
  return ticks.map(
    (tick) =>
      html`<line class="grid" x1="${left}" x2="${right}" y1="${px(y(tick))}" y2="${px(y(tick))}"></line><text class="tick" x="${left - 6}" y="${px(y(tick) + 4)}" text-anchor="end">${format(tick)}</text>`,
  );
}

function table(
  frame: ChartFrame,
  head: readonly string[],
  rows: ReadonlyArray<{ cells: ReadonlyArray<string | SafeHtml>; data?: Readonly<Record<string, string | number>> }>,
): SafeHtml {
  return html`<details class="chart-data"><summary>data: ${frame.title}</summary><div class="scroll"><table id="${frame.id}-table">
    <thead><tr>${head.map((cell) => html`<th>${cell}</th>`)}</tr></thead>
    <tbody>${rows.map((row) => html`<tr${dataAttributes(row.data)}>${row.cells.map((cell, index) => (index === 0 ? html`<th scope="row">${cell}</th>` : html`<td class="num">${cell}</td>`))}</tr>`)}</tbody>
  </table></div></details>`;
}

function legend(entries: ReadonlyArray<{ name: string; className: string }>): SafeHtml {
  if (entries.length < 2) return html``;
  return html`<ul class="legend">${entries.map((entry) => html`<li><span class="swatch ${entry.className}"></span>${entry.name}</li>`)}</ul>`;
}

// ---- line chart -----------------------------------------------------------------------------

export interface ChartPoint {
  /** Time in ms since epoch (the x axis is time, UTC). */
  x: number;
  /** The value; null leaves a gap (a run still going has no duration). */
  y: number | null;
  /** The row header in the data table and the point's tooltip (`2026-03-01 11:30 run-42`). */
  label: string;
  /** `data-*` attributes of the point (`{ run: 'run-42' }` gives `data-run="run-42"`). */
  data?: Readonly<Record<string, string | number>>;
  /** A class for the point's marker (`bad` for a failed run), drawn in the page's status colours. */
  tone?: string;
}

export interface ChartSeries {
  /** Short and stable (`ingest`): `data-series` and the colour's place. */
  key: string;
  name: string;
  points: readonly ChartPoint[];
}

export interface LineChartOptions extends ChartFrame {
  series: readonly ChartSeries[];
  /** Formats values on the axis, in tooltips and in the table. Default: the number. */
  formatY?: (value: number) => string;
  /** A fixed value domain (a score: `[0, 1]`); otherwise from the data, with 0 in it. */
  yDomain?: readonly [number, number];
  /** The data table's first column. */
  xHeading?: string;
  /** Shown instead of a chart when no point has a value. */
  emptyMessage?: string;
  /**
   * Draw a marker (with its tooltip and `data-*` attributes) per point. Default: while no series
   * has more than `MAX_MARKERS` points; a day of samples is lines only, its values in the table.
   */
  markers?: boolean;
}

/** Most points a series may have for the line chart to mark each one by default. */
export const MAX_MARKERS = 60;

/**
 * A time-series line chart with a marker per point (`markers`), one line per series (gaps where a value is
 * null), a UTC time axis and a value axis, and the data as a table below it.
 */
export function lineChart(options: LineChartOptions): SafeHtml {
  const format = options.formatY ?? ((value: number) => String(value));
  const valued = options.series.flatMap((series) => series.points.filter((point) => point.y !== null));
  if (valued.length === 0) return empty(options, options.emptyMessage ?? 'No data yet.');
  const xs = valued.map((point) => point.x);
  const time = timeAxis(Math.min(...xs), Math.max(...xs));
  const axis = valueAxis(
    valued.map((point) => point.y as number),
    options.yDomain ? { fixed: options.yDomain } : { zero: true },
  );
  const x = linearScale(time.min, time.max, MARGIN.left, CHART_WIDTH - MARGIN.right);
  const y = linearScale(axis.min, axis.max, CHART_HEIGHT - MARGIN.bottom, MARGIN.top);
  const bottom = CHART_HEIGHT - MARGIN.bottom;
  const colour = (index: number) => `s${index % SERIES_COLOURS}`;
  const markers =
    options.markers ??
    options.series.every((series) => series.points.filter((point) => point.y !== null).length <= MAX_MARKERS);

  const lines = options.series.map((series, index) => {
    const sorted = [...series.points].sort((a, b) => a.x - b.x);
    // Runs of valued points between gaps; a lone point is a zero-length line, drawn as a dot by
    // the round line cap (visible without markers too).
    const runs: ChartPoint[][] = [[]];
    for (const point of sorted) {
      if (point.y === null) runs.push([]);
      else runs[runs.length - 1]?.push(point);
    }
    const path = runs
      .filter((run) => run.length > 0)
      .map(
        (run) =>
          run.map((point, at) => `${at === 0 ? 'M' : 'L'}${px(x(point.x))} ${px(y(point.y as number))}`).join('') +
          (run.length === 1 ? 'h0' : ''),
      )
      .join('');
    const marks = (markers ? sorted : [])
      .filter((point) => point.y !== null)
      .map((point) => {
        const value = point.y as number;
        return html`<circle class="point ${colour(index)}${point.tone ? ` ${point.tone}` : ''}" cx="${px(x(point.x))}" cy="${px(y(value))}" r="3.5" data-series="${series.key}" data-value="${String(value)}"${dataAttributes(point.data)}><title>${series.name}: ${format(value)} · ${point.label}</title></circle>`;
      });
    return html`<g class="series" data-series="${series.key}"><path class="line ${colour(index)}" d="${path}"></path>${marks}</g>`;
  });

  const xTicks = time.ticks.map(
    (tick) =>
      html`<line class="tick-mark" x1="${px(x(tick.ms))}" x2="${px(x(tick.ms))}" y1="${bottom}" y2="${bottom + 4}"></line><text class="tick" x="${px(x(tick.ms))}" y="${bottom + 16}" text-anchor="middle">${tick.label}</text>`,
  );

  // The table: a row per distinct point label, in time order; a column per series.
  const rowOrder = new Map<string, { x: number; data: ChartPoint['data'] }>();
  for (const series of options.series)
    for (const point of series.points)
      if (!rowOrder.has(point.label)) rowOrder.set(point.label, { x: point.x, data: point.data });
  const rows = [...rowOrder.entries()]
    .sort((a, b) => a[1].x - b[1].x)
    .map(([label, row]) => ({
      data: row.data,
      cells: [
        label,
        ...options.series.map((series) => {
          const value = series.points.find((point) => point.label === label)?.y;
          return value === null || value === undefined ? '—' : format(value);
        }),
      ],
    }));

  return html`<figure class="chart-box" data-chart="${options.id}"><figcaption>${options.title}</figcaption>${svgOpen(options, 'line')}
    <g class="axis">${yGrid(axis.ticks, y, format)}<line class="frame" x1="${MARGIN.left}" x2="${CHART_WIDTH - MARGIN.right}" y1="${bottom}" y2="${bottom}"></line>${xTicks}<text class="tick unit" x="${CHART_WIDTH - MARGIN.right}" y="${CHART_HEIGHT - 2}" text-anchor="end">UTC</text></g>
    ${lines}
  </svg>${legend(options.series.map((series, index) => ({ name: series.name, className: colour(index) })))}${table(options, [options.xHeading ?? 'when (UTC)', ...options.series.map((series) => series.name)], rows)}</figure>`;
}

// ---- bar chart ------------------------------------------------------------------------------

export interface BarCategory {
  /** Stable (`2026-03-01`): `data-category`. */
  key: string;
  /** Under the bar and in the table (`03-01`). */
  label: string;
  /** A value per stack key; missing is 0. */
  values: Readonly<Record<string, number>>;
}

export interface BarChartOptions extends ChartFrame {
  categories: readonly BarCategory[];
  /** The parts of each bar, bottom first; `className` colours them (`good`, `warn`, `bad`, `s0`). */
  stacks: ReadonlyArray<{ key: string; name: string; className: string }>;
  formatY?: (value: number) => string;
  /** The data table's first column. */
  xHeading?: string;
  emptyMessage?: string;
}

/**
 * A bar per category, stacked from `stacks` (one stack: plain bars), with a value axis from 0
 * and the data as a table below it. A segment of 0 draws nothing but stays in the table.
 */
export function barChart(options: BarChartOptions): SafeHtml {
  const format = options.formatY ?? ((value: number) => String(value));
  const total = (category: BarCategory) =>
    options.stacks.reduce((sum, stack) => sum + (category.values[stack.key] ?? 0), 0);
  if (options.categories.length === 0 || options.categories.every((category) => total(category) === 0))
    return empty(options, options.emptyMessage ?? 'No data yet.');
  const axis = valueAxis(options.categories.map(total), { zero: true });
  const y = linearScale(axis.min, axis.max, CHART_HEIGHT - MARGIN.bottom, MARGIN.top);
  const bottom = CHART_HEIGHT - MARGIN.bottom;
  const band = (CHART_WIDTH - MARGIN.left - MARGIN.right) / options.categories.length;
  const barWidth = Math.max(2, band * 0.7);
  // Label every category while they fit, else every n-th.
  const labelEvery = Math.max(1, Math.ceil(options.categories.length / 10));

  const bars = options.categories.map((category, index) => {
    const left = MARGIN.left + band * index + (band - barWidth) / 2;
    let base = 0;
    const segments = options.stacks.map((stack) => {
      const value = category.values[stack.key] ?? 0;
      const from = base;
      base += value;
      if (value <= 0) return html``;
      return html`<rect class="bar-part ${stack.className}" x="${px(left)}" y="${px(y(base))}" width="${px(barWidth)}" height="${px(y(from) - y(base))}" data-category="${category.key}" data-series="${stack.key}" data-value="${String(value)}"><title>${category.label} ${stack.name}: ${format(value)}</title></rect>`;
    });
    const label =
      index % labelEvery === 0
        ? html`<text class="tick" x="${px(left + barWidth / 2)}" y="${bottom + 16}" text-anchor="middle">${category.label}</text>`
        : html``;
    return html`<g class="bar-group" data-category="${category.key}">${segments}${label}</g>`;
  });

  const rows = options.categories.map((category) => ({
    data: { category: category.key },
    cells: [
      category.label,
      ...options.stacks.map((stack) => format(category.values[stack.key] ?? 0)),
      ...(options.stacks.length > 1 ? [format(total(category))] : []),
    ],
  }));
  const head = [
    options.xHeading ?? 'category',
    ...options.stacks.map((stack) => stack.name),
    ...(options.stacks.length > 1 ? ['total'] : []),
  ];

  return html`<figure class="chart-box" data-chart="${options.id}"><figcaption>${options.title}</figcaption>${svgOpen(options, 'bar')}
    <g class="axis">${yGrid(axis.ticks, y, format)}<line class="frame" x1="${MARGIN.left}" x2="${CHART_WIDTH - MARGIN.right}" y1="${bottom}" y2="${bottom}"></line></g>
    ${bars}
  </svg>${legend(options.stacks)}${table(options, head, rows)}</figure>`;
}

/** The CSS the charts need, in terms of the page's custom properties. */
export const CHART_STYLE = `
.charts{display:grid;gap:.9rem 1.2rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,380px),1fr))}
figure.chart-box{margin:0;min-width:0}
figure.chart-box figcaption{font-weight:600;font-size:.9rem;margin-bottom:.2rem}
svg.chart{display:block;width:100%;height:auto;overflow:visible}
svg.chart .grid{stroke:var(--line);stroke-width:1}
svg.chart .frame,svg.chart .tick-mark{stroke:var(--muted);stroke-width:1}
svg.chart .tick{fill:var(--muted);font-size:11px;font-variant-numeric:tabular-nums}
svg.chart .line{fill:none;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}
svg.chart .point{stroke:var(--card);stroke-width:1.5}
svg.chart .line.s0{stroke:var(--series-0)}svg.chart .line.s1{stroke:var(--series-1)}svg.chart .line.s2{stroke:var(--series-2)}
svg.chart .line.s3{stroke:var(--series-3)}svg.chart .line.s4{stroke:var(--series-4)}svg.chart .line.s5{stroke:var(--series-5)}
.s0{fill:var(--series-0);background:var(--series-0)}.s1{fill:var(--series-1);background:var(--series-1)}.s2{fill:var(--series-2);background:var(--series-2)}
.s3{fill:var(--series-3);background:var(--series-3)}.s4{fill:var(--series-4);background:var(--series-4)}.s5{fill:var(--series-5);background:var(--series-5)}
svg.chart .good{fill:var(--good)}svg.chart .warn{fill:var(--warn)}svg.chart .bad{fill:var(--bad)}svg.chart .info{fill:var(--info)}
ul.legend{display:flex;flex-wrap:wrap;gap:.1rem .9rem;list-style:none;margin:.2rem 0 0;padding:0;font-size:.8rem;color:var(--muted)}
.swatch{display:inline-block;width:.7rem;height:.7rem;border-radius:2px;margin-right:.3rem;vertical-align:-.05rem}
.swatch.good{background:var(--good)}.swatch.warn{background:var(--warn)}.swatch.bad{background:var(--bad)}.swatch.info{background:var(--info)}
details.chart-data{font-size:.82rem;margin-top:.2rem}
details.chart-data summary{color:var(--muted);cursor:pointer}
`;
