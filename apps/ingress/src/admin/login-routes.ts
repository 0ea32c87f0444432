import express, { Router, type Request } from 'express';
import { secretsEqual } from '@gw/process-tools';
import { sendGatewayError } from '../http-errors.ts';
import { adminErrors } from './admin-errors.ts';
import { wantsHtml } from './admin-guard.ts';
import { issueSession, sessionCookie } from './admin-session.ts';

export interface AdminLoginDeps {
  adminToken: string | undefined;
  sessionTtlSeconds: number;
}

const LOGIN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gateway admin login</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}input,button{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box;margin:.25rem 0}</style>
</head><body><h1>Gateway admin</h1>
<form method="post" action="/admin/login">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Log in to Bull Board</button>
</form></body></html>`;

const isSecure = (req: Request) => req.secure || req.get('x-forwarded-proto') === 'https';

/**
 * Browsers cannot send a bearer header when they navigate, so Bull Board also
 * accepts a session cookie set by this login (the token is posted in a form,
 * never put in a URL, and never logged).
 */
export function adminLoginRoutes({ adminToken, sessionTtlSeconds }: AdminLoginDeps): Router {
  const router = Router();
  router.get('/admin/login', (_req, res) => {
    res
      .set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
      .set('cache-control', 'no-store')
      .type('html')
      .send(LOGIN_PAGE);
  });
  router.post('/admin/login', express.urlencoded({ extended: false, limit: '4kb' }), express.json({ limit: '4kb' }), (req, res) => {
    if (!adminToken) return sendGatewayError(res, adminErrors.disabled());
    const given = (req.body as { token?: unknown } | undefined)?.token;
    if (typeof given !== 'string' || !secretsEqual(given, adminToken)) return sendGatewayError(res, adminErrors.loginFailed());
    const session = issueSession(adminToken, sessionTtlSeconds);
    res.set('set-cookie', sessionCookie(session.value, sessionTtlSeconds, isSecure(req))).set('cache-control', 'no-store');
    if (req.is('application/json')) return void res.json({ status: 'logged_in', expires_at: new Date(session.expiresAt * 1000).toISOString() });
    res.redirect(303, '/admin/queues');
  });
  router.post('/admin/logout', (req, res) => {
    res.set('set-cookie', sessionCookie('', 0, isSecure(req)));
    if (req.is('application/json') || !wantsHtml(req)) return void res.json({ status: 'logged_out' });
    res.redirect(303, '/admin/login');
  });
  return router;
}
