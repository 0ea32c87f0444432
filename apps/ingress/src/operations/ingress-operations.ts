import { Router } from 'express';
import type { Redis } from 'ioredis';
import { closeRedis, type RedisConnections } from '@gw/config';
import type { RedisKeys } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import { startQueueMetrics, type GatewayMetrics } from '@gw/metrics';
import type { Stacks } from '@gw/stack-store';
import { openApiRoutes } from '../openapi/openapi-routes.ts';
import type { IngressOperationsEnv } from './config.ts';
import { healthRoutes } from './health-routes.ts';
import { httpMetrics, metricsRoutes } from './metrics-routes.ts';
import { WorkerPresence } from './worker-presence.ts';

export interface IngressOperationsOptions {
  env: Pick<IngressOperationsEnv, 'READYZ_WORKER_MAX_AGE_MS'> & { METRICS_TOKEN?: string; QUEUE_METRICS_INTERVAL_MS: number; REDIS_KEY_PREFIX: string };
  redis: Pick<RedisConnections, 'client'>;
  /** The ingress's fail-fast command connection: readiness must not wait on an offline queue. */
  commands: Redis;
  keys: RedisKeys;
  metrics: GatewayMetrics;
  stacks: Stacks;
  logger: Logger;
}

/**
 * What operators use on the ingress besides the admin API (admin/): /metrics,
 * /healthz, /readyz and /openapi.json; `timing`, the request-duration middleware
 * every request passes first; and the queue handles Bull Board shows.
 */
export function createIngressOperations(options: IngressOperationsOptions) {
  const { env, metrics, logger } = options;
  const connection = options.redis.client({ maxRetriesPerRequest: 1, commandTimeout: 2000 });
  connection.on('error', (error: Error) => logger.warn({ err: error.message }, 'redis (operations) error'));
  const queueMetrics = startQueueMetrics({ connection, prefix: env.REDIS_KEY_PREFIX, metrics, intervalMs: env.QUEUE_METRICS_INTERVAL_MS, logger });
  const directory = options.stacks.directory;
  metrics.stacks.set(directory.all().length);
  options.stacks.onChange(() => metrics.stacks.set(directory.all().length));

  const router = Router();
  router.use(metricsRoutes({ metrics, token: env.METRICS_TOKEN }));
  router.use(healthRoutes({ redis: options.commands, presence: new WorkerPresence(options.commands, options.keys.workerHeartbeats(), env.READYZ_WORKER_MAX_AGE_MS) }));
  router.use(openApiRoutes());

  return {
    /** Times every request: mount it before every router. */
    timing: httpMetrics(metrics),
    router,
    /** Every queue (for Bull Board), on the operations connection. */
    queues: queueMetrics.queues,
    async close() {
      await queueMetrics.close();
      await closeRedis(connection);
    },
  };
}
