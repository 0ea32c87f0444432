import { Worker, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { StackDirectory } from '@gw/config';
import { isDeadLettered, QUEUES, type RedisKeys, type WebhookDeliveryJob } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import type { WebhookWorkerEnv } from './config.ts';
import { createDeliveryClient } from './delivery-client.ts';
import { createWebhookDeliveryProcessor } from './delivery-processor.ts';
import { refusedDestination } from './destination-guard.ts';
import { EndpointGoneMarks } from './endpoint-gone.ts';
import { createBackoffStrategy } from './retry-schedule.ts';
import { StackSlots } from './stack-slots.ts';

export interface DeliveryWorkerOptions {
  env: WebhookWorkerEnv;
  connection: ConnectionOptions;
  prefix: string;
  stacks: StackDirectory;
  commands: Redis;
  keys: RedisKeys;
  logger: Logger;
}

/** The webhook-delivery queue's worker: signed forwards to stacks, retried on the schedule, parked when they run out. */
export function startDeliveryWorker(options: DeliveryWorkerOptions) {
  const { env, connection, prefix, logger } = options;
  const client = createDeliveryClient({ timeoutMs: env.WEBHOOK_TIMEOUT_MS, allowPrivate: env.WEBHOOK_ALLOW_PRIVATE_URLS });
  const worker = new Worker(
    QUEUES.webhookDelivery,
    createWebhookDeliveryProcessor({
      stacks: options.stacks,
      client,
      gone: new EndpointGoneMarks(options.commands, options.keys),
      refusedDestination: env.WEBHOOK_ALLOW_PRIVATE_URLS ? () => Promise.resolve(undefined) : refusedDestination,
      slots: new StackSlots(options.commands, options.keys, env.WEBHOOK_STACK_CONCURRENCY, env.WEBHOOK_TIMEOUT_MS),
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
  worker.on('error', (error) => logger.error({ err: error.message }, 'webhook delivery worker error'));
  worker.on('failed', (job, error) => {
    if (job && isDeadLettered(job, error))
      logger.warn({ deliveryId: job.id, stackId: (job.data as Partial<WebhookDeliveryJob> | undefined)?.stackId ?? null, reason: error.message }, 'webhook delivery dead-lettered');
  });
  return {
    worker,
    async close() {
      await worker.close();
      await client.close();
    },
  };
}
