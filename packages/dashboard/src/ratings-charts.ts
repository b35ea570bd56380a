import { type ChartFrame, empty as emptyChart, linearScale, valueAxis } from './charts.js';
import { html, type SafeHtml } from './html.js';

/*
 * The ratings pages' own charts, in the manner of charts.ts (server-rendered SVG, no script,
 * colours from the page's custom properties): a sparkline for a leaderboard row, and a
 * reliability diagram (mean expected against mean actual score per bin, over the diagonal of a
 * perfectly calibrated forecast). Each is an `<svg role="img">` with a `<title>` and a `<desc>`;
 * the reliability diagram's data follows it as a table, a sparkline's values are in its `<desc>`
 * (the participant's page has them all as a table).
 */

const px = (value: number) => value.toFixed(1);

// ---- sparkline ------------------------------------------------------------------------------

export interface SparkPointInput {
  value: number;
  /** The point's tooltip (`2026-03-01 match-7`). */
  label: string;
  /** The point's `data-match`. */
  match: string;
}

export interface SparklineOptions extends ChartFrame {
  /** Oldest first; drawn evenly spaced (by match, not by time). */
  points: readonly SparkPointInput[];
  /** Size in SVG user units and CSS pixels. Default 120 × 24. */
  width?: number;
  height?: number;
  /** Formats values in the `<desc>` and tooltips. Default: one decimal. */
  format?: (value: number) => string;
}

/**
 * A small line of values without axes, its last point marked: one line of a leaderboard. The
 * `<desc>` is the description and then every value, oldest first; each point is a hover target
 * with `data-match`, `data-value` and a tooltip. No points: a dash, no SVG.
 */
export function sparkline(options: SparklineOptions): SafeHtml {
  const format = options.format ?? ((value: number) => value.toFixed(1));
  const width = options.width ?? 120;
  const height = options.height ?? 24;
  const points = options.points.filter((point) => Number.isFinite(point.value));
  if (points.length === 0) return html`<span class="muted sparkline-empty" title="${options.title}">—</span>`;
  const values = points.map((point) => point.value);
  const pad = 3;
  const x = linearScale(0, Math.max(1, points.length - 1), pad, width - pad);
  const low = Math.min(...values);
  const high = Math.max(...values);
  const y = linearScale(low, high, height - pad, pad);
  // One point: in the middle, not at the left edge.
  const xAt = (index: number) => (points.length === 1 ? width / 2 : x(index));
  const coordinates = points.map((point, index) => `${px(xAt(index))},${px(y(point.value))}`).join(' ');
  const last = points.length - 1;
  const lastPoint = points[last] as SparkPointInput;
  const description = `${options.description} ${points.length} ${points.length === 1 ? 'value' : 'values'}, oldest first: ${values.map(format).join(', ')}.`;
  return html`<svg class="sparkline" id="${options.id}" role="img" aria-labelledby="${options.id}-title ${options.id}-desc" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" data-points="${points.length}"><title id="${options.id}-title">${options.title}</title><desc id="${options.id}-desc">${description}</desc><polyline class="spark-line" points="${coordinates}"></polyline><circle class="spark-end" cx="${px(xAt(last))}" cy="${px(y(lastPoint.value))}" r="2.2"></circle>${points.map(
    (point, index) =>
      html`<circle class="spark-point" cx="${px(xAt(index))}" cy="${px(y(point.value))}" r="3" data-match="${point.match}" data-value="${String(point.value)}"><title>${format(point.value)} · ${point.label}</title></circle>`,
  )}</svg>`;
}

// ---- reliability diagram --------------------------------------------------------------------

export interface ReliabilityBinInput {
  /** The bin's range of forecasts, `[from, to)` (the last bin includes `to`). */
  from: number;
  to: number;
  matches: number;
  /** Means over the bin's matches; null for an empty bin (listed, not drawn). */
  meanExpected: number | null;
  meanActual: number | null;
}

export interface ReliabilityDiagramOptions extends ChartFrame {
  bins: readonly ReliabilityBinInput[];
  /** Axis names. */
  xLabel?: string;
  yLabel?: string;
  emptyMessage?: string;
}

const SIZE = 360;
const MARGIN = { top: 12, right: 14, bottom: 42, left: 50 } as const;

/**
 * A reliability diagram: per bin the mean forecast (x) against the mean outcome (y), both on
 * fixed 0..1 axes, over the diagonal a perfectly calibrated forecast would follow; a marker's
 * area grows with the bin's matches. Under it, every bin as a table (empty bins too). No
 * matches at all: a message, no SVG.
 */
export function reliabilityDiagram(options: ReliabilityDiagramOptions): SafeHtml {
  const filled = options.bins.filter(
    (bin) => bin.matches > 0 && bin.meanExpected !== null && bin.meanActual !== null,
  ) as ReadonlyArray<ReliabilityBinInput & { meanExpected: number; meanActual: number }>;
  if (filled.length === 0) return emptyChart(options, options.emptyMessage ?? 'No matches yet.');
  const axis = valueAxis([], { fixed: [0, 1], ticks: 5 });
  const left = MARGIN.left;
  const right = SIZE - MARGIN.right;
  const top = MARGIN.top;
  const bottom = SIZE - MARGIN.bottom;
  const x = linearScale(0, 1, left, right);
  const y = linearScale(0, 1, bottom, top);
  const most = Math.max(...filled.map((bin) => bin.matches));
  const radius = (matches: number) => 3 + 7 * Math.sqrt(matches / most);
  const f3 = (value: number) => value.toFixed(3);
  const range = (bin: ReliabilityBinInput) => `${bin.from.toFixed(1)}–${bin.to.toFixed(1)}`;

  const grid = axis.ticks.map(
    (tick) =>
      html`<line class="grid" x1="${left}" x2="${right}" y1="${px(y(tick))}" y2="${px(y(tick))}"></line><line class="grid" x1="${px(x(tick))}" x2="${px(x(tick))}" y1="${top}" y2="${bottom}"></line><text class="tick" x="${left - 6}" y="${px(y(tick) + 4)}" text-anchor="end">${String(tick)}</text><text class="tick" x="${px(x(tick))}" y="${bottom + 16}" text-anchor="middle">${String(tick)}</text>`,
  );
  const path = filled.map(
    (bin, index) => `${index === 0 ? 'M' : 'L'}${px(x(bin.meanExpected))} ${px(y(bin.meanActual))}`,
  );
  const markers = filled.map(
    (bin) =>
      html`<circle class="point s0" cx="${px(x(bin.meanExpected))}" cy="${px(y(bin.meanActual))}" r="${px(radius(bin.matches))}" data-bin="${range(bin)}" data-expected="${String(bin.meanExpected)}" data-actual="${String(bin.meanActual)}" data-count="${bin.matches}"><title>${range(bin)}: ${bin.matches} ${bin.matches === 1 ? 'match' : 'matches'}, mean expected ${f3(bin.meanExpected)}, mean actual ${f3(bin.meanActual)}</title></circle>`,
  );
  const rows = options.bins.map((bin) => {
    const valued = bin.matches > 0 && bin.meanExpected !== null && bin.meanActual !== null;
    return html`<tr data-bin="${range(bin)}" data-count="${bin.matches}"><th scope="row">${range(bin)}</th><td class="num">${bin.matches}</td><td class="num">${valued ? f3(bin.meanExpected as number) : '—'}</td><td class="num">${valued ? f3(bin.meanActual as number) : '—'}</td><td class="num">${valued ? signed((bin.meanActual as number) - (bin.meanExpected as number)) : '—'}</td></tr>`;
  });

  return html`<figure class="chart-box reliability" data-chart="${options.id}"><figcaption>${options.title}</figcaption><svg class="chart chart-reliability" id="${options.id}" role="img" aria-labelledby="${options.id}-title ${options.id}-desc" viewBox="0 0 ${SIZE} ${SIZE}" preserveAspectRatio="xMidYMid meet"><title id="${options.id}-title">${options.title}</title><desc id="${options.id}-desc">${options.description}</desc>
    <g class="axis">${grid}<line class="frame" x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}"></line><line class="frame" x1="${left}" x2="${left}" y1="${top}" y2="${bottom}"></line><text class="tick unit" x="${px((left + right) / 2)}" y="${SIZE - 6}" text-anchor="middle">${options.xLabel ?? 'mean expected'}</text><text class="tick unit" x="12" y="${px((top + bottom) / 2)}" text-anchor="middle" transform="rotate(-90 12 ${px((top + bottom) / 2)})">${options.yLabel ?? 'mean actual'}</text></g>
    <line class="diagonal" x1="${px(x(0))}" y1="${px(y(0))}" x2="${px(x(1))}" y2="${px(y(1))}"></line>
    <g class="series" data-series="bins"><path class="line s0" d="${path.join('')}"></path>${markers}</g>
  </svg><details class="chart-data" open><summary>data: ${options.title}</summary><div class="scroll"><table id="${options.id}-table">
    <thead><tr><th>${options.xLabel ?? 'forecast'} bin</th><th>matches</th><th>mean expected</th><th>mean actual</th><th>actual − expected</th></tr></thead>
    <tbody>${rows}</tbody>
  </table></div></details></figure>`;
}

/** `+0.012`, `-0.300`, `0.000`. */
function signed(value: number): string {
  const text = value.toFixed(3);
  return value > 0 && text !== '0.000' ? `+${text}` : text === '-0.000' ? '0.000' : text;
}

/** The CSS of these charts, in terms of the page's custom properties (with charts.ts' CHART_STYLE). */
export const RATINGS_CHART_STYLE = `
svg.sparkline{display:block;overflow:visible}
svg.sparkline .spark-line{fill:none;stroke:var(--series-0);stroke-width:1.5}
svg.sparkline .spark-end{fill:var(--series-0)}
svg.sparkline .spark-point{fill:transparent}
svg.sparkline .spark-point:hover{fill:var(--series-0)}
figure.reliability{max-width:420px}
svg.chart .diagonal{stroke:var(--muted);stroke-width:1;stroke-dasharray:4 4}
svg.chart-reliability .point{fill-opacity:.85}
`;
