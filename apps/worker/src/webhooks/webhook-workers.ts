import type { AuditStore } from '@gw/audit';
import type { ConnectionOptions, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { StackDirectory } from '@gw/config';
import type { CategoryCache } from '@gw/category-cache';
import type { RedisKeys } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import type { WebhookWorkerEnv } from './config.ts';
import { startDeliveryWorker } from './delivery-worker.ts';
import { startInboundWorker } from './inbound-worker.ts';

export interface WebhookWorkersOptions {
  env: WebhookWorkerEnv;
  /** Plain connection options: each BullMQ worker opens its own blocking connection. */
  connection: ConnectionOptions;
  prefix: string;
  stacks: StackDirectory;
  /** The worker's fail-fast command connection (ledger reads, endpoint-gone marks). */
  commands: Redis;
  keys: RedisKeys;
  /** The same instance the send path uses, so its in-process copy learns at once. */
  categories: CategoryCache;
  /** Statuses and clicks are recorded here (per-message audit, route analytics). */
  audit?: AuditStore;
  logger: Logger;
}

export interface WebhookWorkers {
  /** For metrics and health (queue wait, delivery outcomes). */
  workers: Worker[];
  close(): Promise<void>;
}

function warnAboutStacks(stacks: StackDirectory, logger: Logger): void {
  const noUrl = stacks
    .all()
    .filter((s) => !s.webhookUrl)
    .map((s) => s.id);
  const noSecret = stacks
    .all()
    .filter((s) => s.webhookUrl && !s.webhookSecret)
    .map((s) => s.id);
  if (noUrl.length) logger.info({ stackIds: noUrl.slice(0, 50), count: noUrl.length }, 'stacks without webhookUrl: their webhooks are parked as dead letters');
  if (noSecret.length) {
    logger.warn(
      { stackIds: noSecret.slice(0, 50), count: noSecret.length },
      'stacks with a webhookUrl but no webhookSecret: their webhooks are parked (deliveries are always signed)',
    );
  }
}

/** Starts the two webhook workers, each from its own module: Meta's envelopes in, signed deliveries out. */
export async function startWebhookWorkers(options: WebhookWorkersOptions): Promise<WebhookWorkers> {
  const { env, stacks, logger } = options;
  const deliveryAttempts = env.WEBHOOK_RETRY_SCHEDULE_MS.length + 1;
  const inbound = startInboundWorker({ ...options, deliveryAttempts });
  const delivery = startDeliveryWorker(options);

  warnAboutStacks(stacks, logger);
  await Promise.all([inbound.worker.waitUntilReady(), delivery.worker.waitUntilReady()]);
  logger.info({ concurrency: env.WEBHOOK_CONCURRENCY, attempts: deliveryAttempts, allowPrivateUrls: env.WEBHOOK_ALLOW_PRIVATE_URLS }, 'webhook workers ready');

  return {
    workers: [inbound.worker, delivery.worker],
    async close() {
      // Inbound first: nothing new is queued while deliveries finish.
      await inbound.close();
      await delivery.close();
    },
  };
}
