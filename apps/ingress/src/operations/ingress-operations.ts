import { createServer, type Server } from 'node:http';
import express, { Router } from 'express';
import type { Redis } from 'ioredis';
import { closeRedis, type RedisConnections } from '@gw/config';
import { gatewayErrors, type RedisKeys } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import { startQueueMetrics, type GatewayMetrics } from '@gw/metrics';
import type { Stacks } from '@gw/stack-store';
import { sendGatewayError } from '../http-errors.ts';
import { openApiRoutes } from '../openapi/openapi-routes.ts';
import { registeredMounts, registeredRoutes } from '../openapi/route-table.ts';
import type { IngressOperationsEnv } from './config.ts';
import { healthRoutes } from './health-routes.ts';
import { httpMetrics, metricsRoutes, RouteLabels } from './metrics-routes.ts';
import { WorkerPresence } from './worker-presence.ts';

export interface IngressOperationsOptions {
  env: Pick<IngressOperationsEnv, 'READYZ_WORKER_MAX_AGE_MS' | 'INGRESS_METRICS_PORT' | 'INGRESS_METRICS_HOST'> & {
    METRICS_TOKEN?: string;
    QUEUE_METRICS_INTERVAL_MS: number;
    REDIS_KEY_PREFIX: string;
  };
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
  router.use(metricsRoutes({ metrics, token: env.METRICS_TOKEN, publicPort: true }));
  router.use(healthRoutes({ redis: options.commands, presence: new WorkerPresence(options.commands, options.keys.workerHeartbeats(), env.READYZ_WORKER_MAX_AGE_MS) }));
  router.use(openApiRoutes());

  const labels = new RouteLabels();
  let opsServer: Server | undefined;

  return {
    /** Times every request: mount it before every router. */
    timing: httpMetrics(metrics, labels),
    /** Fixes the set of `route` labels to what `app` registers (`opaque`: sub-apps labelled by their mount); call once the app is built. */
    knowRoutes(app: unknown, opaque: unknown[] = []) {
      labels.know(
        registeredRoutes(app, opaque).map((route) => route.path.replace(/\{(\w+)\}/g, ':$1')),
        registeredMounts(app),
      );
    },
    /** Listens on the operations port (INGRESS_METRICS_PORT: /metrics and /healthz); resolves to its port. */
    async listen(): Promise<number> {
      opsServer = await startOperationsServer(env, metrics);
      const address = opsServer.address();
      return typeof address === 'object' && address ? address.port : env.INGRESS_METRICS_PORT;
    },
    router,
    /** Every queue (for Bull Board), on the operations connection. */
    queues: queueMetrics.queues,
    async close() {
      const server = opsServer;
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
      await queueMetrics.close();
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
