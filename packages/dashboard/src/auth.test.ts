import { type Config, loadConfig } from '@matchflow/config';
import { describe, expect, it } from 'vitest';
import { authPolicy, DashboardAuthError } from './auth.js';

const TOKEN = 'a-token-of-24-characters';

function dashboard(settings: Record<string, unknown>): Config['dashboard'] {
  return { ...loadConfig({}, '').dashboard, ...settings } as Config['dashboard'];
}

const basicHeader = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

describe('authPolicy', () => {
  it('needs no credentials on loopback when none are configured', () => {
    const policy = authPolicy(dashboard({ host: '127.0.0.1' }), '127.0.0.1');
    expect(policy.required).toBe(false);
    expect(policy.check('/', undefined)).toBeUndefined();
  });

  it('refuses a host beyond loopback without credentials, whether configured or passed as the bind host', () => {
    expect(() => authPolicy(dashboard({ host: '0.0.0.0' }), '0.0.0.0')).toThrow(DashboardAuthError);
    expect(() => authPolicy(dashboard({ host: '127.0.0.1' }), '192.168.1.20')).toThrow(/192\.168\.1\.20.*auth\.token/);
  });

  it('enforces configured credentials on loopback too, and leaves /healthz open', () => {
    const policy = authPolicy(dashboard({ host: '127.0.0.1', auth: { token: TOKEN } }), '127.0.0.1');
    expect(policy.required).toBe(true);
    expect(policy.check('/', undefined)?.status).toBe(401);
    expect(policy.check('/healthz', undefined)).toBeUndefined();
    expect(policy.check('/', `Bearer ${TOKEN}`)).toBeUndefined();
  });

  it('accepts the bearer token and the basic credentials, each only when right', () => {
    const policy = authPolicy(
      dashboard({ host: '0.0.0.0', auth: { token: TOKEN, basic: { username: 'ops', password: 'hunter2hunter2' } } }),
      '0.0.0.0',
    );
    expect(policy.check('/metrics', `Bearer ${TOKEN}`)).toBeUndefined();
    expect(policy.check('/metrics', `bearer ${TOKEN}`)).toBeUndefined();
    expect(policy.check('/queues', basicHeader('ops', 'hunter2hunter2'))).toBeUndefined();
    for (const wrong of [
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      'Bearer',
      basicHeader('ops', 'wrong-password'),
      basicHeader('ops', `${TOKEN}`),
      `Basic ${TOKEN}`,
      TOKEN,
    ]) {
      const answer = policy.check('/', wrong);
      expect(answer?.status, wrong).toBe(401);
      expect(answer?.headers?.['www-authenticate']).toBe(
        'Basic realm="matchflow", charset="UTF-8", Bearer realm="matchflow"',
      );
    }
  });

  it('does not take the token as basic credentials or the basic password as a token', () => {
    const tokenOnly = authPolicy(dashboard({ host: '0.0.0.0', auth: { token: TOKEN } }), '0.0.0.0');
    expect(tokenOnly.check('/', basicHeader('x', TOKEN))?.status).toBe(401);
    expect(tokenOnly.check('/', undefined)?.headers?.['www-authenticate']).toBe('Bearer realm="matchflow"');
    const basicOnly = authPolicy(
      dashboard({ host: '0.0.0.0', auth: { basic: { username: 'ops', password: 'hunter2hunter2' } } }),
      '0.0.0.0',
    );
    expect(basicOnly.check('/', 'Bearer ops:hunter2hunter2')?.status).toBe(401);
  });
});
