import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { describePayloadIssue, gatewayErrors } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import { applyChange, generateApiKey, newStackSchema, rotateApiKey, sealStack, stackChangeSchema, viewOf, type PutOutcome, type StackStore } from '@gw/stack-store';
import { sendGatewayError } from '../http-errors.ts';
import { adminErrors } from './admin-errors.ts';
import { requireAdmin } from './admin-guard.ts';

export interface StackAdminDeps {
  /** Absent in file-only mode: every route answers 503. */
  store?: { store: StackStore; encryptionKey: Buffer; live: { reload(): Promise<void> } };
  adminToken: string | undefined;
  defaultGraceSeconds: number;
  logger: Logger;
}

const MAX_GRACE_SECONDS = 30 * 24 * 3600;
export const rotateBodySchema = z.strictObject({
  graceSeconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).optional(),
});

const conflictDetails: Partial<Record<PutOutcome, string>> = {
  exists: 'A stack with this id already exists.',
  phone_taken: 'Another stack already has this phoneNumberId.',
  key_taken: 'Another stack already uses this API key.',
};

function invalid(res: Response, error: z.ZodError) {
  sendGatewayError(res, gatewayErrors.invalidParameter(describePayloadIssue(error)));
}

/**
 * CRUD of stacks at run time, stored in Redis. API keys are shown once (on
 * creation and rotation), then only their hashes exist; reads never show a
 * secret. After a write this process reloads at once (the others hear the
 * change notification within milliseconds).
 */
export function stackAdminRoutes({ store, adminToken, defaultGraceSeconds, logger }: StackAdminDeps): Router {
  const router = Router();
  router.use('/admin/stacks', requireAdmin(adminToken), express.json({ limit: '16kb', type: () => true }));

  const guarded = (handler: (req: Request, res: Response, s: NonNullable<StackAdminDeps['store']>) => Promise<void>) => async (req: Request, res: Response) => {
    if (!store) return sendGatewayError(res, adminErrors.stackStoreDisabled());
    try {
      await handler(req, res, store);
    } catch (error) {
      logger.error({ err: (error as Error).message }, 'stack admin request failed');
      sendGatewayError(res, adminErrors.stackStoreUnavailable());
    }
  };
  const idOf = (req: Request) => String(req.params.id);

  router.get(
    '/admin/stacks',
    guarded(async (_req, res, { store: stacks }) => {
      res.json({ data: (await stacks.list()).map((record) => viewOf(record)) });
    }),
  );

  router.post(
    '/admin/stacks',
    guarded(async (req, res, { store: stacks, encryptionKey, live }) => {
      const parsed = newStackSchema.safeParse(req.body ?? {});
      if (!parsed.success) return invalid(res, parsed.error);
      const apiKey = parsed.data.apiKey ?? generateApiKey();
      const record = sealStack(encryptionKey, { ...parsed.data, apiKey }, 'api');
      const outcome = await stacks.create(record);
      if (outcome !== 'ok') return sendGatewayError(res, adminErrors.stackConflict(conflictDetails[outcome] ?? `Not created (${outcome}).`));
      await live.reload();
      logger.info({ stackId: record.id, action: 'create' }, 'stack created');
      // The only time this key is shown: it is stored as a hash.
      res
        .status(201)
        .set('cache-control', 'no-store')
        .json({ ...viewOf(record), apiKey });
    }),
  );

  router.get(
    '/admin/stacks/:id',
    guarded(async (req, res, { store: stacks }) => {
      const record = await stacks.get(idOf(req));
      if (!record) return sendGatewayError(res, adminErrors.stackNotFound(idOf(req)));
      res.json(viewOf(record));
    }),
  );

  router.patch(
    '/admin/stacks/:id',
    guarded(async (req, res, { store: stacks, encryptionKey, live }) => {
      const parsed = stackChangeSchema.safeParse(req.body ?? {});
      if (!parsed.success) return invalid(res, parsed.error);
      const outcome = await stacks.change(idOf(req), (current) => applyChange(encryptionKey, current, parsed.data));
      if (outcome.kind === 'missing') return sendGatewayError(res, adminErrors.stackNotFound(idOf(req)));
      if (outcome.kind !== 'ok') return sendGatewayError(res, adminErrors.stackConflict(conflictDetails[outcome.kind] ?? outcome.kind));
      await live.reload();
      logger.info({ stackId: idOf(req), action: 'update', fields: Object.keys(parsed.data) }, 'stack updated');
      res.json(viewOf(outcome.record));
    }),
  );

  router.delete(
    '/admin/stacks/:id',
    guarded(async (req, res, { store: stacks, live }) => {
      if (!(await stacks.delete(idOf(req)))) return sendGatewayError(res, adminErrors.stackNotFound(idOf(req)));
      await live.reload();
      logger.info({ stackId: idOf(req), action: 'delete' }, 'stack deleted');
      res.json({ id: idOf(req), deleted: true });
    }),
  );

  router.post(
    '/admin/stacks/:id/api-key/rotate',
    guarded(async (req, res, { store: stacks, live }) => {
      const parsed = rotateBodySchema.safeParse(req.body ?? {});
      if (!parsed.success) return invalid(res, parsed.error);
      const graceSeconds = parsed.data.graceSeconds ?? defaultGraceSeconds;
      const apiKey = generateApiKey();
      const outcome = await stacks.change(idOf(req), (current) => rotateApiKey(current, apiKey, graceSeconds));
      if (outcome.kind === 'missing') return sendGatewayError(res, adminErrors.stackNotFound(idOf(req)));
      if (outcome.kind !== 'ok') return sendGatewayError(res, adminErrors.stackConflict(conflictDetails[outcome.kind] ?? outcome.kind));
      await live.reload();
      logger.info({ stackId: idOf(req), action: 'rotate_api_key', graceSeconds }, 'stack API key rotated');
      const previousValidUntil = graceSeconds > 0 ? new Date(Date.now() + graceSeconds * 1000).toISOString() : null;
      res.set('cache-control', 'no-store').json({ ...viewOf(outcome.record), apiKey, previousKeysValidUntil: previousValidUntil });
    }),
  );

  return router;
}
