import { Router, type Express } from 'express';
import type { Redis } from 'ioredis';
import { closeRedis, type RedisConnections } from '@gw/config';
import type { RedisKeys } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import { startQueueMetrics, type GatewayMetrics } from '@gw/metrics';
import type { Stacks } from '@gw/stack-store';
import { openApiRoutes } from '../openapi/openapi-routes.ts';
import { adminLoginRoutes, requireAdminOrSession } from './admin-login-routes.ts';
import { BULL_BOARD_PATH, bullBoardRouter } from './bull-board.ts';
import type { IngressOperationsEnv } from './config.ts';
import { healthRoutes } from './health-routes.ts';
import { httpMetrics, metricsRoutes } from './metrics-routes.ts';
import { stackAdminRoutes } from './stack-admin-routes.ts';
import { WorkerPresence } from './worker-presence.ts';

export interface IngressOperationsOptions {
  env: IngressOperationsEnv & { ADMIN_TOKEN?: string; METRICS_TOKEN?: string; QUEUE_METRICS_INTERVAL_MS: number; REDIS_KEY_PREFIX: string };
  redis: Pick<RedisConnections, 'client'>;
  /** The ingress's fail-fast command connection: readiness must not wait on an offline queue. */
  commands: Redis;
  keys: RedisKeys;
  metrics: GatewayMetrics;
  stacks: Stacks;
  logger: Logger;
}

/**
 * What operators use on the ingress: /metrics, /healthz, /readyz, Bull Board
 * behind ADMIN_TOKEN, the stacks admin API and /openapi.json; and `timing`,
 * the request-duration middleware every request passes first.
 */
export async function createIngressOperations(options: IngressOperationsOptions) {
  const { env, metrics, logger } = options;
  const connection = options.redis.client({ maxRetriesPerRequest: 1, commandTimeout: 2000 });
  connection.on('error', (error: Error) => logger.warn({ err: error.message }, 'redis (operations) error'));
  const { queues, close: closeQueues } = startQueueMetrics({ connection, prefix: env.REDIS_KEY_PREFIX, metrics, intervalMs: env.QUEUE_METRICS_INTERVAL_MS, logger });
  const directory = options.stacks.directory;
  metrics.stacks.set(directory.all().length);
  options.stacks.onChange(() => metrics.stacks.set(directory.all().length));

  const board: Express = bullBoardRouter(queues);
  const router = Router();
  router.use(metricsRoutes({ metrics, token: env.METRICS_TOKEN }));
  router.use(healthRoutes({ redis: options.commands, presence: new WorkerPresence(options.commands, options.keys.workerHeartbeats(), env.READYZ_WORKER_MAX_AGE_MS) }));
  router.use(openApiRoutes());
  router.use(adminLoginRoutes({ adminToken: env.ADMIN_TOKEN, sessionTtlSeconds: env.ADMIN_SESSION_TTL_SECONDS }));
  router.use(BULL_BOARD_PATH, requireAdminOrSession(env.ADMIN_TOKEN), board);
  router.use(stackAdminRoutes({ store: options.stacks.store, adminToken: env.ADMIN_TOKEN, defaultGraceSeconds: env.STACKS_KEY_GRACE_SECONDS, logger }));
  if (!options.stacks.store) logger.info('STACKS_ENCRYPTION_KEY is unset: stacks come from STACKS_FILE and the stacks admin API answers 503');

  return {
    /** Times every request: mount it before every router. */
    timing: httpMetrics(metrics),
    router,
    /** Bull Board's sub-app: the route table treats it as one documented entry. */
    board,
    async close() {
      await closeQueues();
      await closeRedis(connection);
    },
  };
}
