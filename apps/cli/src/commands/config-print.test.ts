import { describe, expect, it } from 'vitest';
import { redactForDisplay, stripUrlCredentials } from './config-print.js';

describe('config print redaction', () => {
  it('strips userinfo and secret query parameters from URLs, leaving other strings alone', () => {
    expect(stripUrlCredentials('postgres://mf:pw@db:5432/x')).toBe('postgres://db:5432/x');
    expect(stripUrlCredentials('redis://:pw@cache:6379')).toBe('redis://cache:6379');
    expect(stripUrlCredentials('https://hooks.example/x?access_token=abc&channel=ops')).toBe(
      'https://hooks.example/x?access_token=%5Bredacted%5D&channel=ops',
    );
    expect(stripUrlCredentials('https://api.example/v4')).toBe('https://api.example/v4');
    expect(stripUrlCredentials('not a url: pw@host')).toBe('not a url: pw@host');
  });

  it('redacts values under secret-looking keys at any depth, and walks objects under them', () => {
    const redacted = redactForDisplay({
      sources: {
        fd: { credentials: { token: 't0k' }, headers: { 'X-Auth-Token': 'h', Cookie: 'c', Accept: 'json' } },
      },
      dashboard: { auth: { basic: { username: 'ops', password: 'pw' } }, port: 3000 },
      alerts: { webhookUrl: 'https://hooks.slack.com/services/T/B/secret', enabled: true },
      list: [{ apiKey: 'k', name: 'n' }],
    });
    expect(redacted).toEqual({
      sources: {
        fd: {
          credentials: { token: '[redacted]' },
          headers: { 'X-Auth-Token': '[redacted]', Cookie: '[redacted]', Accept: 'json' },
        },
      },
      dashboard: { auth: { basic: { username: 'ops', password: '[redacted]' } }, port: 3000 },
      alerts: { webhookUrl: 'https://hooks.slack.com/[redacted]', enabled: true },
      list: [{ apiKey: '[redacted]', name: 'n' }],
    });
  });
});
