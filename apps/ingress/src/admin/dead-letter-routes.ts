import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { describePayloadIssue, gatewayErrors } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import { sendGatewayError } from '../http-errors.ts';
import { adminErrors } from './admin-errors.ts';
import { requireAdmin } from './admin-guard.ts';
import type { DeadLetters } from './dead-letters.ts';

/** ISO 8601 or epoch milliseconds. */
const instant = z
  .union([z.number(), z.string().min(1)])
  .transform((value, ctx) => {
    const ms = typeof value === 'number' || /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    if (!Number.isFinite(ms)) ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 time or epoch milliseconds' });
    return ms;
  });

const listQuery = z.object({
  stackId: z.string().min(1).optional(),
  from: instant.optional(),
  to: instant.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const bulkBody = z.object({
  stackId: z.string().min(1),
  from: instant.optional(),
  to: instant.optional(),
});

export interface DeadLetterRoutesDeps {
  deadLetters: DeadLetters;
  adminToken: string | undefined;
  logger: Logger;
}

/** The operators' view of parked webhook deliveries: list, replay one, replay in bulk. */
export function deadLetterRoutes({ deadLetters, adminToken, logger }: DeadLetterRoutesDeps): Router {
  const router = Router();
  const base = '/admin/webhooks/dead-letters';
  router.use('/admin/webhooks', requireAdmin(adminToken), express.json({ limit: '16kb', type: () => true }));

  const guarded = (handler: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response) => {
    try {
      await handler(req, res);
    } catch (error) {
      logger.error({ err: (error as Error).message }, 'admin webhook request failed');
      sendGatewayError(res, adminErrors.webhookQueuesUnavailable());
    }
  };

  router.get(
    base,
    guarded(async (req, res) => {
      const query = listQuery.safeParse(req.query);
      if (!query.success) return sendGatewayError(res, gatewayErrors.invalidParameter(describePayloadIssue(query.error)));
      const { limit, ...filter } = query.data;
      const { deadLetters: data, truncated } = await deadLetters.list(filter, limit);
      res.json({ data, paging: { limit, truncated } });
    }),
  );

  router.post(
    `${base}/replay`,
    guarded(async (req, res) => {
      const body = bulkBody.safeParse(req.body ?? {});
      if (!body.success) return sendGatewayError(res, gatewayErrors.invalidParameter(describePayloadIssue(body.error)));
      const counts = await deadLetters.replayMany(body.data);
      logger.info({ ...counts, stackId: body.data.stackId }, 'dead-lettered webhooks replayed in bulk');
      res.json(counts);
    }),
  );

  router.post(
    `${base}/:id/replay`,
    guarded(async (req, res) => {
      const id = String(req.params.id);
      const outcome = await deadLetters.replayOne(id);
      if (outcome === 'not_found') return sendGatewayError(res, adminErrors.deadLetterNotFound(id));
      logger.info({ id }, 'dead-lettered webhook replayed');
      res.json({ id, replayed: true });
    }),
  );

  return router;
}
