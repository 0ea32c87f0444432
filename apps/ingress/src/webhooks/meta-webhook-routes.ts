import express, { Router, type ErrorRequestHandler, type Request } from 'express';
import { gatewayErrors } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import { sendGatewayError } from '../http-errors.ts';
import type { InboundStore } from './inbound-store.ts';
import { secretsEqual } from '@gw/process-tools';
import { verifyMetaSignature } from './signature.ts';
import { webhookErrors } from './webhook-errors.ts';

export interface MetaWebhookRoutesDeps {
  appSecret: string | undefined;
  verifyToken: string | undefined;
  store: Pick<InboundStore, 'store'>;
  logger: Logger;
}

// Meta posts up to 3 MB per webhook.
const BODY_LIMIT = '3mb';

/** `hub.*` parameters read from the raw query, whatever query parser Express uses. */
function hubParams(req: Request) {
  const params = new URL(req.originalUrl, 'http://gateway.invalid').searchParams;
  return { mode: params.get('hub.mode'), token: params.get('hub.verify_token'), challenge: params.get('hub.challenge') };
}

/**
 * Meta's side of webhooks: the verification handshake and the signed POST.
 * The POST only checks and stores; splitting, enrichment and forwarding happen
 * in the worker, so the answer stays fast.
 */
export function metaWebhookRoutes({ appSecret, verifyToken, store, logger }: MetaWebhookRoutesDeps): Router {
  const router = Router();

  router.get('/webhooks/meta', (req, res) => {
    const { mode, token, challenge } = hubParams(req);
    if (!verifyToken || mode !== 'subscribe' || token === null || challenge === null || !secretsEqual(token, verifyToken)) {
      return sendGatewayError(res, webhookErrors.verificationFailed());
    }
    res.status(200).set('x-content-type-options', 'nosniff').type('text/plain').send(challenge);
  });

  router.post('/webhooks/meta', express.raw({ type: () => true, limit: BODY_LIMIT }), async (req, res) => {
    if (!appSecret) return sendGatewayError(res, webhookErrors.receiverNotConfigured());
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!verifyMetaSignature(raw, req.get('x-hub-signature-256'), appSecret)) {
      logger.warn({ bytes: raw.length, hasSignature: req.get('x-hub-signature-256') !== undefined }, 'rejected a webhook with a bad signature');
      return sendGatewayError(res, webhookErrors.badSignature());
    }
    try {
      const jobId = await store.store(raw);
      logger.debug({ jobId, bytes: raw.length }, 'webhook stored');
    } catch (error) {
      logger.error({ err: (error as Error).message }, 'could not store a webhook; answering 503 so Meta retries');
      return sendGatewayError(res, webhookErrors.notStored());
    }
    res.status(200).type('text/plain').send('EVENT_RECEIVED');
  });

  const errors: ErrorRequestHandler = (error: { type?: string }, _req, res, next) => {
    if (error.type === 'entity.too.large') {
      return sendGatewayError(res, gatewayErrors.bodyTooLarge(BODY_LIMIT));
    }
    next(error);
  };
  router.use('/webhooks/meta', errors);
  return router;
}
