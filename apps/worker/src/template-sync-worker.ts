import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { StackDirectory } from '@gw/config';
import type { CategoryCache, TemplateOwners } from '@gw/category-cache';
import { QUEUES } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import type { MetaClient } from '@gw/meta-client';
import type { WorkerEnv } from './config.ts';
import { logWorkerEvents } from './queue-worker.ts';
import { createTemplateSyncProcessor } from './template-sync-processor.ts';
import { TemplateSyncService } from './template-sync-service.ts';

export interface TemplateSyncWorkerOptions {
  env: Pick<WorkerEnv, 'REDIS_KEY_PREFIX' | 'TEMPLATE_SYNC_PAGE_SIZE'>;
  connection: ConnectionOptions;
  stacks: StackDirectory;
  meta: MetaClient;
  categories: CategoryCache;
  templateOwners?: TemplateOwners;
  logger: Logger;
}

export interface TemplateSyncWorker {
  worker: Worker;
  /** The queue the per-stack job schedulers live on. */
  queue: Queue;
}

/** The template-sync queue's worker (warm-ups and periodic syncs) and the queue its schedules are kept on. */
export function startTemplateSyncWorker(options: TemplateSyncWorkerOptions): TemplateSyncWorker {
  const { env, connection, logger } = options;
  const service = new TemplateSyncService({
    meta: options.meta,
    categories: options.categories,
    owners: options.templateOwners,
    pageSize: env.TEMPLATE_SYNC_PAGE_SIZE,
  });
  const worker = new Worker(QUEUES.templateSync, createTemplateSyncProcessor({ service, stacks: options.stacks, logger }), {
    connection,
    prefix: env.REDIS_KEY_PREFIX,
    concurrency: 2,
  });
  logWorkerEvents(worker, logger);
  const queue = new Queue(QUEUES.templateSync, { connection, prefix: env.REDIS_KEY_PREFIX });
  queue.on('error', (error) => logger.error({ queue: queue.name, err: error.message }, 'queue error'));
  return { worker, queue };
}
