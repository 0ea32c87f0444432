import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { Queue } from 'bullmq';
import { ConfigError, parseEnv, redisConnections } from '@gw/config';
import { QUEUES, redisKeys } from '@gw/contracts';
import { createLogger } from '@gw/logger';
import { announceReady, onShutdown, runMain } from '@gw/process-tools';
import { ingressEnvSchema } from './config.ts';
import { CategoryCache } from '@gw/category-cache';
import { createIngressApp } from './app.ts';
import { ReplyWaiter } from './reply-waiter.ts';
import { SendDispatcher } from './send-dispatcher.ts';
import { SendBatcher } from './send-batcher.ts';
import { StackLimits } from './stack-limits.ts';
import { authThrottle } from './auth-throttle.ts';
import { IdempotencyStore } from './idempotency-store.ts';
import { createWebhookIngress } from './webhooks/webhook-ingress.ts';
import { createGatewayMetrics } from '@gw/metrics';
import { openStacks } from '@gw/stack-store';
import { createIngressOperations } from './operations/ingress-operations.ts';
import { countSendResults } from './operations/metrics-routes.ts';

async function main() {
  const env = parseEnv(ingressEnvSchema, process.env);
  const logger = createLogger({ name: 'ingress', level: env.LOG_LEVEL });
  const keys = redisKeys(env.REDIS_KEY_PREFIX);
  // One Redis at REDIS_URL, or a Redis Cluster when REDIS_CLUSTER_NODES is set.
  const redis = redisConnections(env);
  // STACKS_FILE alone, or the Redis stack store (admin API) when STACKS_ENCRYPTION_KEY is set.
  const stackSource = await openStacks({ env, keys, redis, logger });
  const stacks = stackSource.directory;
  const metrics = createGatewayMetrics('ingress');
  const ingressId = randomUUID();

  // Connections by role. Commands fail fast (no offline queue) so a Redis outage
  // answers 503 at once instead of holding client connections.
  const failFastOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 1 };
  const failFast = redis.bullmq(failFastOptions);
  const commands = redis.client(failFastOptions);
  const subscriber = redis.client({ maxRetriesPerRequest: null });
  const queue = new Queue(QUEUES.send, { connection: failFast, prefix: env.REDIS_KEY_PREFIX });
  for (const [name, emitter] of [['commands', commands], ['subscriber', subscriber], ['queue', queue]] as const) {
    emitter.on('error', (error: Error) => logger.warn({ err: error.message }, `redis (${name}) error`));
  }
  await queue.waitUntilReady();

  const replies = new ReplyWaiter(subscriber, keys.replyChannel(ingressId));
  await replies.start();
  const dispatcher = new SendDispatcher({
    queue,
    batcher: new SendBatcher({ queue, replyTo: replies.channel, maxItems: env.SEND_BATCH_MAX_ITEMS, enqueueTimeoutMs: env.ENQUEUE_TIMEOUT_MS, sendTimeoutMs: env.SEND_TIMEOUT_MS, onBatch: (sends) => metrics.sendBatchSize.observe(sends) }),
    replies,
    idempotency: new IdempotencyStore(commands, keys, env.IDEMPOTENCY_TTL_SECONDS),
    sendTimeoutMs: env.SEND_TIMEOUT_MS,
    enqueueTimeoutMs: env.ENQUEUE_TIMEOUT_MS,
    onResult: countSendResults(metrics),
  });
  const templateSyncQueue = new Queue(QUEUES.templateSync, { connection: failFast, prefix: env.REDIS_KEY_PREFIX });
  templateSyncQueue.on('error', (error: Error) => logger.warn({ err: error.message }, 'redis (template sync queue) error'));
  await templateSyncQueue.waitUntilReady();
  // No in-process copy here: operators must see and evict what Redis holds.
  const categories = new CategoryCache({ redis: commands, keys, ttlSeconds: env.CATEGORY_TTL_SECONDS, localTtlMs: 0 });
  const webhooks = await createWebhookIngress({
    connection: failFast,
    prefix: env.REDIS_KEY_PREFIX,
    redis: commands,
    keys,
    stacks,
    logger,
    appSecret: env.META_APP_SECRET,
    verifyToken: env.META_VERIFY_TOKEN,
    adminToken: env.ADMIN_TOKEN,
    enqueueTimeoutMs: env.ENQUEUE_TIMEOUT_MS,
  });
  const operations = await createIngressOperations({ env, redis, commands, keys, metrics, stacks: stackSource, logger });
  authThrottle.configure({ limit: env.AUTH_FAILURE_LIMIT, windowMs: env.AUTH_FAILURE_WINDOW_SECONDS * 1000 });
  const app = createIngressApp({
    trustProxy: env.TRUST_PROXY,
    stacks,
    dispatcher,
    logger,
    bodyLimit: env.BODY_LIMIT,
    limits: new StackLimits({ ratePerSecond: env.STACK_RATE_LIMIT_PER_SECOND, maxInFlight: env.STACK_MAX_IN_FLIGHT }),
    maxQueuedWarmups: env.WARMUP_MAX_QUEUED_PER_STACK,
    categories,
    templateSyncQueue,
    webhooks,
    operations,
  });

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(env.PORT, env.HOST, () => resolve(s));
  });
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  logger.info({ port, operationsPort: operations.operationsPort, ingressId, stacks: stacks.all().length }, 'ingress listening');
  announceReady({ port, operationsPort: operations.operationsPort });

  onShutdown(logger, env.SHUTDOWN_TIMEOUT_MS, async (signal) => {
    logger.info({ signal, inFlight: replies.size }, 'ingress shutting down: no new requests, answering in-flight ones');
    server.close();
    server.closeIdleConnections();
    while (replies.size > 0) await new Promise((r) => setTimeout(r, 50));
    await Promise.all([queue.close(), templateSyncQueue.close()]);
    await webhooks.close();
    await operations.close();
    await stackSource.close();
    await Promise.allSettled([commands.quit(), subscriber.quit()]);
  });
}

runMain('ingress', main, (error) => error instanceof ConfigError);
