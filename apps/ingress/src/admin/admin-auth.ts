import type { RequestHandler } from 'express';
import { authFailed, refuseThrottled } from '../auth-throttle.ts';
import { sendGatewayError } from '../http-errors.ts';
import { secretsEqual } from '../webhooks/signature.ts';
import { webhookErrors } from '../webhooks/webhook-errors.ts';

/**
 * `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. Without a
 * configured token the admin API is closed (503), never open.
 */
export function requireAdmin(adminToken: string | undefined): RequestHandler {
  return (req, res, next) => {
    if (!adminToken) return sendGatewayError(res, webhookErrors.adminDisabled());
    if (refuseThrottled(req, res)) return;
    const match = req.get('authorization')?.match(/^Bearer\s+(.+)$/i);
    const given = match?.[1]?.trim();
    if (!given || !secretsEqual(given, adminToken)) {
      if (given) authFailed(req);
      return sendGatewayError(res, webhookErrors.adminUnauthenticated());
    }
    next();
  };
}
