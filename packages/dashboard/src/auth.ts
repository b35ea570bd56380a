import { createHash, timingSafeEqual } from 'node:crypto';
import type { Config } from '@matchflow/config';
import type { HttpResponse } from './http.js';

/*
 * Who may see the dashboard. Bound to loopback, only this machine can reach it, so it needs no
 * credentials; bound to anything else, every route but /healthz asks for the configured bearer
 * token or basic credentials, and the server refuses to start without them. Credentials that are
 * configured are always enforced, on loopback too: configuring them and having them ignored
 * would be a surprise.
 */

/** The hosts that only this machine reaches: the same list the config check uses. */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '::1']);

/** Routes that answer without credentials: liveness probes cannot carry secrets. */
export const OPEN_PATHS: ReadonlySet<string> = new Set(['/healthz']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host);
}

/** The dashboard would be reachable beyond this machine without credentials. */
export class DashboardAuthError extends Error {
  constructor(host: string) {
    super(
      `the dashboard binds to ${host}, beyond loopback, but has no credentials: set dashboard.auth.token ` +
        '(MATCHFLOW_DASHBOARD__AUTH__TOKEN) or dashboard.auth.basic.username and .password, or bind to 127.0.0.1',
    );
    this.name = 'DashboardAuthError';
  }
}

export interface AuthPolicy {
  /** Whether requests need credentials at all. */
  required: boolean;
  /** The answer for a request, or undefined when it may go on. */
  check(path: string, authorization: string | string[] | undefined): HttpResponse | undefined;
}

/**
 * The policy for a server configured with `dashboard` and listening on `bindHost` (which may
 * differ from `dashboard.host` when a caller overrides it). Throws `DashboardAuthError` when
 * either host is beyond loopback and no credentials are configured.
 */
export function authPolicy(dashboard: Config['dashboard'], bindHost: string): AuthPolicy {
  const token = dashboard.auth.token;
  const basic = dashboard.auth.basic;
  const hasCredentials = token !== undefined || basic !== undefined;
  const exposedHost = [dashboard.host, bindHost].find((host) => !isLoopbackHost(host));
  if (exposedHost !== undefined && !hasCredentials) throw new DashboardAuthError(exposedHost);
  if (!hasCredentials) return { required: false, check: () => undefined };

  const tokenDigest = token === undefined ? undefined : digest(token);
  const basicDigest = basic === undefined ? undefined : digest(`${basic.username}:${basic.password}`);
  const challenges = [
    ...(basicDigest ? ['Basic realm="matchflow", charset="UTF-8"'] : []),
    ...(tokenDigest ? ['Bearer realm="matchflow"'] : []),
  ];
  const unauthorized = (message: string): HttpResponse => ({
    status: 401,
    headers: { 'www-authenticate': challenges.join(', '), 'cache-control': 'no-store' },
    body: { error: 'unauthorized', message },
  });

  return {
    required: true,
    check(path, header) {
      if (OPEN_PATHS.has(path)) return undefined;
      const value = Array.isArray(header) ? header[0] : header;
      if (value === undefined || value === '') return unauthorized('credentials required');
      const space = value.indexOf(' ');
      const scheme = (space === -1 ? value : value.slice(0, space)).toLowerCase();
      const credentials = space === -1 ? '' : value.slice(space + 1).trim();
      if (scheme === 'bearer' && tokenDigest && safeEqual(digest(credentials), tokenDigest)) return undefined;
      if (scheme === 'basic' && basicDigest) {
        const decoded = Buffer.from(credentials, 'base64').toString('utf8');
        if (safeEqual(digest(decoded), basicDigest)) return undefined;
      }
      return unauthorized('wrong credentials');
    },
  };
}

// Comparing fixed-length digests keeps the comparison constant-time whatever the lengths.
function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return timingSafeEqual(a, b);
}
