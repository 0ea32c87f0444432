import type { ReplicaAck } from '@gw/config';
import { Router } from 'express';
import { Queue, type ConnectionOptions } from 'bullmq';
import { QUEUES } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import { InboundStore } from './inbound-store.ts';
import { metaWebhookRoutes } from './meta-webhook-routes.ts';

export interface WebhookIngressOptions {
  /** Fail-fast connection options (no offline queue): a Redis outage answers 503 at once. */
  connection: ConnectionOptions;
  prefix: string;
  logger: Logger;
  appSecret: string | undefined;
  verifyToken: string | undefined;
  enqueueTimeoutMs: number;
  /** With Sentinels: wait for a replica to have each webhook before answering 200. */
  replicaAck?: ReplicaAck;
}

export interface WebhookIngress {
  /** Mount before the send routes: it reads raw bodies, which a JSON parser would consume. */
  router: Router;
  close(): Promise<void>;
}

/** Wires Meta's webhook receiver into the ingress (its dead letters are in the admin API, admin/). */
export async function createWebhookIngress(options: WebhookIngressOptions): Promise<WebhookIngress> {
  const { connection, prefix, logger } = options;
  const inbound = new Queue(QUEUES.webhookInbound, { connection, prefix });
  inbound.on('error', (error: Error) => logger.warn({ err: error.message }, 'redis (webhook-inbound queue) error'));
  // Connected before the ingress listens: with no offline queue, an add before that would fail.
  await inbound.waitUntilReady();
  if (!options.appSecret) logger.warn('META_APP_SECRET is unset: POST /webhooks/meta answers 503 and no webhook is accepted');
  if (!options.verifyToken) logger.warn('META_VERIFY_TOKEN is unset: the GET /webhooks/meta verification handshake always fails');

  const router = Router();
  router.use(
    metaWebhookRoutes({
      appSecret: options.appSecret,
      verifyToken: options.verifyToken,
      store: new InboundStore(inbound, options.enqueueTimeoutMs, options.replicaAck),
      logger,
    }),
  );
  return {
    router,
    async close() {
      await inbound.close().catch(() => undefined);
    },
  };
}
