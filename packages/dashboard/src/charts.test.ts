import { describe, expect, it } from 'vitest';
import { barChart, linearScale, lineChart, MAX_MARKERS, niceStep, timeAxis, valueAxis } from './charts.js';

/* The SVG charts: scales and ticks, empty and one-point data, the text alternative, escaping. */

const HOSTILE = '<script>alert("owned")</script>';
const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const MINUTE = 60_000;

/** `data-<name>` values of the elements matching `tag`, in document order. */
function attributes(markup: string, tag: string, name: string): string[] {
  return [...markup.matchAll(new RegExp(`<${tag}\\b[^>]*\\bdata-${name}="([^"]*)"`, 'g'))].map(
    (match) => match[1] as string,
  );
}

describe('scales and ticks', () => {
  it('picks steps of 1, 2 or 5 times a power of ten', () => {
    expect(niceStep(10, 5)).toBe(2);
    expect(niceStep(1, 4)).toBe(0.5);
    expect(niceStep(380, 4)).toBe(100);
    expect(niceStep(0, 4)).toBe(1);
  });

  it('widens the value axis to whole steps from 0, without floating-point dust', () => {
    expect(valueAxis([3, 12])).toEqual({ min: 0, max: 15, ticks: [0, 5, 10, 15] });
    expect(valueAxis([0.1, 0.3], { ticks: 3 }).ticks).toEqual([0, 0.1, 0.2, 0.3]);
    expect(valueAxis([0.75], { fixed: [0, 1] })).toEqual({ min: 0, max: 1, ticks: [0, 0.5, 1] });
  });

  it('gives a usable axis for no values, all zeros and one value', () => {
    expect(valueAxis([])).toMatchObject({ min: 0, max: 1 });
    expect(valueAxis([0, 0])).toMatchObject({ min: 0, max: 1 });
    const one = valueAxis([7]);
    expect(one.min).toBe(0);
    expect(one.max).toBeGreaterThanOrEqual(7);
  });

  it('puts time ticks on whole UTC hours or days, labelled in UTC', () => {
    const hours = timeAxis(T0, T0 + 4 * 60 * MINUTE);
    expect(hours.ticks.map((tick) => tick.label)).toEqual(['10:00', '11:00', '12:00', '13:00', '14:00']);
    const days = timeAxis(Date.parse('2026-03-01T00:00:00Z'), Date.parse('2026-03-09T00:00:00Z'));
    expect(days.ticks.map((tick) => tick.label)).toEqual(['03-02', '03-04', '03-06', '03-08']);
    // Across midnight with a step under a day: the date too.
    const midnight = timeAxis(Date.parse('2026-03-01T22:00:00Z'), Date.parse('2026-03-02T02:00:00Z'));
    expect(midnight.ticks.map((tick) => tick.label)).toContain('03-02 00:00');
    // Seconds apart: ticks on whole seconds.
    expect(timeAxis(T0, T0 + 4_000).ticks.map((tick) => tick.label)).toEqual([
      '10:00:00',
      '10:00:01',
      '10:00:02',
      '10:00:03',
      '10:00:04',
    ]);
    // Seasons apart: ticks on the first of a month, labelled by month; years by year.
    const seasons = timeAxis(Date.parse('2023-08-12T14:00:00Z'), Date.parse('2024-05-19T16:00:00Z'));
    expect(seasons.ticks.map((tick) => tick.label)).toEqual(['2023-09', '2023-11', '2024-01', '2024-03', '2024-05']);
    expect(seasons.ticks.every((tick) => new Date(tick.ms).toISOString().endsWith('-01T00:00:00.000Z'))).toBe(true);
    const decade = timeAxis(Date.parse('2016-08-01T00:00:00Z'), Date.parse('2024-05-19T00:00:00Z'));
    expect(decade.ticks.map((tick) => tick.label)).toEqual([
      '2017',
      '2018',
      '2019',
      '2020',
      '2021',
      '2022',
      '2023',
      '2024',
    ]);
    // One instant: an hour either side, the instant in the middle.
    const one = timeAxis(T0, T0);
    expect(one.min).toBeLessThan(T0);
    expect(one.max).toBeGreaterThan(T0);
    expect(linearScale(one.min, one.max, 0, 100)(T0)).toBeCloseTo(50);
  });

  it('maps a degenerate domain to the middle of the range', () => {
    expect(linearScale(5, 5, 0, 100)(5)).toBe(50);
    expect(linearScale(0, 10, 100, 0)(2.5)).toBe(75);
  });
});

describe('lineChart', () => {
  const points = [
    { x: T0, y: 60_000, label: 'r1', data: { run: 'r1' } },
    { x: T0 + 30 * MINUTE, y: null, label: 'r2', data: { run: 'r2' } },
    { x: T0 + 60 * MINUTE, y: 120_000, label: 'r3', data: { run: 'r3' }, tone: 'bad' },
  ];

  it('draws a marker per valued point with its data, an accessible name, and the data as a table', () => {
    const chart = lineChart({
      id: 'c1',
      title: 'Run duration',
      description: 'how long',
      series: [{ key: 'run', name: 'run', points }],
      formatY: (value) => `${value / 1000} s`,
    }).value;
    expect(chart).toContain('role="img" aria-labelledby="c1-title c1-desc"');
    expect(chart).toContain('<title id="c1-title">Run duration</title><desc id="c1-desc">how long</desc>');
    expect(attributes(chart, 'circle', 'run')).toEqual(['r1', 'r3']);
    expect(attributes(chart, 'circle', 'value')).toEqual(['60000', '120000']);
    expect(chart).toMatch(/<circle class="point s0 bad"[^>]*data-run="r3"/);
    // A null splits the line: two moves, no line to the gap.
    const path = /<path class="line s0" d="([^"]*)"/.exec(chart)?.[1] ?? '';
    expect(path.match(/M/g)).toHaveLength(2);
    expect(path).not.toContain('L');
    // The text alternative lists every point, the gap as a dash.
    const table = chart.slice(chart.indexOf('<table id="c1-table">'));
    expect(attributes(table, 'tr', 'run')).toEqual(['r1', 'r2', 'r3']);
    expect(table).toContain('<th scope="row">r2</th><td class="num">—</td>');
    expect(table).toContain('<td class="num">120 s</td>');
    expect(chart).not.toContain('<script');
  });

  it('one point: a chart with one marker, in the frame', () => {
    const chart = lineChart({
      id: 'one',
      title: 'one',
      description: 'one',
      series: [{ key: 'a', name: 'a', points: [{ x: T0, y: 3, label: 'only' }] }],
    }).value;
    const cx = Number(/<circle[^>]*cx="([\d.]+)"/.exec(chart)?.[1]);
    expect(attributes(chart, 'circle', 'value')).toEqual(['3']);
    expect(cx).toBeGreaterThan(0);
    expect(cx).toBeLessThan(640);
    expect(chart).not.toContain('NaN');
  });

  it('no values: a message, no SVG', () => {
    const chart = lineChart({
      id: 'none',
      title: 'nothing',
      description: 'nothing',
      series: [{ key: 'a', name: 'a', points: [{ x: T0, y: null, label: 'r' }] }],
      emptyMessage: 'No runs yet.',
    }).value;
    expect(chart).not.toContain('<svg');
    expect(chart).toContain('No runs yet.');
  });

  it('several series: a legend and a column each', () => {
    const chart = lineChart({
      id: 'multi',
      title: 'stages',
      description: 'stages',
      series: [
        { key: 'discover', name: 'discover', points: [{ x: T0, y: 1, label: 'r1' }] },
        { key: 'ingest', name: 'ingest', points: [{ x: T0, y: 5, label: 'r1' }] },
      ],
    }).value;
    expect(chart).toContain('<ul class="legend">');
    expect(attributes(chart, 'circle', 'series')).toEqual(['discover', 'ingest']);
    expect(chart).toContain('<th>discover</th><th>ingest</th>');
  });

  it('escapes titles, labels and data values', () => {
    const chart = lineChart({
      id: 'x',
      title: HOSTILE,
      description: HOSTILE,
      series: [{ key: 'a', name: HOSTILE, points: [{ x: T0, y: 1, label: HOSTILE, data: { run: `"${HOSTILE}` } }] }],
    }).value;
    expect(chart).not.toContain(HOSTILE);
    expect(chart).toContain('&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;');
    expect(chart).toContain('data-run="&quot;&lt;script&gt;');
    expect(() =>
      lineChart({
        id: 'y',
        title: 't',
        description: 'd',
        series: [{ key: 'a', name: 'a', points: [{ x: T0, y: 1, label: 'l', data: { 'bad"key': 'v' } }] }],
      }),
    ).toThrow(/not a data attribute name/);
  });

  it('marks each point while series are short; a day of samples is lines only, every value still in the table', () => {
    const dense = Array.from({ length: MAX_MARKERS + 1 }, (_, index) => ({
      x: T0 + index * MINUTE,
      y: index,
      label: `p${index}`,
    }));
    const sparse = lineChart({
      id: 'sparse',
      title: 't',
      description: 'd',
      series: [{ key: 'a', name: 'a', points: dense.slice(0, MAX_MARKERS) }],
    }).value;
    expect(attributes(sparse, 'circle', 'series')).toHaveLength(MAX_MARKERS);
    const markup = lineChart({
      id: 'dense',
      title: 't',
      description: 'd',
      series: [{ key: 'a', name: 'a', points: dense }],
    }).value;
    expect(attributes(markup, 'circle', 'series')).toEqual([]);
    expect(markup.match(/<tr/g)).toHaveLength(MAX_MARKERS + 2);
    expect(
      lineChart({
        id: 'forced',
        title: 't',
        description: 'd',
        markers: true,
        series: [{ key: 'a', name: 'a', points: dense }],
      }).value,
    ).toContain('data-value="60"');
  });

  it('draws a lone point between gaps as a dot, markers or not', () => {
    const lone = [
      { x: T0, y: null, label: 'a' },
      { x: T0 + MINUTE, y: 5, label: 'b' },
      { x: T0 + 2 * MINUTE, y: null, label: 'c' },
      { x: T0 + 3 * MINUTE, y: 6, label: 'd' },
      { x: T0 + 4 * MINUTE, y: 7, label: 'e' },
    ];
    const markup = lineChart({
      id: 'lone',
      title: 't',
      description: 'd',
      markers: false,
      series: [{ key: 'a', name: 'a', points: lone }],
    }).value;
    const path = /<path class="line s0" d="([^"]*)"/.exec(markup)?.[1] ?? '';
    expect(path.match(/M/g)).toHaveLength(2);
    expect(path).toMatch(/^M[\d.]+ [\d.]+h0M[\d.]+ [\d.]+L[\d.]+ [\d.]+$/);
  });
});

describe('barChart', () => {
  const stacks = [
    { key: 'ok', name: 'ok', className: 'good' },
    { key: 'failed', name: 'failed', className: 'bad' },
  ];

  it('stacks the parts of each bar, skips zero parts in the drawing but not in the table', () => {
    const chart = barChart({
      id: 'b',
      title: 'outcomes',
      description: 'per day',
      categories: [
        { key: '2026-03-01', label: '03-01', values: { ok: 2, failed: 1 } },
        { key: '2026-03-02', label: '03-02', values: { ok: 0, failed: 0 } },
        { key: '2026-03-03', label: '03-03', values: { ok: 3 } },
      ],
      stacks,
    }).value;
    expect(attributes(chart, 'rect', 'category')).toEqual(['2026-03-01', '2026-03-01', '2026-03-03']);
    expect(attributes(chart, 'rect', 'series')).toEqual(['ok', 'failed', 'ok']);
    expect(attributes(chart, 'rect', 'value')).toEqual(['2', '1', '3']);
    // The failed part sits on top of the ok part: its bottom is the ok part's top.
    const rects = [...chart.matchAll(/<rect[^>]* y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/g)].map((match) => ({
      y: Number(match[1]),
      height: Number(match[2]),
    }));
    expect((rects[1]?.y ?? 0) + (rects[1]?.height ?? 0)).toBeCloseTo(rects[0]?.y ?? -1, 0);
    expect(rects[0]?.height).toBeCloseTo((rects[1]?.height ?? 0) * 2, 0);
    const table = chart.slice(chart.indexOf('<table'));
    expect(table).toContain('<th>category</th><th>ok</th><th>failed</th><th>total</th>');
    expect(table).toContain(
      '<th scope="row">03-02</th><td class="num">0</td><td class="num">0</td><td class="num">0</td>',
    );
    expect(chart).toContain('role="img"');
  });

  it('nothing counted: a message, no SVG', () => {
    const chart = barChart({
      id: 'b0',
      title: 'outcomes',
      description: 'none',
      categories: [{ key: 'd', label: 'd', values: {} }],
      stacks,
      emptyMessage: 'No runs.',
    }).value;
    expect(chart).not.toContain('<svg');
    expect(chart).toContain('No runs.');
  });

  it('escapes category labels', () => {
    const chart = barChart({
      id: 'b1',
      title: 't',
      description: 'd',
      categories: [{ key: HOSTILE, label: HOSTILE, values: { ok: 1 } }],
      stacks,
    }).value;
    expect(chart).not.toContain(HOSTILE);
    expect(chart).toContain('&lt;script&gt;');
  });
});
