import { type Config, REDACTED, SECRET_KEYS, webhookOrigin } from '@matchflow/config';
import { json } from '../format.js';

type ConfigWithFile = Config & { configFile: string | undefined };

/**
 * Key names whose values are secrets, wherever they sit: the config's own list (`token`,
 * `password`, `webhookUrl`, ...) plus anything that looks like one (an upstream header such as
 * `X-Auth-Token` or `Cookie`, a future `clientSecret`).
 */
const SECRET_KEY = /token|passw(or)?d|secret|auth|api[-_]?key|cookie|credential|webhook|private[-_]?key|signature/i;

function isSecretKey(key: string): boolean {
  return SECRET_KEYS.includes(key) || SECRET_KEY.test(key);
}

/**
 * A URL without its userinfo (`redis://user:pw@host` -> `redis://host`) and with secret-looking
 * query parameters redacted; any other string unchanged.
 */
export function stripUrlCredentials(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  let changed = false;
  if (url.username || url.password) {
    url.username = '';
    url.password = '';
    changed = true;
  }
  for (const key of [...url.searchParams.keys()]) {
    if (isSecretKey(key)) {
      url.searchParams.set(key, REDACTED);
      changed = true;
    }
  }
  return changed ? url.toString() : text;
}

/**
 * A copy safe to print: values under secret-looking keys replaced (objects under them are
 * walked, so `auth.basic.username` stays readable while `auth.basic.password` goes), the webhook
 * URL cut to its origin, and every URL stripped of credentials.
 */
export function redactForDisplay(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((item) => redactForDisplay(item));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, redactForDisplay(item, name)]));
  }
  // Where alerts go is worth seeing; the path (Slack's token) is not.
  if (key === 'webhookUrl' && typeof value === 'string') return webhookOrigin(value);
  if (key !== undefined && isSecretKey(key) && (typeof value === 'string' || typeof value === 'number'))
    return REDACTED;
  return typeof value === 'string' ? stripUrlCredentials(value) : value;
}

/** `a.b[0].c: value` lines, one per leaf; empty objects and arrays shown as such. */
function flatten(value: unknown, path: string, lines: string[]): void {
  if (Array.isArray(value)) {
    if (value.length === 0) lines.push(`${path}: []`);
    value.forEach((item, index) => {
      flatten(item, `${path}[${index}]`, lines);
    });
  } else if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) lines.push(`${path}: {}`);
    for (const [name, item] of entries) flatten(item, path ? `${path}.${name}` : name, lines);
  } else {
    lines.push(`${path}: ${typeof value === 'string' ? value : JSON.stringify(value ?? null)}`);
  }
}

/**
 * `matchflow config print [--json]`: the effective configuration (file, defaults and environment
 * overrides merged) with secrets redacted, as `key.path: value` lines or JSON.
 */
export function printConfig(
  configured: ConfigWithFile,
  options: { json: boolean },
  out: (line: string) => void,
): number {
  const { configFile, ...config } = configured;
  const safe = redactForDisplay(config);
  if (options.json) {
    out(json({ file: configFile ?? null, config: safe }));
    return 0;
  }
  out(`# effective configuration (${configFile ?? 'no file: defaults and environment only'}); secrets redacted`);
  const lines: string[] = [];
  flatten(safe, '', lines);
  for (const line of lines) out(line);
  return 0;
}
