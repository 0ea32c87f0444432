import type { RequestHandler } from 'express';
import type { Stack, StackDirectory } from '@gw/config';
import { gatewayErrors } from '@gw/contracts';
import { authFailed, refuseThrottled } from './auth-throttle.ts';
import { sendGatewayError } from './http-errors.ts';

declare global {
  namespace Express {
    interface Locals {
      stack: Stack;
    }
  }
}

export function presentedKey(authorization: string | undefined, apiKeyHeader: string | undefined): string | undefined {
  if (apiKeyHeader) return apiKeyHeader.trim();
  const match = authorization?.match(/^Bearer\s+(.+)$/i);
  return match?.[1]?.trim();
}

/** Finds the caller's stack from `Authorization: Bearer <key>` or `X-API-Key`. */
export function requireStack(stacks: StackDirectory): RequestHandler {
  return (req, res, next) => {
    if (refuseThrottled(req, res)) return;
    const key = presentedKey(req.get('authorization'), req.get('x-api-key'));
    const stack = key ? stacks.byApiKey(key) : undefined;
    if (!stack) {
      // A wrong key is a guess; no key at all is not.
      if (key) authFailed(req);
      return sendGatewayError(res, gatewayErrors.unauthenticated());
    }
    res.locals.stack = stack;
    next();
  };
}
