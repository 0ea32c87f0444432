import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { describePayloadIssue, gatewayErrors, type GatewayError } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import { sendGatewayError } from '../http-errors.ts';
import { adminErrors } from './admin-errors.ts';
import { requireAdmin } from './admin-guard.ts';
import type { DeadLetters } from './dead-letters.ts';
import type { InboundDeadLetters } from './inbound-dead-letters.ts';

/** ISO 8601 or epoch milliseconds. */
const instant = z.union([z.number(), z.string().min(1)]).transform((value, ctx) => {
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
  inbound: InboundDeadLetters;
  adminToken: string | undefined;
  logger: Logger;
}

/** One kind of dead letter as the routes see it: a failed set to list and replay. */
interface FailedSet<Filter, Bulk> {
  base: string;
  /** Said in log lines: what a replay sends again. */
  label: string;
  listQuery: z.ZodType<Filter & { limit: number }>;
  bulkBody: z.ZodType<Bulk>;
  list(filter: Filter, limit: number): Promise<{ deadLetters: unknown[]; truncated: boolean }>;
  replayOne(id: string): Promise<'replayed' | 'not_found'>;
  replayMany(body: Bulk): Promise<{ matched: number; replayed: number; failed: number }>;
  notFound(id: string): GatewayError;
}

/**
 * The operators' view of webhooks that failed every attempt: parked deliveries to
 * clients, and Meta's webhooks the gateway could not process. List, replay one,
 * replay in bulk.
 */
export function deadLetterRoutes({ deadLetters, inbound, adminToken, logger }: DeadLetterRoutesDeps): Router {
  const router = Router();
  router.use('/admin/webhooks', requireAdmin(adminToken), express.json({ limit: '16kb', type: () => true }));

  const guarded = (handler: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response) => {
    try {
      await handler(req, res);
    } catch (error) {
      logger.error({ err: (error as Error).message }, 'admin webhook request failed');
      sendGatewayError(res, adminErrors.webhookQueuesUnavailable());
    }
  };

  function mount<Filter, Bulk>(set: FailedSet<Filter, Bulk>): void {
    router.get(
      set.base,
      guarded(async (req, res) => {
        const query = set.listQuery.safeParse(req.query);
        if (!query.success) return sendGatewayError(res, gatewayErrors.invalidParameter(describePayloadIssue(query.error)));
        const { limit, ...filter } = query.data;
        const { deadLetters: data, truncated } = await set.list(filter as Filter, limit);
        res.json({ data, paging: { limit, truncated } });
      }),
    );
    router.post(
      `${set.base}/replay`,
      guarded(async (req, res) => {
        const body = set.bulkBody.safeParse(req.body ?? {});
        if (!body.success) return sendGatewayError(res, gatewayErrors.invalidParameter(describePayloadIssue(body.error)));
        const counts = await set.replayMany(body.data);
        logger.info({ ...counts, ...(body.data as object) }, `${set.label} replayed in bulk`);
        res.json(counts);
      }),
    );
    router.post(
      `${set.base}/:id/replay`,
      guarded(async (req, res) => {
        const id = String(req.params.id);
        if ((await set.replayOne(id)) === 'not_found') return sendGatewayError(res, set.notFound(id));
        logger.info({ id }, `${set.label} replayed`);
        res.json({ id, replayed: true });
      }),
    );
  }

  mount({
    base: '/admin/webhooks/dead-letters',
    label: 'dead-lettered webhook deliveries',
    listQuery,
    bulkBody,
    list: (filter, limit) => deadLetters.list(filter, limit),
    replayOne: (id) => deadLetters.replayOne(id),
    replayMany: (body) => deadLetters.replayMany(body),
    notFound: adminErrors.deadLetterNotFound,
  });
  mount({
    base: '/admin/webhooks/inbound-dead-letters',
    label: 'dead-lettered inbound webhooks',
    listQuery: listQuery.omit({ stackId: true }),
    bulkBody: bulkBody.omit({ stackId: true }),
    list: (filter, limit) => inbound.list(filter, limit),
    replayOne: (id) => inbound.replayOne(id),
    replayMany: (body) => inbound.replayMany(body),
    notFound: adminErrors.inboundDeadLetterNotFound,
  });
  return router;
}
