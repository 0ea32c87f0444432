import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Queue } from 'bullmq';
import type { Express } from 'express';
import { checkRedisForQueues, redisConnections, ReplicaAck } from '@gw/config';
import { createAuditStore, type AuditStore } from '@gw/audit';
import { QUEUES, redisKeys, type LocalCarriers, type LocalReplies } from '@gw/contracts';
import { createLogger, type Logger } from '@gw/logger';
import { CategoryCache, TemplateOwners } from '@gw/category-cache';
import { createGatewayMetrics } from '@gw/metrics';
import { openStacks } from '@gw/stack-store';
import type { IngressEnv } from './config.ts';
import { createIngressApp } from './app.ts';
import type { ReplyWaiter } from './reply-waiter.ts';
import { startSendPath } from './send-path.ts';
import { createWebhookIngress } from './webhooks/webhook-ingress.ts';
import { createIngressOperations } from './operations/ingress-operations.ts';
import { createAdmin } from './admin/admin-routes.ts';
import { countSendResults } from './operations/metrics-routes.ts';
import { StackLimits } from './stack-limits.ts';
import { authThrottle } from './auth-throttle.ts';
import { GraphUpstream } from './graph/graph-upstream.ts';
import { MediaGarbage, youngGenerationGc } from './graph/media/media-garbage.ts';
import { MediaOwnership } from './graph/media/media-ownership.ts';
import { mediaRoutes } from './graph/media/media-routes.ts';
import { graphRoutes } from './graph/graph-routes.ts';

export interface RunningIngress {
  /** The port it listens on (PORT=0 picks a free one). */
  port: number;
  /** The operations port (/metrics, /healthz; INGRESS_METRICS_PORT=0 picks a free one). */
  operationsPort: number;
  /** The Express app and Bull Board's sub-app, for tests that read the route table. */
  app: Express;
  board: Express;
  /** Its reply channel, for a worker in the same process (apps/gateway) to answer without Redis. */
  replies: LocalReplies;
}

export interface Ingress {
  /** Connects to Redis, loads the stacks and listens on HOST:PORT. */
  start(): Promise<RunningIngress>;
  /** Stops taking requests, answers the ones in flight, then closes every connection. */
  close(signal?: string): Promise<void>;
}

/**
 * The ingress composed from its parts: the one place that builds connections,
 * queues and routers. `main.ts` parses the environment and calls this; tests
 * that need the ingress in-process call it too.
 */
/** Pending connections the kernel queues for accept() (capped by net.core.somaxconn). */
const LISTEN_BACKLOG = 4096;

export interface IngressOptions {
  /** The send carriers of a worker in this process (apps/gateway): batches for them are handed over in memory. */
  localCarriers?: LocalCarriers;
}

export function createIngress(env: IngressEnv, logger: Logger = createLogger({ name: 'ingress', level: env.LOG_LEVEL }), options: IngressOptions = {}): Ingress {
  // What close() stops, in its order; filled as start() builds it (a failed start closes what exists).
  let server: Server | undefined;
  let replies: ReplyWaiter | undefined;
  let queues: Queue[] = [];
  let webhooks: { close(): Promise<void> } | undefined;
  let carriers: { close(): void } | undefined;
  let idempotency: { close(): Promise<void> } | undefined;
  let operations: { close(): Promise<void> } | undefined;
  let admin: { close(): Promise<void> } | undefined;
  let audit: AuditStore | undefined;
  let stackSource: { close(): Promise<void> } | undefined;
  let graphUpstream: GraphUpstream | undefined;
  let connections: Array<{ quit(): Promise<unknown> }> = [];

  async function start(): Promise<RunningIngress> {
    const keys = redisKeys(env.REDIS_KEY_PREFIX);
    // One Redis at REDIS_URL, a Redis Cluster (REDIS_CLUSTER_NODES) or a primary found through Sentinels (REDIS_SENTINELS).
    const redis = redisConnections(env);
    // Queued sends and webhooks live in Redis: refuse one that evicts keys, warn when it keeps nothing on disk.
    await checkRedisForQueues(redis, (message) => logger.warn(message));
    // STACKS_FILE alone, or the Redis stack store (admin API) when STACKS_ENCRYPTION_KEY is set.
    const opened = await openStacks({ env, keys, redis, logger });
    stackSource = opened;
    const stacks = opened.directory;
    const metrics = createGatewayMetrics('ingress');
    const ingressId = randomUUID();

    // Connections by role. Commands fail fast (no offline queue) so a Redis outage
    // answers 503 at once instead of holding client connections.
    const failFastOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 1 };
    const failFast = redis.bullmq(failFastOptions);
    const commands = redis.client(failFastOptions);
    const subscriber = redis.client({ maxRetriesPerRequest: null });
    connections = [commands, subscriber];
    const queue = new Queue(QUEUES.send, { connection: failFast, prefix: env.REDIS_KEY_PREFIX });
    for (const [name, emitter] of [
      ['commands', commands],
      ['subscriber', subscriber],
      ['queue', queue],
    ] as const) {
      emitter.on('error', (error: Error) => logger.warn({ err: error.message }, `redis (${name}) error`));
    }
    const templateSyncQueue = new Queue(QUEUES.templateSync, { connection: failFast, prefix: env.REDIS_KEY_PREFIX });
    templateSyncQueue.on('error', (error: Error) => logger.warn({ err: error.message }, 'redis (template sync queue) error'));
    queues = [queue, templateSyncQueue];
    await queue.waitUntilReady();

    const sendPath = await startSendPath({
      env,
      queue,
      commands,
      subscriber,
      keys,
      ingressId,
      onBatch: (sends) => metrics.sendBatchSize.observe(sends),
      onResult: countSendResults(metrics),
      localCarriers: options.localCarriers,
      logger,
    });
    replies = sendPath.replies;
    carriers = sendPath.carriers;
    idempotency = sendPath.idempotency;
    const dispatcher = sendPath.dispatcher;
    await templateSyncQueue.waitUntilReady();
    // No in-process copy here: operators must see and evict what Redis holds.
    const categories = new CategoryCache({ redis: commands, keys, ttlSeconds: env.CATEGORY_TTL_SECONDS, localTtlMs: 0 });
    const webhookIngress = await createWebhookIngress({
      connection: failFast,
      prefix: env.REDIS_KEY_PREFIX,
      logger,
      appSecret: env.META_APP_SECRET,
      verifyToken: env.META_VERIFY_TOKEN,
      enqueueTimeoutMs: env.ENQUEUE_TIMEOUT_MS,
      replicaAck: redis.isSentinel ? new ReplicaAck() : undefined,
    });
    webhooks = webhookIngress;
    const ingressOperations = createIngressOperations({ env, redis, commands, keys, metrics, stacks: opened, logger });
    operations = ingressOperations;
    // Redis by default; the PostgreSQL sink when AUDIT_DATABASE_URL is set (createAuditStore decides).
    // The audit routes and the routing dashboard read the same store, so their figures agree.
    const auditStore = createAuditStore(env, commands, keys, logger);
    audit = auditStore;
    const adminApi = await createAdmin({
      env,
      connection: failFast,
      redis: commands,
      keys,
      stacks: opened,
      queues: ingressOperations.queues,
      logger,
      audit: auditStore,
      categories,
    });
    admin = adminApi;
    // Graph calls that are not sends (templates, profile, nodes, media) go straight to Meta with the stack's token, no queue,
    // no worker: one client, one connection pool to Meta for all of them.
    graphUpstream = new GraphUpstream({
      baseUrl: env.META_GRAPH_URL,
      version: env.META_GRAPH_VERSION,
      timeoutMs: env.GRAPH_PASSTHROUGH_TIMEOUT_MS,
      idleTimeoutMs: env.MEDIA_IDLE_TIMEOUT_MS,
      onCall: (call) => metrics.metaRequestDuration.observe({ endpoint: call.endpoint, outcome: call.outcome }, call.ms / 1000),
    });
    const graph = { router: graphRoutes({ stacks, upstream: graphUpstream, categories, owners: new TemplateOwners({ redis: commands, keys }), logger }) };
    // Failed authentication is counted per client across every route of this process.
    authThrottle.configure({ limit: env.AUTH_FAILURE_LIMIT, windowMs: env.AUTH_FAILURE_WINDOW_SECONDS * 1000 });
    const garbage = new MediaGarbage(env.MEDIA_GC_EVERY_MB > 0 ? youngGenerationGc() : () => undefined, env.MEDIA_GC_EVERY_MB * 1024 * 1024);
    const media = mediaRoutes({ stacks, ownership: new MediaOwnership(commands, keys), upstream: graphUpstream, garbage, logger });
    const { app, listener, serverOptions } = createIngressApp({
      stacks,
      dispatcher,
      logger,
      bodyLimit: env.BODY_LIMIT,
      trustProxy: env.TRUST_PROXY,
      limits: new StackLimits({ ratePerSecond: env.STACK_RATE_LIMIT_PER_SECOND, maxInFlight: env.STACK_MAX_IN_FLIGHT }),
      maxQueuedWarmups: env.WARMUP_MAX_QUEUED_PER_STACK,
      categories,
      templateSyncQueue,
      webhooks: webhookIngress,
      operations: ingressOperations,
      admin: adminApi,
      media,
      graph,
      audit: auditStore,
    });
    // The metrics' `route` label: only what this app registers (Bull Board by its mount).
    ingressOperations.knowRoutes(app, [adminApi.board]);
    const operationsPort = await ingressOperations.listen();

    const listening: Server = await new Promise((resolve, reject) => {
      // A campaign's senders connect by the thousand at once: Node's default backlog of 511 would drop some.
      // A taken PORT must fail the start, not announce a port someone else answers on.
      const s = createServer(serverOptions, listener);
      const failed = (error: NodeJS.ErrnoException) =>
        reject(error.code === 'EADDRINUSE' ? new Error(`PORT ${env.PORT} on ${env.HOST} is already in use. Give the ingress a free port, or 0 for any free one.`) : error);
      s.once('error', failed);
      s.listen(env.PORT, env.HOST, LISTEN_BACKLOG, () => {
        s.off('error', failed);
        resolve(s);
      });
    });
    server = listening;
    listening.keepAliveTimeout = 65_000;
    const address = listening.address();
    const port = typeof address === 'object' && address ? address.port : env.PORT;
    logger.info({ port, operationsPort, ingressId, stacks: stacks.all().length }, 'ingress listening');
    const waiter = sendPath.replies;
    return { port, operationsPort, app, board: adminApi.board, replies: { channel: () => waiter.channel, deliver: (list) => waiter.deliver(list) } };
  }

  async function close(signal?: string): Promise<void> {
    logger.info({ signal, inFlight: replies?.size ?? 0 }, 'ingress shutting down: no new requests, answering in-flight ones');
    if (server) {
      server.close();
      server.closeIdleConnections();
    }
    while (replies && replies.size > 0) await new Promise((r) => setTimeout(r, 50));
    carriers?.close();
    await idempotency?.close();
    await Promise.all(queues.map((q) => q.close()));
    await webhooks?.close();
    await admin?.close();
    await audit?.close();
    await operations?.close();
    await stackSource?.close();
    await graphUpstream?.close();
    await Promise.allSettled(connections.map((c) => c.quit()));
  }

  return { start, close };
}
