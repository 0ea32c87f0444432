import { Router } from 'express';
import { analyticsCsv, type AuditOwner, type AuditStore } from '@gw/audit';
import { tenantOf, type StackDirectory } from '@gw/config';
import { gatewayErrors, metaError } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import { parseAnalyticsQuery } from './analytics-query.ts';
import { requireStack } from './auth.ts';
import { sendGatewayError } from './http-errors.ts';

export interface AuditRoutesDeps {
  stacks: StackDirectory;
  audit: AuditStore;
  logger: Logger;
}

/**
 * The per-message audit (`GET /messages/{wamid}`) and the route analytics
 * (`GET /analytics/routes`), each scoped to the caller's stack and its tenant (a stack
 * re-created under a deleted stack's id sees none of the old one's). GET only: the
 * send routes are POSTs, so `/messages/{wamid}` never meets `POST /messages`.
 */
/** Whose audit data a stack reads: its id and its permanent tenant. */
export const ownerOf = (stack: Parameters<typeof tenantOf>[0]): AuditOwner => ({ stackId: stack.id, tenant: tenantOf(stack) });

export function auditRoutes({ stacks, audit, logger }: AuditRoutesDeps): Router {
  const router = Router();
  const auth = requireStack(stacks);
  const unavailable = () => gatewayErrors.unavailable('The audit store is unavailable. Retry later.');

  router.get('/messages/:wamid', auth, async (req, res) => {
    const wamid = String(req.params.wamid);
    let entry;
    try {
      entry = await audit.entry(ownerOf(res.locals.stack), wamid);
    } catch (error) {
      logger.warn({ err: error }, 'could not read an audit entry');
      return sendGatewayError(res, unavailable());
    }
    // Another stack's message (or a deleted stack's of the same id) is reported as absent, not as forbidden: wamids reveal nothing.
    if (!entry)
      return sendGatewayError(res, metaError(404, 100, 'Invalid parameter', `No message ${wamid} for this stack (unknown, another stack's, or past the audit retention).`));
    res.json(entry);
  });

  router.get('/analytics/routes', auth, async (req, res) => {
    const query = parseAnalyticsQuery(ownerOf(res.locals.stack), req.query, Date.now());
    if (typeof query === 'string') return sendGatewayError(res, gatewayErrors.invalidParameter(query));
    let rows;
    try {
      rows = await audit.routes(query);
    } catch (error) {
      logger.warn({ err: error }, 'could not read the route analytics');
      return sendGatewayError(res, unavailable());
    }
    if (req.accepts(['application/json', 'text/csv']) === 'text/csv') return res.type('text/csv').send(analyticsCsv(rows));
    res.json({ data: rows });
  });

  return router;
}
