import type { Request, RequestHandler } from 'express';
import { bearerMatches } from '@gw/process-tools';
import { authFailed, refuseThrottled } from '../auth-throttle.ts';
import { sendGatewayError } from '../http-errors.ts';
import { adminErrors } from './admin-errors.ts';
import { ADMIN_COOKIE, cookieValue, sessionIdOf, type SessionStore } from './admin-session.ts';

export const wantsHtml = (req: Request) => (req.get('accept') ?? '').includes('text/html');

/** The id of the request's login session when its cookie is well-formed, signed and unexpired (revocation is the store's to say). */
export const sessionOf = (adminToken: string, req: Request) => sessionIdOf(adminToken, cookieValue(req.get('cookie'), ADMIN_COOKIE));

/** A state-changing call from a page of another origin (CSRF): refused whatever the credentials. */
export function foreignOrigin(req: Request): boolean {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return false;
  if (req.get('sec-fetch-site') === 'cross-site') return true;
  const origin = req.get('origin');
  if (!origin) return false;
  try {
    return origin === 'null' || new URL(origin).host.toLowerCase() !== (req.get('host') ?? '').toLowerCase();
  } catch {
    return true;
  }
}

/**
 * The admin API's one guard: `Authorization: Bearer <ADMIN_TOKEN>`, compared in
 * constant time. Without a configured token the admin API is closed (503), never
 * open. With `session`, a login cookie whose session is still live is accepted
 * too (Bull Board: browsers cannot send a bearer header when they navigate), and
 * a browser with neither is sent to the login page. State-changing calls from a
 * foreign Origin are refused, and failed guesses are throttled per client.
 */
export function requireAdmin(adminToken: string | undefined, { session }: { session?: SessionStore } = {}): RequestHandler {
  return async (req, res, next) => {
    if (!adminToken) return sendGatewayError(res, adminErrors.disabled());
    if (foreignOrigin(req)) return sendGatewayError(res, adminErrors.foreignOrigin());
    if (refuseThrottled(req, res)) return;
    if (bearerMatches(req.get('authorization'), adminToken)) return next();
    if (session) {
      const sessionId = sessionOf(adminToken, req);
      if (sessionId && (await session.has(sessionId).catch(() => false))) return next();
      if (req.method === 'GET' && wantsHtml(req)) return res.redirect(303, '/admin/login');
    }
    // A wrong bearer token is a failed guess; no credentials at all is not.
    if (req.get('authorization')) authFailed(req);
    sendGatewayError(res, adminErrors.unauthenticated());
  };
}
