import express, { Router, type Request, type Response } from 'express';
import { secretsEqual } from '@gw/process-tools';
import { authFailed, refuseThrottled } from '../auth-throttle.ts';
import { sendGatewayError } from '../http-errors.ts';
import { adminErrors } from './admin-errors.ts';
import { foreignOrigin, sessionOf, wantsHtml } from './admin-guard.ts';
import { issueSession, sessionCookie, type SessionStore } from './admin-session.ts';

export interface AdminLoginDeps {
  adminToken: string | undefined;
  sessionTtlSeconds: number;
  /** Live sessions (Redis): logout ends a session on every ingress. */
  sessions: SessionStore;
}

/** The login form; `error` (fixed text, never user input) is shown above it after a failed attempt. */
const loginPage = (error?: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gateway admin login</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}input,button{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box;margin:.25rem 0}.error{color:#b00020;border:1px solid #b00020;padding:.5rem;border-radius:.25rem}</style>
</head><body><h1>Gateway admin</h1>
${error ? `<p class="error" role="alert">${error}</p>\n` : ''}<form method="post" action="/admin/login">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Log in to Bull Board</button>
</form></body></html>`;

/**
 * HTTPS as Express sees it (honouring TRUST_PROXY), or any hop of a chained
 * `X-Forwarded-Proto` (`https, http` behind two proxies). A wrongly claimed
 * https only makes the cookie stricter, so the header is read either way.
 */
const isSecure = (req: Request) => req.secure || (req.get('x-forwarded-proto') ?? '').split(',').some((hop) => hop.trim().toLowerCase() === 'https');

/**
 * Browsers cannot send a bearer header when they navigate, so Bull Board also
 * accepts a session cookie set by this login (the token is posted in a form,
 * never put in a URL, and never logged).
 */
export function adminLoginRoutes({ adminToken, sessionTtlSeconds, sessions }: AdminLoginDeps): Router {
  const router = Router();
  const sendPage = (res: Response, status: number, error?: string) =>
    res
      .status(status)
      .set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
      .set('cache-control', 'no-store')
      .type('html')
      .send(loginPage(error));
  // A form post (or a browser) gets the page again with the error; an API client gets Meta's envelope.
  const fromForm = (req: Request) => req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded' || (!req.is('application/json') && wantsHtml(req));
  router.get('/admin/login', (_req, res) => {
    sendPage(res, 200);
  });
  router.post('/admin/login', express.urlencoded({ extended: false, limit: '4kb' }), express.json({ limit: '4kb' }), async (req, res) => {
    if (!adminToken) return sendGatewayError(res, adminErrors.disabled());
    if (refuseThrottled(req, res)) return;
    const given = (req.body as { token?: unknown } | undefined)?.token;
    if (typeof given !== 'string' || !secretsEqual(given, adminToken)) {
      if (given !== undefined) authFailed(req);
      if (fromForm(req)) return void sendPage(res, 401, 'Wrong admin token. Try again.');
      return sendGatewayError(res, adminErrors.loginFailed());
    }
    const session = issueSession(adminToken, sessionTtlSeconds);
    try {
      await sessions.add(session.sessionId, sessionTtlSeconds);
    } catch {
      return sendGatewayError(res, adminErrors.sessionStoreUnavailable());
    }
    res.set('set-cookie', sessionCookie(session.value, sessionTtlSeconds, isSecure(req))).set('cache-control', 'no-store');
    if (req.is('application/json')) return void res.json({ status: 'logged_in', expires_at: new Date(session.expiresAt * 1000).toISOString() });
    res.redirect(303, '/admin/queues');
  });
  router.post('/admin/logout', async (req, res) => {
    if (foreignOrigin(req)) return sendGatewayError(res, adminErrors.foreignOrigin());
    const sessionId = adminToken ? sessionOf(adminToken, req) : undefined;
    if (sessionId) await sessions.remove(sessionId).catch(() => undefined);
    res.set('set-cookie', sessionCookie('', 0, isSecure(req)));
    if (req.is('application/json') || !wantsHtml(req)) return void res.json({ status: 'logged_out' });
    res.redirect(303, '/admin/login');
  });
  return router;
}
