import { createServer, type Server } from 'node:http';
import express, { Router, type Express } from 'express';
import type { Redis } from 'ioredis';
import { closeRedis, type RedisConnections } from '@gw/config';
import { gatewayErrors, type RedisKeys } from '@gw/contracts';
import { sendGatewayError } from '../http-errors.ts';
import type { Logger } from '@gw/logger';
import { startQueueMetrics, type GatewayMetrics } from '@gw/metrics';
import type { Stacks } from '@gw/stack-store';
import { openApiRoutes } from '../openapi/openapi-routes.ts';
import { registeredMounts, registeredRoutes } from '../openapi/route-table.ts';
import { adminLoginRoutes, requireAdminOrSession } from './admin-login-routes.ts';
import { redisSessionStore } from './admin-session.ts';
import { BULL_BOARD_PATH, bullBoardRouter } from './bull-board.ts';
import type { IngressOperationsEnv } from './config.ts';
import { healthRoutes } from './health-routes.ts';
import { httpMetrics, metricsRoutes, RouteLabels } from './metrics-routes.ts';
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
  router.use(metricsRoutes({ metrics, token: env.METRICS_TOKEN, publicPort: true }));
  router.use(healthRoutes({ redis: options.commands, presence: new WorkerPresence(options.commands, options.keys.workerHeartbeats(), env.READYZ_WORKER_MAX_AGE_MS) }));
  router.use(openApiRoutes());
  const sessions = redisSessionStore(options.commands, options.keys.adminSession);
  router.use(adminLoginRoutes({ adminToken: env.ADMIN_TOKEN, sessionTtlSeconds: env.ADMIN_SESSION_TTL_SECONDS, sessions }));
  router.use(BULL_BOARD_PATH, requireAdminOrSession(env.ADMIN_TOKEN, sessions), board);
  router.use(stackAdminRoutes({ store: options.stacks.store, adminToken: env.ADMIN_TOKEN, defaultGraceSeconds: env.STACKS_KEY_GRACE_SECONDS, logger }));
  if (!options.stacks.store) logger.info('STACKS_ENCRYPTION_KEY is unset: stacks come from STACKS_FILE and the stacks admin API answers 503');

  const labels = new RouteLabels();
  const opsServer = await startOperationsServer(env, metrics);
  const opsAddress = opsServer.address();

  return {
    /** Times every request: mount it before every router. */
    timing: httpMetrics(metrics, labels),
    /** Fixes the set of `route` labels to what `app` registers; call once the app is built. */
    knowRoutes(app: unknown) {
      labels.know(
        registeredRoutes(app, [board]).map((route) => route.path.replace(/\{(\w+)\}/g, ':$1')),
        registeredMounts(app),
      );
    },
    /** The operations port's number (INGRESS_METRICS_PORT, or the free port it got). */
    operationsPort: typeof opsAddress === 'object' && opsAddress ? opsAddress.port : env.INGRESS_METRICS_PORT,
    router,
    /** Bull Board's sub-app: the route table treats it as one documented entry. */
    board,
    async close() {
      await new Promise<void>((resolve) => opsServer.close(() => resolve()));
      await closeQueues();
      await closeRedis(connection);
    },
  };
}

/** The operations port: `/metrics` (behind METRICS_TOKEN when set) and `/healthz`, nothing else. */
async function startOperationsServer(env: IngressOperationsOptions['env'], metrics: GatewayMetrics): Promise<Server> {
  const app = express();
  app.disable('x-powered-by');
  app.use(metricsRoutes({ metrics, token: env.METRICS_TOKEN, publicPort: false }));
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.use((req, res) => sendGatewayError(res, gatewayErrors.notFound(`${req.method} ${req.path}`)));
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`INGRESS_METRICS_PORT ${env.INGRESS_METRICS_PORT} is already in use (another ingress on this host?). Give each ingress its own port, or 0 for a free one.`)
          : error,
      ),
    );
    server.listen(env.INGRESS_METRICS_PORT, env.INGRESS_METRICS_HOST, () => resolve());
  });
  return server;
}
