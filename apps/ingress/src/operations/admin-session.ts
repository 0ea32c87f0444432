import { createHmac } from 'node:crypto';
import { secretMatches } from '@gw/metrics';

export const ADMIN_COOKIE = 'gw_admin_session';

const mac = (adminToken: string, expiresAt: number) =>
  createHmac('sha256', adminToken).update(`admin-session:v1:${expiresAt}`).digest('base64url');

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
