import { createHmac, scryptSync } from 'node:crypto';
import { secretMatches } from '@gw/metrics';

export const ADMIN_COOKIE = 'gw_admin_session';

/**
 * The cookie's HMAC key, derived from ADMIN_TOKEN with scrypt (never the token
 * itself): checking one guess of the token against a stolen cookie costs a
 * scrypt run, not one HMAC. Derived once per token.
 */
let derived: { token: string; key: Buffer } | undefined;
export function sessionKey(adminToken: string): Buffer {
  if (derived?.token !== adminToken) {
    derived = { token: adminToken, key: scryptSync(adminToken, 'gw-admin-session-key:v2', 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }) };
  }
  return derived.key;
}

const mac = (adminToken: string, expiresAt: number) =>
  createHmac('sha256', sessionKey(adminToken)).update(`admin-session:v2:${expiresAt}`).digest('base64url');

/**
 * A browser session for Bull Board without server state: the expiry and an
 * HMAC of it keyed with ADMIN_TOKEN. It never contains the token, works on
 * every ingress sharing the token, and dies when the token changes.
 */
export function issueSession(adminToken: string, ttlSeconds: number, now = Date.now()): { value: string; expiresAt: number } {
  const expiresAt = Math.floor(now / 1000) + ttlSeconds;
  return { value: `${expiresAt}.${mac(adminToken, expiresAt)}`, expiresAt };
}

export function sessionValid(adminToken: string, value: string | undefined, now = Date.now()): boolean {
  const match = value?.match(/^(\d{1,12})\.([\w-]{43})$/);
  if (!match) return false;
  const expiresAt = Number(match[1]);
  if (expiresAt * 1000 <= now) return false;
  return secretMatches(match[2]!, mac(adminToken, expiresAt));
}

/** One cookie's value from a Cookie header (no dependency for a single cookie); a malformed one is absent. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) {
      try {
        return decodeURIComponent(part.slice(separator + 1).trim());
      } catch {
        // Not valid percent-encoding (e.g. `%E0%A4%A`): no session, never a 500.
        return undefined;
      }
    }
  }
  return undefined;
}

/** HttpOnly, SameSite=Strict (no cross-site use, so no CSRF on Bull Board's actions), scoped to /admin. */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [`${ADMIN_COOKIE}=${value}`, 'Path=/admin', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`, ...(secure ? ['Secure'] : [])].join('; ');
}
