import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from './load-config.js';

const EXAMPLE = fileURLToPath(new URL('../../../matchflow.example.yaml', import.meta.url));

/** Leaf key paths of a value; list items collapse to `[]` so one documented item covers all. */
function leafPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => leafPaths(item, `${prefix}[]`));
  if (typeof value === 'object' && value !== null && Object.keys(value).length > 0) {
    return Object.entries(value).flatMap(([key, item]) => leafPaths(item, prefix ? `${prefix}.${key}` : key));
  }
  return [prefix];
}

describe('matchflow.example.yaml', () => {
  const text = readFileSync(EXAMPLE, 'utf8');

  it('is a valid configuration', () => {
    const config = loadConfig({}, text);
    expect(config.competitions.map((competition) => competition.id)).toEqual(['demo-league', 'demo-cup', 'demo-open']);
    expect(config.ratingPools.tennis?.preset).toBe('tennis');
  });

  it('spells out every setting that has a default (so the docs cannot fall behind the schema)', () => {
    const documented = new Set(leafPaths(parse(text)));
    const effective = leafPaths(loadConfig({}, text));
    const missing = effective.filter((key) => !documented.has(key));
    expect(missing).toEqual([]);
  });
});
