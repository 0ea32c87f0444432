import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cookieValue, issueSession, sessionCookie, sessionIdOf, sessionKey, sessionValid } from './admin-session.ts';

const token = 'admin-token-0123456789';
const now = 1_700_000_000_000;

describe('the Bull Board login session', () => {
  it('is valid until it expires, and never contains the admin token', () => {
    const { value, expiresAt } = issueSession(token, 3600, now);
    expect(value).not.toContain(token);
    expect(expiresAt).toBe(now / 1000 + 3600);
    expect(sessionValid(token, value, now + 3599_000)).toBe(true);
    expect(sessionValid(token, value, now + 3600_000)).toBe(false);
  });

  it('dies when the admin token changes, and refuses a forged or edited value', () => {
    const { value } = issueSession(token, 3600, now);
    expect(sessionValid('another-admin-token', value, now)).toBe(false);
    const [expiry, id, mac] = value.split('.');
    expect(sessionValid(token, `${Number(expiry) + 100000}.${id}.${mac}`, now)).toBe(false);
    expect(sessionValid(token, `${expiry}.${'A'.repeat(24)}.${mac}`, now)).toBe(false);
    expect(sessionValid(token, 'garbage', now)).toBe(false);
    expect(sessionValid(token, undefined, now)).toBe(false);
  });

  it('is distinct for every login, even in the same second', () => {
    const a = issueSession(token, 3600, now);
    const b = issueSession(token, 3600, now);
    expect(a.value).not.toBe(b.value);
    expect(a.sessionId).not.toBe(b.sessionId);
    expect(sessionIdOf(token, a.value, now)).toBe(a.sessionId);
  });

  it('is keyed with a key derived from the token, not the token itself', () => {
    const { value, expiresAt } = issueSession(token, 3600, now);
    const mac = value.split('.')[2];
    for (const label of ['v1', 'v2', 'v3']) {
      expect(mac).not.toBe(createHmac('sha256', token).update(`admin-session:${label}:${expiresAt}`).digest('base64url'));
    }
    expect(sessionKey(token)).not.toEqual(Buffer.from(token));
    expect(sessionKey(token)).toHaveLength(32);
  });

  it('reads its cookie among others and sets it HttpOnly and SameSite=Strict under /admin', () => {
    expect(cookieValue('a=1; gw_admin_session=123.abc; b=2', 'gw_admin_session')).toBe('123.abc');
    expect(cookieValue('a=1', 'gw_admin_session')).toBeUndefined();
    expect(cookieValue('gw_admin_session=%E0%A4%A', 'gw_admin_session')).toBeUndefined();
    const cookie = sessionCookie('v', 60, true);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/admin');
    expect(cookie).toContain('Secure');
  });
});
