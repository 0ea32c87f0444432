import { Router } from 'express';
import { Queue, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { StackDirectory } from '@gw/config';
import { QUEUES, type RedisKeys } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import { DeadLetters } from '../admin/dead-letters.ts';
import { deadLetterRoutes } from '../admin/dead-letter-routes.ts';
import { InboundStore } from './inbound-store.ts';
import { metaWebhookRoutes } from './meta-webhook-routes.ts';

export interface WebhookIngressOptions {
  /** Fail-fast connection options (no offline queue): a Redis outage answers 503 at once. */
  connection: ConnectionOptions;
  prefix: string;
  redis: Redis;
  keys: RedisKeys;
  stacks: StackDirectory;
  logger: Logger;
  appSecret: string | undefined;
  verifyToken: string | undefined;
  adminToken: string | undefined;
  enqueueTimeoutMs: number;
}

export interface WebhookIngress {
  /** Mount before the send routes: it reads raw bodies, which a JSON parser would consume. */
  router: Router;
  close(): Promise<void>;
}

/** Wires Meta's webhook receiver and the dead-letter admin API into the ingress. */
export async function createWebhookIngress(options: WebhookIngressOptions): Promise<WebhookIngress> {
  const { connection, prefix, logger } = options;
  const inbound = new Queue(QUEUES.webhookInbound, { connection, prefix });
  const deliveries = new Queue(QUEUES.webhookDelivery, { connection, prefix });
  for (const [name, queue] of [['webhook-inbound', inbound], ['webhook-delivery', deliveries]] as const) {
    queue.on('error', (error: Error) => logger.warn({ err: error.message }, `redis (${name} queue) error`));
  }
  // Connected before the ingress listens: with no offline queue, an add before that would fail.
  await Promise.all([inbound.waitUntilReady(), deliveries.waitUntilReady()]);
  if (!options.appSecret) logger.warn('META_APP_SECRET is unset: POST /webhooks/meta answers 503 and no webhook is accepted');
  if (!options.verifyToken) logger.warn('META_VERIFY_TOKEN is unset: the GET /webhooks/meta verification handshake always fails');
  if (!options.adminToken) logger.warn('ADMIN_TOKEN is unset: the admin API answers 503');

  const router = Router();
  router.use(
    metaWebhookRoutes({
      appSecret: options.appSecret,
      verifyToken: options.verifyToken,
      store: new InboundStore(inbound, options.enqueueTimeoutMs),
      logger,
    }),
  );
  router.use(
    deadLetterRoutes({
      deadLetters: new DeadLetters(deliveries, options.redis, options.keys, options.stacks),
      adminToken: options.adminToken,
      logger,
    }),
  );
  return {
    router,
    async close() {
      await Promise.allSettled([inbound.close(), deliveries.close()]);
    },
  };
}
