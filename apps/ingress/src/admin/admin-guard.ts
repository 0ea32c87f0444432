import type { Request, RequestHandler } from 'express';
import { bearerMatches } from '@gw/process-tools';
import { sendGatewayError } from '../http-errors.ts';
import { adminErrors } from './admin-errors.ts';
import { ADMIN_COOKIE, cookieValue, sessionValid } from './admin-session.ts';

export const wantsHtml = (req: Request) => (req.get('accept') ?? '').includes('text/html');

/**
 * The admin API's one guard: `Authorization: Bearer <ADMIN_TOKEN>`, compared in
 * constant time. Without a configured token the admin API is closed (503), never
 * open. With `session`, a valid login cookie is accepted too (Bull Board: browsers
 * cannot send a bearer header when they navigate), and a browser with neither is
 * sent to the login page.
 */
export function requireAdmin(adminToken: string | undefined, { session = false }: { session?: boolean } = {}): RequestHandler {
  return (req, res, next) => {
    if (!adminToken) return sendGatewayError(res, adminErrors.disabled());
    if (bearerMatches(req.get('authorization'), adminToken)) return next();
    if (session) {
      if (sessionValid(adminToken, cookieValue(req.get('cookie'), ADMIN_COOKIE))) return next();
      if (req.method === 'GET' && wantsHtml(req)) return res.redirect(303, '/admin/login');
    }
    sendGatewayError(res, adminErrors.unauthenticated());
  };
}
