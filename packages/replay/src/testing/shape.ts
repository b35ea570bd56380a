/**
 * Key-path shapes of JSON bodies, for checking the replay against real recordings: a path per
 * key (list items collapsed to `[]`), with the JSON types seen there.
 */

export type Shape = Map<string, Set<string>>;

/** Recorders left these markers where they cut data out; they are not part of the API. */
const TRIM_ITEM = '__trimmed__';
const TRIM_KEYS = '__trimmed_keys__';

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'empty-array' : 'array';
  return typeof value;
}

/**
 * `fieldTranslations.nameTranslation` and friends map language codes to text; which languages
 * appear varies by entity, so only the map itself is compared, not its keys.
 */
function isFreeFormMap(path: string): boolean {
  return /Translation$/.test(path);
}

/** The shape of one or more bodies (several bodies merge into one union shape). */
export function shapeOf(...values: unknown[]): Shape {
  const shape: Shape = new Map();
  const walk = (value: unknown, path: string) => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && TRIM_ITEM in value) return;
    const types = shape.get(path) ?? new Set<string>();
    types.add(typeOf(value));
    shape.set(path, types);
    if (Array.isArray(value)) {
      for (const item of value) walk(item, `${path}[]`);
    } else if (typeof value === 'object' && value !== null && !isFreeFormMap(path)) {
      for (const [key, item] of Object.entries(value)) {
        if (key !== TRIM_KEYS) walk(item, path === '' ? key : `${path}.${key}`);
      }
    }
  };
  for (const value of values) walk(value, '');
  return shape;
}

export interface ShapeDifference {
  path: string;
  problem: string;
}

/**
 * Where `actual` falls short of `expected`: a key path the recording has and the replay lacks,
 * or a value type there that the replay never produces. Keys only the replay has are fine.
 * A recording's `null` says nothing about the type, and an empty list matches a list or an
 * object (one recording went through PHP, which writes `{}` as `[]`).
 */
export function shortfalls(expected: Shape, actual: Shape, ignore: readonly RegExp[] = []): ShapeDifference[] {
  const differences: ShapeDifference[] = [];
  for (const [path, expectedTypes] of expected) {
    if (ignore.some((pattern) => pattern.test(path))) continue;
    const actualTypes = actual.get(path);
    if (!actualTypes) {
      differences.push({ path, problem: 'missing' });
      continue;
    }
    for (const type of expectedTypes) {
      if (type === 'null') continue;
      const accepted =
        type === 'empty-array'
          ? ['empty-array', 'array', 'object']
          : type === 'array'
            ? ['array', 'empty-array']
            : [type];
      if (!accepted.some((candidate) => actualTypes.has(candidate))) {
        differences.push({ path, problem: `expected ${type}, replay has ${[...actualTypes].join('|')}` });
      }
    }
  }
  return differences;
}
