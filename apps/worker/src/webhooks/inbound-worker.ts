import type { AuditStore } from '@gw/audit';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { StackDirectory } from '@gw/config';
import { TemplateOwners, type CategoryCache } from '@gw/category-cache';
import { QUEUES, type RedisKeys } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import type { WebhookWorkerEnv } from './config.ts';
import { createWebhookInboundProcessor } from './inbound-processor.ts';
import { LedgerLookup } from './ledger-lookup.ts';
import { InboundMediaOwnership } from './inbound-media.ts';

export interface InboundWorkerOptions {
  env: Pick<WebhookWorkerEnv, 'WEBHOOK_INBOUND_CONCURRENCY'>;
  connection: ConnectionOptions;
  prefix: string;
  stacks: StackDirectory;
  commands: Redis;
  keys: RedisKeys;
  categories: CategoryCache;
  /** Attempts of each delivery it queues: one first try plus the retry schedule. */
  deliveryAttempts: number;
  audit?: AuditStore;
  logger: Logger;
}

/** The webhook-inbound queue's worker: splits and enriches Meta's envelopes and queues one delivery per stack. */
export function startInboundWorker(options: InboundWorkerOptions) {
  const { connection, prefix, logger } = options;
  const deliveries = new Queue(QUEUES.webhookDelivery, { connection, prefix });
  const worker = new Worker(
    QUEUES.webhookInbound,
    createWebhookInboundProcessor({
      stacks: options.stacks,
      ledger: new LedgerLookup(options.commands, options.keys),
      categories: options.categories,
      deliveries,
      deliveryAttempts: options.deliveryAttempts,
      media: new InboundMediaOwnership(options.commands, options.keys),
      templateOwners: new TemplateOwners({ redis: options.commands, keys: options.keys }),
      audit: options.audit,
      logger: logger.child({ queue: QUEUES.webhookInbound }),
    }),
    { connection, prefix, concurrency: options.env.WEBHOOK_INBOUND_CONCURRENCY },
  );
  deliveries.on('error', (error: Error) => logger.warn({ err: error.message }, 'redis (webhook-delivery queue) error'));
  worker.on('error', (error) => logger.error({ err: error.message }, 'webhook inbound worker error'));
  worker.on('failed', (job, error) => logger.error({ inboundJobId: job?.id, err: error.message }, 'inbound webhook processing failed'));
  return {
    worker,
    async close() {
      await worker.close();
      await deliveries.close();
    },
  };
}
