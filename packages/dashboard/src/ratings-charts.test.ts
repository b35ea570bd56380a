import { describe, expect, it } from 'vitest';
import { reliabilityDiagram, sparkline } from './ratings-charts.js';
import { parseLimit, resultOf } from './ratings-page.js';

/* The ratings pages' charts: point counts, the text alternatives, fixed axes, escaping. */

const HOSTILE = '<script>alert("owned")</script>';

function attributes(markup: string, tag: string, name: string): string[] {
  return [...markup.matchAll(new RegExp(`<${tag}\\b[^>]*\\bdata-${name}="([^"]*)"`, 'g'))].map(
    (match) => match[1] as string,
  );
}

const frame = { id: 's1', title: 'Home FC: last 3', description: 'Rating of Home FC.' };

describe('sparkline', () => {
  it('draws a point per value, oldest first, with the values in its description', () => {
    const chart = sparkline({
      ...frame,
      points: [
        { value: 1500, label: '2026-03-01 m1', match: 'm1' },
        { value: 1512.25, label: '2026-03-08 m2', match: 'm2' },
        { value: 1490, label: '2026-03-15 m3', match: 'm3' },
      ],
    }).value;
    expect(chart).toContain('role="img" aria-labelledby="s1-title s1-desc"');
    expect(chart).toContain('<title id="s1-title">Home FC: last 3</title>');
    expect(chart).toContain(
      '<desc id="s1-desc">Rating of Home FC. 3 values, oldest first: 1500.0, 1512.3, 1490.0.</desc>',
    );
    expect(chart).toContain('data-points="3"');
    expect(attributes(chart, 'circle', 'match')).toEqual(['m1', 'm2', 'm3']);
    const coordinates = (/<polyline class="spark-line" points="([^"]*)"/.exec(chart)?.[1] ?? '').split(' ');
    expect(coordinates).toHaveLength(3);
    const [first, second, third] = coordinates.map((pair) => pair.split(',').map(Number)) as number[][];
    // Left to right; the highest value on top (smallest y), the lowest at the bottom.
    expect(first?.[0]).toBeLessThan(second?.[0] ?? 0);
    expect(second?.[0]).toBeLessThan(third?.[0] ?? 0);
    expect(second?.[1]).toBeLessThan(first?.[1] ?? 0);
    expect(third?.[1]).toBeGreaterThan(first?.[1] ?? 0);
    expect(chart).not.toContain('NaN');
  });

  it('one value or equal values: drawn in the frame; none: a dash, no SVG', () => {
    const one = sparkline({ ...frame, points: [{ value: 1500, label: 'm1', match: 'm1' }] }).value;
    expect(one).toContain('data-points="1"');
    expect(one).not.toContain('NaN');
    const flat = sparkline({
      ...frame,
      points: [
        { value: 1500, label: 'm1', match: 'm1' },
        { value: 1500, label: 'm2', match: 'm2' },
      ],
    }).value;
    expect(flat).not.toContain('NaN');
    expect(attributes(flat, 'circle', 'match')).toHaveLength(2);
    const none = sparkline({ ...frame, points: [] }).value;
    expect(none).not.toContain('<svg');
    expect(none).toContain('—');
  });

  it('escapes titles, labels and match ids', () => {
    const chart = sparkline({
      id: 'x',
      title: HOSTILE,
      description: HOSTILE,
      points: [{ value: 1, label: HOSTILE, match: `"${HOSTILE}` }],
    }).value;
    expect(chart).not.toContain(HOSTILE);
    expect(chart).toContain('data-match="&quot;&lt;script&gt;');
  });
});

describe('reliabilityDiagram', () => {
  const bins = Array.from({ length: 10 }, (_, index) => ({
    from: index / 10,
    to: (index + 1) / 10,
    matches: 0,
    meanExpected: null as number | null,
    meanActual: null as number | null,
  }));
  bins[2] = { from: 0.2, to: 0.3, matches: 4, meanExpected: 0.25, meanActual: 0.125 };
  bins[7] = { from: 0.7, to: 0.8, matches: 1, meanExpected: 0.75, meanActual: 1 };

  it('plots each non-empty bin on fixed 0..1 axes over the diagonal, every bin in the table', () => {
    const chart = reliabilityDiagram({ id: 'rel', title: 'Reliability', description: 'bins', bins }).value;
    expect(chart).toContain('role="img" aria-labelledby="rel-title rel-desc"');
    expect(chart).toContain('<title id="rel-title">Reliability</title><desc id="rel-desc">bins</desc>');
    expect(attributes(chart, 'circle', 'bin')).toEqual(['0.2–0.3', '0.7–0.8']);
    expect(attributes(chart, 'circle', 'count')).toEqual(['4', '1']);
    expect(attributes(chart, 'circle', 'expected')).toEqual(['0.25', '0.75']);
    expect(attributes(chart, 'circle', 'actual')).toEqual(['0.125', '1']);
    // The diagonal runs from (0, 0) at the bottom left to (1, 1) at the top right.
    const diagonal = /<line class="diagonal" x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)"/.exec(chart);
    const [x1, y1, x2, y2] = (diagonal?.slice(1) ?? []).map(Number) as number[];
    expect(x2).toBeGreaterThan(x1 ?? 0);
    expect(y2).toBeLessThan(y1 ?? 0);
    // Fixed axes: a point's place depends on its value only. (0.75, 1) sits at x = 3/4 of the way, on the top line.
    const point = /<circle[^>]*cx="([\d.]+)" cy="([\d.]+)"[^>]*data-bin="0.7–0.8"/.exec(chart);
    expect(Number(point?.[1])).toBeCloseTo((x1 ?? 0) + ((x2 ?? 0) - (x1 ?? 0)) * 0.75, 0);
    expect(Number(point?.[2])).toBeCloseTo(y2 ?? -1, 0);
    // The bigger bin has the bigger marker.
    const radii = [...chart.matchAll(/<circle class="point s0"[^>]* r="([\d.]+)"/g)].map((match) => Number(match[1]));
    expect(radii[0]).toBeGreaterThan(radii[1] ?? 0);
    const table = chart.slice(chart.indexOf('<table id="rel-table">'));
    expect(attributes(table, 'tr', 'bin')).toHaveLength(10);
    expect(table).toContain(
      '<th scope="row">0.2–0.3</th><td class="num">4</td><td class="num">0.250</td><td class="num">0.125</td><td class="num">-0.125</td>',
    );
    expect(table).toContain('<th scope="row">0.0–0.1</th><td class="num">0</td><td class="num">—</td>');
    expect(chart).not.toContain('NaN');
  });

  it('no matches: a message, no SVG', () => {
    const empty = reliabilityDiagram({
      id: 'none',
      title: 'Reliability',
      description: 'bins',
      bins: bins.map((bin) => ({ ...bin, matches: 0, meanExpected: null, meanActual: null })),
      emptyMessage: 'No counted matches yet.',
    }).value;
    expect(empty).not.toContain('<svg');
    expect(empty).toContain('No counted matches yet.');
  });

  it('escapes the title and description', () => {
    const chart = reliabilityDiagram({ id: 'h', title: HOSTILE, description: HOSTILE, bins }).value;
    expect(chart).not.toContain(HOSTILE);
    expect(chart).toContain('&lt;script&gt;');
  });
});

describe('ratings page helpers', () => {
  it('reads the result from the actual score', () => {
    expect([1, 0.5, 0].map(resultOf)).toEqual(['win', 'draw', 'loss']);
  });

  it('takes a limit from 1 to 500, 50 when absent', () => {
    expect(parseLimit(null)).toBe(50);
    expect(parseLimit('1')).toBe(1);
    expect(parseLimit('500')).toBe(500);
    for (const bad of ['0', '501', '-1', '1.5', 'ten', '', ' 5', '1e2'])
      expect(() => parseLimit(bad), bad).toThrow(/limit/);
  });
});
