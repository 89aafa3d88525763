import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

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
 * The host name of a `Host` header, lower-cased, without its port: `[::1]:3000` -> `::1`,
 * `Example.com:80` -> `example.com`. Null when there is none or it is malformed.
 */
export function hostNameOf(host: string | undefined): string | null {
  if (!host) return null;
  const value = host.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end > 1 ? value.slice(1, end) : null;
  }
  const name = value.split(':')[0]!;
  return /^[a-z0-9.-]+$/.test(name) ? name.replace(/\.$/, '') : null;
}

/**
 * Whether the dashboard answers a request for this Host. IP addresses are always accepted: a page
 * can only reach one under its own origin, so DNS rebinding cannot forge them. So are `localhost`
 * and `*.localhost`, which browsers resolve to this machine themselves. Any other name must be in
 * `allowed`, exactly or under an entry that starts with a dot.
 */
export function isAllowedHost(host: string | undefined, allowed: readonly string[]): boolean {
  const name = hostNameOf(host);
  if (name === null) return false;
  if (isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost')) return true;
  return allowed.some((entry) => (entry.startsWith('.') ? name === entry.slice(1) || name.endsWith(entry) : name === entry));
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
