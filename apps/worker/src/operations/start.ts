import type { Server } from 'node:http';
import type { Queue, Worker } from 'bullmq';
import { closeRedis, type RedisConnections } from '@gw/config';
import type { RedisKeys } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import { startQueueMetrics, type GatewayMetrics } from '@gw/metrics';
import type { Stacks } from '@gw/stack-store';
import type { WorkerOperationsEnv } from './config.ts';
import { WorkerHeartbeat } from './heartbeat.ts';
import { startOpsServer } from './ops-server.ts';
import { followStackSchedules } from './sync-schedules.ts';
import { observeQueueWait, observeWebhookDeliveries } from './worker-observers.ts';

export interface WorkerOperationsOptions {
  env: WorkerOperationsEnv & { METRICS_TOKEN?: string; QUEUE_METRICS_INTERVAL_MS: number; REDIS_KEY_PREFIX: string; TEMPLATE_SYNC_INTERVAL_MS: number };
  redis: RedisConnections;
  keys: RedisKeys;
  metrics: GatewayMetrics;
  /** Every BullMQ worker of this process. */
  workers: Worker[];
  stacks: Stacks;
  templateSyncQueue: Queue;
  logger: Logger;
}

/**
 * Metrics, health and the heartbeat of a worker process: its HTTP server on
 * WORKER_METRICS_PORT, the check-in the ingress's /readyz looks for, queue
 * depth sampling and template-sync schedules that follow stack changes.
 */
export async function startWorkerOperations(options: WorkerOperationsOptions) {
  const { env, metrics, logger } = options;
  // One connection for everything here; queues share it (BullMQ does not close a shared client).
  const connection = options.redis.client({ maxRetriesPerRequest: 1, commandTimeout: 2000 });
  connection.on('error', (error: Error) => logger.warn({ err: error.message }, 'redis (operations) error'));

  for (const worker of options.workers) {
    observeQueueWait(worker, metrics);
    observeWebhookDeliveries(worker, metrics);
  }
  const directory = options.stacks.directory;
  metrics.stacks.set(directory.all().length);
  const reschedule = followStackSchedules({ stacks: directory, queue: options.templateSyncQueue, everyMs: env.TEMPLATE_SYNC_INTERVAL_MS, logger });
  options.stacks.onChange(() => {
    metrics.stacks.set(directory.all().length);
    void reschedule();
  });

  const queueMetrics = startQueueMetrics({ connection, prefix: env.REDIS_KEY_PREFIX, metrics, intervalMs: env.QUEUE_METRICS_INTERVAL_MS, logger });
  const heartbeat = new WorkerHeartbeat({ redis: connection, key: options.keys.workerHeartbeats(), intervalMs: env.WORKER_HEARTBEAT_INTERVAL_MS, logger });
  const server: Server = await startOpsServer({
    port: env.WORKER_METRICS_PORT,
    host: env.WORKER_METRICS_HOST,
    metrics,
    metricsToken: env.METRICS_TOKEN,
    readiness: [
      { name: 'redis', check: async () => ((await connection.ping()) === 'PONG' ? undefined : 'unexpected PING answer') },
      { name: 'queues', check: () => Promise.resolve(options.workers.every((w) => w.isRunning()) ? undefined : 'a queue worker is not running') },
      {
        name: 'heartbeat',
        check: () => Promise.resolve(Date.now() - heartbeat.lastCheckIn < env.WORKER_HEARTBEAT_INTERVAL_MS * 3 ? undefined : 'no recent check-in reached Redis'),
      },
    ],
  });
  await heartbeat.start();
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : env.WORKER_METRICS_PORT;
  logger.info({ port, workerId: heartbeat.workerId }, 'worker operations server listening');

  return {
    port,
    /** First on shutdown: leave the heartbeat set so /readyz elsewhere stops counting this worker. */
    async close() {
      await heartbeat.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queueMetrics.close();
      await closeRedis(connection);
    },
  };
}
