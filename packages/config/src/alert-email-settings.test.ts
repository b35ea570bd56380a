import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { loadConfig } from './load-config.js';

/** `alerts.email` (docs/alerts.md): optional; when present, complete and well-formed. */

const SMTP = { host: 'smtp.example.com' };

function load(email: unknown, env: Record<string, string> = {}) {
  return loadConfig(env, JSON.stringify({ alerts: { email } }));
}

function issuesOf(run: () => unknown): Array<{ path: string; message: string }> {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).issues];
  }
  throw new Error('expected a ConfigError');
}

describe('alerts.email', () => {
  it('is absent unless configured', () => {
    expect(loadConfig({}, '').alerts.email).toBeUndefined();
  });

  it('fills the defaults: port 587 with STARTTLS, certificates verified; port 465 is implicit TLS', () => {
    const email = load({ smtp: SMTP, from: 'alerts@example.com', to: ['ops@example.com'] }).alerts.email;
    expect(email).toEqual({
      smtp: { host: 'smtp.example.com', port: 587, secure: false, tlsRejectUnauthorized: true },
      from: 'alerts@example.com',
      to: ['ops@example.com'],
    });
    const tls = load({ smtp: { ...SMTP, port: 465 }, from: 'matchflow <a@example.com>', to: ['ops@example.com'] });
    expect(tls.alerts.email?.smtp.secure).toBe(true);
  });

  it('takes every setting from the environment (a list as JSON)', () => {
    const config = loadConfig({
      MATCHFLOW_ALERTS__EMAIL__SMTP__HOST: 'smtp.prod.internal',
      MATCHFLOW_ALERTS__EMAIL__SMTP__PORT: '2525',
      MATCHFLOW_ALERTS__EMAIL__SMTP__SECURE: 'false',
      MATCHFLOW_ALERTS__EMAIL__SMTP__AUTH__USER: 'alerts',
      MATCHFLOW_ALERTS__EMAIL__SMTP__AUTH__PASS: 'secret',
      MATCHFLOW_ALERTS__EMAIL__SMTP__TLS_REJECT_UNAUTHORIZED: 'false',
      MATCHFLOW_ALERTS__EMAIL__FROM: 'alerts@example.com',
      MATCHFLOW_ALERTS__EMAIL__TO: '["ops@example.com","oncall@example.com"]',
      MATCHFLOW_ALERTS__EMAIL__SUBJECT_PREFIX: '[prod eu]',
    });
    expect(config.alerts.email).toEqual({
      smtp: {
        host: 'smtp.prod.internal',
        port: 2525,
        secure: false,
        auth: { user: 'alerts', pass: 'secret' },
        tlsRejectUnauthorized: false,
      },
      from: 'alerts@example.com',
      to: ['ops@example.com', 'oncall@example.com'],
      subjectPrefix: '[prod eu]',
    });
  });

  it('names every bad key: missing `to`, a bad port, a bad address, no host', () => {
    expect(issuesOf(() => load({ smtp: { ...SMTP, port: 70_000 }, from: 'alerts@example.com' }))).toEqual([
      { path: 'alerts.email.smtp.port', message: expect.stringMatching(/<=65535/) },
      { path: 'alerts.email.to', message: 'is required' },
    ]);
    expect(issuesOf(() => load({ smtp: { ...SMTP, port: 'smtp' }, from: 'a@example.com', to: [] }))).toEqual([
      { path: 'alerts.email.smtp.port', message: expect.stringMatching(/number/) },
      { path: 'alerts.email.to', message: 'must list at least one address' },
    ]);
    expect(issuesOf(() => load({ smtp: {}, from: 'nobody', to: ['ops@example.com', 'x'] }))).toEqual([
      { path: 'alerts.email.smtp.host', message: 'is required' },
      { path: 'alerts.email.from', message: expect.stringMatching(/email address/) },
      { path: 'alerts.email.to[1]', message: expect.stringMatching(/email address/) },
    ]);
  });

  it('reports a bad port set from the environment with its variable', () => {
    const issues = issuesOf(() =>
      load(
        { smtp: SMTP, from: 'a@example.com', to: ['ops@example.com'] },
        { MATCHFLOW_ALERTS__EMAIL__SMTP__PORT: '0' },
      ),
    );
    expect(issues).toEqual([
      expect.objectContaining({ path: 'alerts.email.smtp.port', origin: 'env MATCHFLOW_ALERTS__EMAIL__SMTP__PORT' }),
    ]);
  });
});
