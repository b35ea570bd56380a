import type { Config } from './load-config.js';

export const REDACTED = '[redacted]';

/**
 * Key names that hold secrets anywhere in the config (and in log objects that carry parts of
 * it). Telemetry builds its redaction paths from the same list.
 */
export const SECRET_KEYS: readonly string[] = ['token', 'password', 'webhookUrl', 'authorization', 'apiKey'];

/** A copy of the config that is safe to print: secrets replaced, URL passwords masked. */
export function redactConfig(config: Config): Config {
  return redactValue(config) as Config;
}

function redactValue(value: unknown, key?: string): unknown {
  if (key !== undefined && SECRET_KEYS.includes(key) && value !== undefined) return REDACTED;
  if (typeof value === 'string') return maskUrlPassword(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, redactValue(item, name)]));
  }
  return value;
}

/** `redis://user:secret@host` -> `redis://user:[redacted]@host`; other strings unchanged. */
export function maskUrlPassword(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text;
  try {
    const url = new URL(text);
    if (!url.password) return text;
    url.password = REDACTED;
    return url.toString();
  } catch {
    return text;
  }
}
