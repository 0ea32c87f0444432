import { createHmac, randomBytes, scryptSync } from 'node:crypto';
import type { Redis } from 'ioredis';
import { secretsEqual } from '@gw/process-tools';

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

const mac = (adminToken: string, expiresAt: number, sessionId: string) =>
  createHmac('sha256', sessionKey(adminToken)).update(`admin-session:v3:${expiresAt}:${sessionId}`).digest('base64url');

/**
 * A browser session for Bull Board: the expiry, a random session id (distinct
 * for every login) and an HMAC of both keyed with a key derived from
 * ADMIN_TOKEN. It never contains the token, dies when the token changes, and
 * the server keeps the id (in Redis) so logout ends it on every ingress.
 */
export function issueSession(adminToken: string, ttlSeconds: number, now = Date.now()): { value: string; expiresAt: number; sessionId: string } {
  const expiresAt = Math.floor(now / 1000) + ttlSeconds;
  const sessionId = randomBytes(18).toString('base64url');
  return { value: `${expiresAt}.${sessionId}.${mac(adminToken, expiresAt, sessionId)}`, expiresAt, sessionId };
}

/** The session id of a well-formed, correctly signed, unexpired cookie value; else undefined. (Whether it was revoked is the store's to say.) */
export function sessionIdOf(adminToken: string, value: string | undefined, now = Date.now()): string | undefined {
  const match = value?.match(/^(\d{1,12})\.([\w-]{24})\.([\w-]{43})$/);
  if (!match) return undefined;
  const expiresAt = Number(match[1]);
  if (expiresAt * 1000 <= now) return undefined;
  return secretsEqual(match[3]!, mac(adminToken, expiresAt, match[2]!)) ? match[2] : undefined;
}

export function sessionValid(adminToken: string, value: string | undefined, now = Date.now()): boolean {
  return sessionIdOf(adminToken, value, now) !== undefined;
}

/** The login sessions alive on the server: created at login, deleted at logout, expiring with the cookie. */
export interface SessionStore {
  add(sessionId: string, ttlSeconds: number): Promise<void>;
  has(sessionId: string): Promise<boolean>;
  remove(sessionId: string): Promise<void>;
}

export function redisSessionStore(redis: Pick<Redis, 'set' | 'exists' | 'del'>, keyOf: (id: string) => string): SessionStore {
  return {
    async add(sessionId, ttlSeconds) {
      await redis.set(keyOf(sessionId), '1', 'EX', ttlSeconds);
    },
    async has(sessionId) {
      return (await redis.exists(keyOf(sessionId))) === 1;
    },
    async remove(sessionId) {
      await redis.del(keyOf(sessionId));
    },
  };
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
