import { Queue } from 'bullmq';
import { Router, type Express } from 'express';
import type { Redis } from 'ioredis';
import { closeRedis, type RedisConnections } from '@gw/config';
import { DEAD_LETTER_QUEUES, QUEUES, type RedisKeys } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import { startQueueCollector, type GatewayMetrics } from '@gw/metrics';
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
  // Every queue in QUEUES, read at start: a queue added there shows up in Bull Board and /metrics.
  const queues = Object.values(QUEUES).map((name) => new Queue(name, { connection, prefix: env.REDIS_KEY_PREFIX }));
  for (const queue of queues) queue.on('error', (error: Error) => logger.warn({ queue: queue.name, err: error.message }, 'redis (operations queue) error'));
  const collector = startQueueCollector({
    queues,
    deadLetterQueues: [...DEAD_LETTER_QUEUES],
    metrics,
    intervalMs: env.QUEUE_METRICS_INTERVAL_MS,
    onError: (error) => logger.warn({ err: error.message }, 'could not read queue depths'),
  });
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
      collector.stop();
      await Promise.allSettled(queues.map((q) => q.close()));
      await closeRedis(connection);
    },
  };
}
