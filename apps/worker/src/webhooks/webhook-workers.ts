import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { StackDirectory } from '@gw/config';
import type { CategoryCache } from '@gw/category-cache';
import { isDeadLettered, QUEUES, type RedisKeys } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import type { WebhookWorkerEnv } from './config.ts';
import { createDeliveryClient } from './delivery-client.ts';
import { createWebhookDeliveryProcessor } from './delivery-processor.ts';
import { refusedDestination } from './destination-guard.ts';
import { EndpointGoneMarks } from './endpoint-gone.ts';
import { createWebhookInboundProcessor } from './inbound-processor.ts';
import { LedgerLookup } from './ledger-lookup.ts';
import { createBackoffStrategy } from './retry-schedule.ts';

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
  logger: Logger;
}

export interface WebhookWorkers {
  /** For metrics and health (queue wait, delivery outcomes). */
  workers: Worker[];
  close(): Promise<void>;
}

function warnAboutStacks(stacks: StackDirectory, logger: Logger): void {
  const noUrl = stacks.all().filter((s) => !s.webhookUrl).map((s) => s.id);
  const noSecret = stacks.all().filter((s) => s.webhookUrl && !s.webhookSecret).map((s) => s.id);
  if (noUrl.length) logger.info({ stackIds: noUrl.slice(0, 50), count: noUrl.length }, 'stacks without webhookUrl: their webhooks are parked as dead letters');
  if (noSecret.length) {
    logger.warn({ stackIds: noSecret.slice(0, 50), count: noSecret.length }, 'stacks with a webhookUrl but no webhookSecret: their webhooks are parked (deliveries are always signed)');
  }
}

/** Starts the two webhook workers: Meta's envelopes in, signed deliveries out. */
export async function startWebhookWorkers(options: WebhookWorkersOptions): Promise<WebhookWorkers> {
  const { env, connection, prefix, stacks, commands, keys, logger } = options;
  const deliveryAttempts = env.WEBHOOK_RETRY_SCHEDULE_MS.length + 1;
  const deliveries = new Queue(QUEUES.webhookDelivery, { connection, prefix });
  const client = createDeliveryClient({ timeoutMs: env.WEBHOOK_TIMEOUT_MS, allowPrivate: env.WEBHOOK_ALLOW_PRIVATE_URLS });

  const inbound = new Worker(
    QUEUES.webhookInbound,
    createWebhookInboundProcessor({
      stacks,
      ledger: new LedgerLookup(commands, keys),
      categories: options.categories,
      deliveries,
      deliveryAttempts,
      logger: logger.child({ queue: QUEUES.webhookInbound }),
    }),
    { connection, prefix, concurrency: env.WEBHOOK_INBOUND_CONCURRENCY },
  );
  const delivery = new Worker(
    QUEUES.webhookDelivery,
    createWebhookDeliveryProcessor({
      stacks,
      client,
      gone: new EndpointGoneMarks(commands, keys),
      refusedDestination: env.WEBHOOK_ALLOW_PRIVATE_URLS ? async () => undefined : refusedDestination,
      perStackConcurrency: env.WEBHOOK_STACK_CONCURRENCY,
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      logger: logger.child({ queue: QUEUES.webhookDelivery }),
    }),
    {
      connection,
      prefix,
      concurrency: env.WEBHOOK_CONCURRENCY,
      settings: {
        backoffStrategy: createBackoffStrategy({
          scheduleMs: env.WEBHOOK_RETRY_SCHEDULE_MS,
          jitter: env.WEBHOOK_RETRY_JITTER,
          retryAfterMaxMs: env.WEBHOOK_RETRY_AFTER_MAX_MS,
        }),
      },
    },
  );

  deliveries.on('error', (error: Error) => logger.warn({ err: error.message }, 'redis (webhook-delivery queue) error'));
  inbound.on('error', (error) => logger.error({ err: error.message }, 'webhook inbound worker error'));
  delivery.on('error', (error) => logger.error({ err: error.message }, 'webhook delivery worker error'));
  inbound.on('failed', (job, error) => logger.error({ inboundJobId: job?.id, err: error.message }, 'inbound webhook processing failed'));
  delivery.on('failed', (job, error) => {
    if (job && isDeadLettered(job, error)) logger.warn({ deliveryId: job.id, stackId: job.data?.stackId ?? null, reason: error.message }, 'webhook delivery dead-lettered');
  });

  warnAboutStacks(stacks, logger);
  await Promise.all([inbound.waitUntilReady(), delivery.waitUntilReady()]);
  logger.info(
    { concurrency: env.WEBHOOK_CONCURRENCY, attempts: deliveryAttempts, allowPrivateUrls: env.WEBHOOK_ALLOW_PRIVATE_URLS },
    'webhook workers ready',
  );

  return {
    workers: [inbound, delivery],
    async close() {
      // Inbound first: nothing new is queued while deliveries finish.
      await inbound.close();
      await delivery.close();
      await deliveries.close();
      await client.close();
    },
  };
}
