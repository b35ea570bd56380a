import { Writable } from 'node:stream';
import { type Config, ConfigError, loadConfig, REDACTED, redactConfig, webhookOrigin } from '@matchflow/config';
import { createLogger } from '@matchflow/telemetry';
import { describe, expect, it } from 'vitest';
import { redactForDisplay } from '../../apps/cli/src/commands/config-print.js';

/*
 * The webhook URL is validated (http or https, no user:password@) and shown or logged only as
 * its origin; Redis and PostgreSQL URL passwords never reach a log line or `config print`. The
 * end-to-end proof with real processes is secrets-in-logs.int.test.ts; these cover the rules,
 * including what the machine here cannot exercise end to end (a Redis that requires a password).
 */

const HOOK = 'https://hooks.slack.com/services/T0000/B0000/s3cr3t-hook-path?token=s3cr3t-hook-query';
const BASE = {
  sources: { sofascore: { kind: 'sofascore', baseUrl: 'http://127.0.0.1:4010/api/v1' } },
};

function withWebhook(webhookUrl: string) {
  return loadConfig({}, JSON.stringify({ ...BASE, alerts: { webhookUrl } }));
}

function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return {
    logger: createLogger({ service: 'test', level: 'trace', destination: stream }),
    text: () => chunks.join(''),
  };
}

describe('the webhook URL', () => {
  it('accepts http and https URLs', () => {
    expect(withWebhook(HOOK).alerts.webhookUrl).toBe(HOOK);
    expect(withWebhook('http://127.0.0.1:9000/hook').alerts.webhookUrl).toBe('http://127.0.0.1:9000/hook');
  });

  it('rejects other schemes, credentials in the URL and non-URLs, naming the key and not echoing the value', () => {
    for (const bad of [
      'ftp://hooks.example/s3cr3t-x',
      'file:///etc/s3cr3t-x',
      'javascript:alert(1)//s3cr3t-x',
      'data:text/plain,s3cr3t-x',
      'gopher://hooks.example/s3cr3t-x',
      'https://ops:s3cr3t-x@hooks.example/hook',
      'https://s3cr3t-x@hooks.example/hook',
      'http:ops:s3cr3t-x@hooks.example/hook',
      'hooks.example/s3cr3t-x',
      '',
    ]) {
      let error: unknown;
      try {
        withWebhook(bad);
      } catch (caught) {
        error = caught;
      }
      expect(error, bad).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message, bad).toMatch(/alerts\.webhookUrl: /);
      expect(message, bad).not.toContain('s3cr3t');
    }
  });

  it('is shown as its origin only: config print, redactConfig, and log lines', () => {
    expect(webhookOrigin(HOOK)).toBe('https://hooks.slack.com/[redacted]');
    expect(webhookOrigin('http://127.0.0.1:9000/x/y?z=1')).toBe('http://127.0.0.1:9000/[redacted]');
    expect(webhookOrigin('not a url s3cr3t')).toBe(REDACTED);

    const config = withWebhook(HOOK);
    expect(redactConfig(config).alerts.webhookUrl).toBe('https://hooks.slack.com/[redacted]');
    expect(redactForDisplay({ alerts: config.alerts })).toMatchObject({
      alerts: { webhookUrl: 'https://hooks.slack.com/[redacted]' },
    });

    const { logger, text } = capture();
    logger.info({ webhookUrl: HOOK }, 'top level');
    logger.info({ alerts: { webhookUrl: HOOK } }, 'nested');
    logger.info({ config: { alerts: { webhookUrl: HOOK } } }, 'deeper');
    const lines = text().trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(text()).not.toContain('s3cr3t');
    expect(text().match(/https:\/\/hooks\.slack\.com\/\[redacted\]/g)).toHaveLength(3);
  });
});

describe('database and Redis URLs', () => {
  const env = {
    REDIS_URL: 'rediss://default:s3cr3t-redis@cache.internal:6380/2',
    DATABASE_URL: 'postgres://matchflow:s3cr3t-pg@db.internal:5432/matchflow?sslmode=require',
  };

  it('lose their passwords in config print, redactConfig and log lines', () => {
    const config = loadConfig(env, JSON.stringify(BASE));
    const shown = JSON.stringify(redactForDisplay(config));
    expect(shown).not.toContain('s3cr3t');
    expect(shown).toContain('rediss://cache.internal:6380/2');
    expect(shown).toContain('postgres://db.internal:5432/matchflow?sslmode=require');
    expect(JSON.stringify(redactConfig(config))).not.toContain('s3cr3t');

    const { logger, text } = capture();
    logger.info({ url: env.REDIS_URL }, 'redis');
    logger.info({ url: env.DATABASE_URL }, 'database');
    logger.info({ redis: { url: env.REDIS_URL, password: 's3cr3t-redis' } }, 'options');
    expect(text()).not.toContain('s3cr3t');
    expect(text()).toContain('cache.internal:6380');
  });

  it('credential-bearing headers and tokens are redacted wherever they sit in a log line', () => {
    const { logger, text } = capture();
    logger.warn(
      {
        request: { headers: { authorization: 'Bearer s3cr3t-a', 'x-auth-token': 's3cr3t-b', cookie: 's3cr3t-c' } },
        source: { credentials: { token: 's3cr3t-d' } },
        dashboard: { auth: { token: 's3cr3t-e', basic: { username: 'ops', password: 's3cr3t-f' } } },
      },
      'everything at once',
    );
    expect(text()).not.toContain('s3cr3t');
    expect(text()).toContain('"username":"ops"');
  });
});

describe('the SMTP password of email alerts', () => {
  const email = {
    smtp: { host: 'smtp.example.com', port: 587, auth: { user: 'alerts@example.com', pass: 's3cr3t-smtp' } },
    from: 'alerts@example.com',
    to: ['ops@example.com'],
  };

  it('is redacted in config print, redactConfig and log lines, from the file or the environment', () => {
    const fromFile = loadConfig({}, JSON.stringify({ ...BASE, alerts: { email } }));
    const fromEnv = loadConfig(
      { MATCHFLOW_ALERTS__EMAIL__SMTP__AUTH__PASS: 's3cr3t-env' },
      JSON.stringify({ ...BASE, alerts: { email } }),
    );
    expect(fromEnv.alerts.email?.smtp.auth?.pass).toBe('s3cr3t-env');
    for (const config of [fromFile, fromEnv]) {
      const shown = redactForDisplay(config) as Config;
      expect(JSON.stringify(shown)).not.toContain('s3cr3t');
      expect(shown.alerts.email?.smtp.auth).toEqual({ user: 'alerts@example.com', pass: REDACTED });
      expect(JSON.stringify(redactConfig(config))).not.toContain('s3cr3t');
    }

    const { logger, text } = capture();
    logger.info({ email: fromFile.alerts.email }, 'email settings');
    logger.info({ alerts: fromFile.alerts }, 'alerts settings');
    expect(text()).not.toContain('s3cr3t');
    expect(text()).toContain('"user":"alerts@example.com"');
  });
});
