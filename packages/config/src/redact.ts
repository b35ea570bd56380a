import type { Config } from './load-config.js';

export const REDACTED = '[redacted]';

/**
 * Key names that hold secrets anywhere in the config (and in log objects that carry parts of
 * it). Telemetry builds its redaction paths from the same list.
 */
export const SECRET_KEYS: readonly string[] = [
  'token',
  'password',
  // nodemailer's name for the SMTP password (`alerts.email.smtp.auth.pass`).
  'pass',
  'webhookUrl',
  'authorization',
  'apiKey',
];

/** A copy of the config that is safe to print: secrets replaced, URL passwords masked. */
export function redactConfig(config: Config): Config {
  return redactValue(config) as Config;
}

function redactValue(value: unknown, key?: string): unknown {
  if (key === 'webhookUrl' && typeof value === 'string') return webhookOrigin(value);
  if (key !== undefined && SECRET_KEYS.includes(key) && value !== undefined) return REDACTED;
  if (typeof value === 'string') return maskUrlPassword(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, redactValue(item, name)]));
  }
  return value;
}

/**
 * How a webhook URL may be shown (config print, logs): its origin with the path and query elided,
 * `https://hooks.slack.com/services/T0/B0/XXXX` -> `https://hooks.slack.com/[redacted]`. A Slack
 * (or Mattermost, Teams) incoming-webhook URL carries its token in the path, so the whole URL is
 * a credential; the origin says where alerts go. `[redacted]` when it does not parse.
 */
export function webhookOrigin(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}/${REDACTED}`;
  } catch {
    return REDACTED;
  }
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
