import * as core from './core.js';
import * as curated from './curated.js';
import * as ops from './ops.js';
import * as ratings from './ratings.js';
import * as raw from './raw.js';

/** Tables grouped by zone, for code that reads as `core.matches`, `ops.pipelineRuns`. */
export { core, curated, ops, ratings, raw };

/**
 * Every table in one flat map, as drizzle's relational API wants it (its table names are
 * unique across zones). Spread from plain objects: drizzle cannot walk module namespaces.
 */
export const tables = { ...raw, ...core, ...ratings, ...curated, ...ops };
