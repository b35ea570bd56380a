import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './errors.js';
import { ConfigSchema } from './schema.js';

type ParsedConfig = z.output<typeof ConfigSchema>;

/** The validated settings, with every derived default filled in. */
export type Config = Omit<ParsedConfig, 'logDir' | 'publishDir' | 'alerts'> & {
  logDir: string;
  publishDir: string;
  alerts: Omit<ParsedConfig['alerts'], 'failuresLog'> & { log: string; heartbeatDir: string };
};

/** The environment as a plain map (`process.env` fits). */
export type Env = Readonly<Record<string, string | undefined>>;

export interface LoadConfigOptions {
  /** Name of the file the text came from, for error messages. */
  fileName?: string;
  /** Relative directories resolve against this (the config file's folder, or the cwd). */
  baseDir?: string;
}

/** Variables with their own meaning that are not config overrides. */
const NON_OVERRIDE_VARIABLES: ReadonlySet<string> = new Set(['MATCHFLOW_CONFIG', 'MATCHFLOW_FAILPOINTS']);
const ENV_PREFIX = 'MATCHFLOW_';
const ENV_PATH_SEPARATOR = '__';

/** Well-known variables that deployments set anyway, mapped onto config keys. */
const CONVENTIONAL_VARIABLES: Readonly<Record<string, readonly string[]>> = {
  REDIS_URL: ['redis', 'url'],
  DATABASE_URL: ['database', 'url'],
};

/**
 * Parse and validate matchflow settings. Pure: reads nothing but its arguments.
 *
 * Order of precedence, lowest first: schema defaults, the YAML text (with `${VAR}` and
 * `${VAR:-default}` replaced from `env`), `REDIS_URL` / `DATABASE_URL`, and `MATCHFLOW_*`
 * overrides, where `__` separates key levels (`MATCHFLOW_DASHBOARD__PORT=8080`).
 *
 * @throws ConfigError listing every invalid key.
 */
export function loadConfig(env: Env, fileText?: string, options: LoadConfigOptions = {}): Config {
  const issues: ConfigIssue[] = [];
  const document = parseYaml(fileText, issues);
  const interpolated = interpolate(document, env, [], issues);
  const origins = new Map<string, string>();
  const merged = applyEnvOverrides(interpolated, env, origins, issues);
  if (issues.length > 0) throw new ConfigError(issues, options.fileName);

  const result = ConfigSchema.safeParse(merged, { reportInput: true });
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.flatMap((issue) => toConfigIssues(issue, origins)),
      options.fileName,
    );
  }
  return withDerivedDefaults(result.data, options.baseDir);
}

function parseYaml(fileText: string | undefined, issues: ConfigIssue[]): unknown {
  if (fileText === undefined || fileText.trim() === '') return {};
  const document = parseDocument(fileText, { prettyErrors: true, uniqueKeys: true });
  for (const error of document.errors) {
    const position = error.linePos?.[0];
    const at = position ? `line ${position.line}, column ${position.col}: ` : '';
    const reason = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    issues.push({ path: '', message: `not valid YAML: ${at}${reason}` });
  }
  if (document.errors.length > 0) return {};
  const value: unknown = document.toJS();
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) {
    issues.push({ path: '', message: 'the file must contain a mapping of settings at the top level' });
    return {};
  }
  return value;
}

const INTERPOLATION = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replace `${VAR}` / `${VAR:-default}` in every string value; `$${` stands for a literal `${`. */
function interpolate(value: unknown, env: Env, at: PathSegment[], issues: ConfigIssue[]): unknown {
  if (typeof value === 'string') {
    return value.replace(INTERPOLATION, (match, variable: string | undefined, fallback: string | undefined) => {
      if (variable === undefined) return '${';
      const resolved = env[variable];
      if (resolved !== undefined && resolved !== '') return resolved;
      if (fallback !== undefined) return fallback;
      issues.push({
        path: formatPath(at),
        message: `environment variable ${variable} is not set (referenced as ${match})`,
      });
      return match;
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolate(item, env, [...at, index], issues));
  if (isPlainObject(value)) {
    // zod passes over a `__proto__` key without a word: say so rather than drop the setting silently.
    if (Object.hasOwn(value, '__proto__')) {
      issues.push({ path: formatPath([...at, '__proto__']), message: 'not allowed as a key' });
    }
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolate(item, env, [...at, key], issues)]),
    );
  }
  return value;
}

type PathSegment = string | number;

function applyEnvOverrides(document: unknown, env: Env, origins: Map<string, string>, issues: ConfigIssue[]): unknown {
  const root = structuredClone(document) as Record<string, unknown>;
  const overrides: Array<{ variable: string; segments: string[] }> = [];
  for (const [variable, segments] of Object.entries(CONVENTIONAL_VARIABLES)) {
    if (env[variable]) overrides.push({ variable, segments: [...segments] });
  }
  for (const variable of Object.keys(env).sort()) {
    if (!variable.startsWith(ENV_PREFIX) || NON_OVERRIDE_VARIABLES.has(variable)) continue;
    const segments = variable.slice(ENV_PREFIX.length).split(ENV_PATH_SEPARATOR);
    if (segments.some((segment) => segment === '')) {
      issues.push({
        path: '',
        message: `cannot map ${variable} to a key: empty path segment`,
        origin: `env ${variable}`,
      });
      continue;
    }
    overrides.push({ variable, segments });
  }

  for (const { variable, segments } of overrides) {
    const raw = env[variable] ?? '';
    const value = parseEnvValue(raw);
    const resolvedPath = setAtEnvPath(root, segments, value);
    if (resolvedPath === undefined) {
      issues.push({
        path: segments.join('.').toLowerCase(),
        message: 'cannot set this key from the environment: a parent key is not a mapping or list',
        origin: `env ${variable}`,
      });
      continue;
    }
    origins.set(formatPath(resolvedPath), `env ${variable}`);
  }
  return root;
}

/**
 * Env values are strings; JSON is accepted for lists and mappings (`'["2024","2025"]'`). A value
 * that only looks like JSON stays a string: a hash-tagged Redis prefix such as `{prod}` is one.
 * If a list was wanted, the schema then reports the key with what it expected.
 */
function parseEnvValue(raw: string): unknown {
  const trimmed = raw.trim();
  if (!trimmed.startsWith('[') && !trimmed.startsWith('{')) return raw;
  try {
    return JSON.parse(trimmed);
  } catch {
    return raw;
  }
}

/**
 * Walk `segments` down from `root`, matching each against the keys already present (so
 * `FOOTBALL_DATA` finds the `football-data` source) and falling back to camelCase for new keys.
 * Returns the concrete path written, or undefined when a parent is a scalar.
 */
function setAtEnvPath(root: Record<string, unknown>, segments: string[], value: unknown): PathSegment[] | undefined {
  let node: unknown = root;
  const written: PathSegment[] = [];
  for (const [index, segment] of segments.entries()) {
    const isLast = index === segments.length - 1;
    if (Array.isArray(node)) {
      const position = Number(segment);
      if (!Number.isInteger(position) || position < 0) return undefined;
      written.push(position);
      if (isLast) {
        node[position] = value;
      } else {
        node[position] ??= {};
        node = node[position];
      }
      continue;
    }
    if (!isPlainObject(node)) return undefined;
    const key = matchExistingKey(node, segment) ?? camelCase(segment);
    written.push(key);
    if (isLast) {
      node[key] = value;
    } else {
      node[key] ??= {};
      node = node[key];
    }
  }
  return written;
}

function matchExistingKey(node: Record<string, unknown>, segment: string): string | undefined {
  const wanted = normaliseKey(segment);
  return Object.keys(node).find((key) => normaliseKey(key) === wanted);
}

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

function camelCase(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}

interface ZodIssueLike {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
  issues?: ZodIssueLike[];
  /** Of an `invalid_union`: each alternative's issues, paths relative to the union's. */
  errors?: ZodIssueLike[][];
  input?: unknown;
}

function toConfigIssues(issue: ZodIssueLike, origins: Map<string, string>): ConfigIssue[] {
  const segments = issue.path.filter((segment): segment is PathSegment => typeof segment !== 'symbol');
  if (issue.code === 'invalid_union' && issue.errors) {
    // A value shaped like one alternative only (a K schedule rather than a number): that
    // alternative's problems name the keys inside it, where "Invalid input" would name none.
    const shaped = issue.errors.filter((branch) => branch.length > 0 && branch.every((sub) => sub.path.length > 0));
    if (shaped.length === 1 && shaped[0]) {
      return shaped[0].flatMap((sub) => toConfigIssues({ ...sub, path: [...issue.path, ...sub.path] }, origins));
    }
  }
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    return issue.keys.map((key) =>
      withOrigin({ path: formatPath([...segments, key]), message: 'unknown key' }, origins),
    );
  }
  return [withOrigin({ path: formatPath(segments), message: friendlyMessage(issue) }, origins)];
}

function withOrigin(issue: ConfigIssue, origins: Map<string, string>): ConfigIssue {
  const origin = origins.get(issue.path);
  return origin ? { ...issue, origin } : issue;
}

function friendlyMessage(issue: ZodIssueLike): string {
  // A bad record key (e.g. a source name) nests the key's own problem one level down.
  const nested = issue.code === 'invalid_key' ? issue.issues?.[0] : undefined;
  if (nested) return `invalid name: ${friendlyMessage(nested)}`;
  if ('input' in issue && issue.input === undefined && issue.code !== 'custom') return 'is required';
  return issue.message.replace(/^Invalid (input|option): /, '');
}

/** `['competitions', 0, 'source']` -> `competitions[0].source`. */
export function formatPath(segments: readonly PathSegment[]): string {
  return segments.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`;
    return text === '' ? segment : `${text}.${segment}`;
  }, '');
}

function withDerivedDefaults(parsed: ParsedConfig, baseDir: string | undefined): Config {
  const resolve = (dir: string) => (baseDir ? path.resolve(baseDir, dir) : dir);
  const dataDir = resolve(parsed.dataDir);
  const logDir = parsed.logDir ? resolve(parsed.logDir) : path.join(dataDir, 'logs');
  // `failuresLog` is always undefined here (the schema rejects it): leave it out of the result.
  const { failuresLog: _renamed, log, heartbeatDir, ...alerts } = parsed.alerts;
  return {
    ...parsed,
    dataDir,
    logDir,
    publishDir: parsed.publishDir ? resolve(parsed.publishDir) : path.join(dataDir, 'published'),
    alerts: {
      ...alerts,
      log: log ? resolve(log) : path.join(logDir, 'alerts.log'),
      heartbeatDir: heartbeatDir ? resolve(heartbeatDir) : path.join(dataDir, 'heartbeats'),
    },
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
