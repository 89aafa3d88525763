import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import type { DashboardRequest } from './dashboard-options.js';

/** The Content Security Policy of every response: own scripts and styles only, nothing inline. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Headers sent with every dashboard response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
});

/** Whether an address is the local machine's (IPv4 127/8, IPv6 ::1, or IPv4-mapped loopback). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/**
 * Guards state-changing requests against cross-site request forgery: a token signed with a secret
 * made per dashboard instance (so it cannot be guessed and dies with the process), checked in
 * constant time on every POST, plus a same-origin check of `Sec-Fetch-Site` and `Origin`.
 */
export class CsrfGuard {
  private readonly secret = randomBytes(32);
  /** The token pages embed in forms and in a meta tag for scripts. */
  readonly token: string;

  constructor() {
    const nonce = randomBytes(16).toString('base64url');
    this.token = `${nonce}.${this.sign(nonce)}`;
  }

  private sign(nonce: string): string {
    return createHmac('sha256', this.secret).update(`spool-dashboard-csrf:${nonce}`).digest('base64url');
  }

  /** Why the request is refused, or null when it carries a valid token from the same origin. */
  check(request: DashboardRequest, submitted: string | undefined): string | null {
    const site = header(request, 'sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return 'cross-site request';
    const origin = header(request, 'origin');
    if (origin !== undefined && origin !== 'null') {
      let host: string;
      try {
        host = new URL(origin).host;
      } catch {
        return 'malformed Origin header';
      }
      if (host !== header(request, 'host')) return 'request from another origin';
    } else if (origin === 'null') return 'opaque origin';
    const [nonce, signature] = (submitted ?? '').split('.');
    if (!nonce || !signature) return 'missing CSRF token';
    const expected = Buffer.from(this.sign(nonce));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid CSRF token';
    return null;
  }
}

function header(request: DashboardRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
