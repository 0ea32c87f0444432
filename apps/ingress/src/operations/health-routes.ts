import { Router } from 'express';
import type { Redis } from 'ioredis';
import { metaError } from '@gw/contracts';
import { sendGatewayError } from '../http-errors.ts';
import type { WorkerPresence } from './worker-presence.ts';

const CHECK_TIMEOUT_MS = 2000;

function withDeadline<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * `/healthz`: the process is alive (never touches Redis, so a Redis outage does
 * not get the process restarted). `/readyz`: Redis answers and a worker checked
 * in recently, so a send taken now can be processed.
 */
export function healthRoutes({ redis, presence }: { redis: Redis; presence: WorkerPresence }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    let redisCheck = 'ok';
    let workers = 0;
    try {
      await withDeadline(redis.ping());
      workers = await withDeadline(presence.recentWorkers());
    } catch (error) {
      redisCheck = `unreachable (${(error as Error).message})`;
    }
    const workerCheck = workers > 0 ? 'ok' : redisCheck === 'ok' ? `no worker checked in within ${presence.maxAgeMs} ms` : 'unknown';
    const checks = { redis: redisCheck, workers: workerCheck };
    if (redisCheck === 'ok' && workers > 0) {
      res.set('cache-control', 'no-store').json({ status: 'ready', checks, workers });
      return;
    }
    const failing = Object.entries(checks).filter(([, v]) => v !== 'ok');
    sendGatewayError(
      res,
      metaError(503, 2, 'Service temporarily unavailable', `Not ready: ${failing.map(([k, v]) => `${k}: ${v}`).join('; ')}.`, {
        isTransient: true,
        data: { checks },
      }),
    );
  });
  return router;
}
