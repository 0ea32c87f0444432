import type { Worker } from 'bullmq';
import { createAuditStore, PostgresAuditStore, SendTally, startAuditRetention, type SendAuditEvent } from '@gw/audit';
import { checkRedisForQueues, redisConnections, ReplicaAck } from '@gw/config';
import { CategoryCache, TemplateOwners } from '@gw/category-cache';
import { redisKeys, type LocalCarriers, type LocalReplies } from '@gw/contracts';
import { createLogger, type Logger } from '@gw/logger';
import { createMetaClient } from '@gw/meta-client';
import { createGatewayMetrics } from '@gw/metrics';
import { KeyedCircuitBreaker } from '@gw/routing';
import { openStacks } from '@gw/stack-store';
import type { WorkerEnv } from './config.ts';
import { categoryLookupObserver } from './operations/category-observer.ts';
import { SendObserver } from './operations/send-observer.ts';
import { startWorkerOperations } from './operations/start.ts';
import { startSendWorker } from './send-worker.ts';
import { BreakerSync } from './breaker-sync.ts';
import { scheduleTemplateSyncs } from './template-sync-schedule.ts';
import { startTemplateSyncWorker } from './template-sync-worker.ts';
import { startWebhookWorkers } from './webhooks/webhook-workers.ts';

export interface GatewayWorker {
  /**
   * Connects, loads the stacks, starts every queue's worker and the operations server. Returns the
   * operations port and the send carriers running here, for an ingress in this process (apps/gateway).
   */
  start(): Promise<{ operationsPort: number; carriers: LocalCarriers }>;
  /** Finishes in-flight jobs and closes every connection. */
  close(signal?: string): Promise<void>;
}

/** How often a worker re-reads the shared open circuits, besides change notifications. */
const BREAKER_REFRESH_MS = 5000;

/**
 * The worker process composed from its parts: the one place that builds
 * connections and starts each queue's worker (send, template-sync, webhook
 * inbound and delivery, each from its own module). `main.ts` parses the
 * environment and calls this.
 */
export interface WorkerOptions {
  /** The ingress of this process when both run in one (apps/gateway): its replies skip Redis. */
  localReplies?: LocalReplies;
}

export function createWorker(env: WorkerEnv, logger: Logger = createLogger({ name: 'worker', level: env.LOG_LEVEL }), options: WorkerOptions = {}): GatewayWorker {
  const stops: Array<() => Promise<unknown>> = [];

  async function start() {
    const keys = redisKeys(env.REDIS_KEY_PREFIX);
    // One Redis at REDIS_URL, a Redis Cluster (REDIS_CLUSTER_NODES) or a primary found through Sentinels (REDIS_SENTINELS).
    const redis = redisConnections(env);
    // Queued sends and webhooks live in Redis: refuse one that evicts keys, warn when it keeps nothing on disk.
    await checkRedisForQueues(redis, (message) => logger.warn(message));
    // STACKS_FILE alone, or the Redis stack store (admin API) when STACKS_ENCRYPTION_KEY is set.
    const stackSource = await openStacks({ env, keys, redis, logger });
    const stacks = stackSource.directory;
    const metrics = createGatewayMetrics('worker');
    const observer = new SendObserver(metrics);

    // Connections by role: BullMQ owns its blocking connection; `commands` serves the
    // cache, the ledger and replies, and fails fast so an outage never stalls a send.
    const commands = redis.client({ maxRetriesPerRequest: 1, commandTimeout: 1000, lazyConnect: false });
    commands.on('error', (error) => logger.warn({ err: error.message }, 'redis (commands) error'));

    const meta = createMetaClient({
      baseUrl: env.META_GRAPH_URL,
      version: env.META_GRAPH_VERSION,
      timeoutMs: env.META_TIMEOUT_MS,
      // HTTP/1.1 carries one send per connection: fewer connections than sends would cap the sends.
      connections: env.META_CONNECTIONS || env.WORKER_SENDS_IN_FLIGHT,
      http2: env.META_HTTP2,
      onCall: observer.onMetaCall,
    });
    const categories = new CategoryCache({
      redis: commands,
      keys,
      ttlSeconds: env.CATEGORY_TTL_SECONDS,
      localTtlMs: env.CATEGORY_LOCAL_TTL_MS,
      onLookup: categoryLookupObserver(metrics),
    });

    // The MM circuit breaker, shared with every other worker through Redis.
    const breakerSync: BreakerSync = new BreakerSync({
      breaker: () => breaker,
      commands,
      subscriber: redis.client({ maxRetriesPerRequest: null }),
      keys,
      refreshMs: BREAKER_REFRESH_MS,
      logger,
    });
    const breaker = new KeyedCircuitBreaker({
      failureThreshold: env.MM_BREAKER_THRESHOLD,
      openMs: env.MM_BREAKER_OPEN_MS,
      onOpen: (waba, until) => breakerSync.opened(waba, until),
      onClose: (waba) => breakerSync.closed(waba),
    });
    await breakerSync.start();

    // The audit: send counters summed here and written every second; statuses and clicks recorded by the inbound webhook worker.
    const audit = createAuditStore(env, commands, keys, logger);
    const tally = new SendTally({
      redis: commands,
      keys,
      retentionSeconds: env.ANALYTICS_RETENTION_SECONDS,
      onError: (error) => logger.warn({ err: error }, 'could not write the route analytics counters'),
    });
    tally.start();
    // With the PostgreSQL sink the routes read PostgreSQL: each finished send is recorded there instead
    // (record() only appends to the sink's buffer: the send never waits for PostgreSQL).
    const sendAudit = audit instanceof PostgresAuditStore ? { count: (event: SendAuditEvent) => void audit.record([event]) } : tally;

    const connection = redis.bullmq({ maxRetriesPerRequest: null });
    const send = startSendWorker({
      env,
      connection,
      stacks,
      meta,
      commands,
      keys,
      categories,
      breaker,
      observer,
      tally: sendAudit,
      localReplies: options.localReplies,
      logger,
      replicaAck: redis.isSentinel ? new ReplicaAck() : undefined,
    });
    // Template ids the sync reads, so the ingress's Graph pass-through knows which WABA each belongs to.
    const templateOwners = new TemplateOwners({ redis: commands, keys });
    const templateSync = startTemplateSyncWorker({ env, connection, stacks, meta, categories, templateOwners, logger });
    const workers: Worker[] = [send.worker, templateSync.worker];
    await Promise.all(workers.map((w) => w.waitUntilReady()));
    await scheduleTemplateSyncs(templateSync.queue, stacks.all(), env.TEMPLATE_SYNC_INTERVAL_MS);
    const webhookWorkers = await startWebhookWorkers({ env, connection, prefix: env.REDIS_KEY_PREFIX, stacks, commands, keys, categories, audit, logger });
    const operations = await startWorkerOperations({
      env,
      redis,
      keys,
      metrics,
      workers: [...workers, ...webhookWorkers.workers],
      stacks: stackSource,
      templateSyncQueue: templateSync.queue,
      logger,
    });
    // The PostgreSQL sink's retention: whole day partitions older than the longer of the two retentions
    // (its rows are both the audit entries and the analytics) are dropped, hourly, by every worker.
    const retention = audit instanceof PostgresAuditStore ? startAuditRetention(audit, Math.max(env.LEDGER_RETENTION_SECONDS, env.ANALYTICS_RETENTION_SECONDS), logger) : undefined;
    // The sink's counts for /metrics: a drop is the one sign that the audit has a gap.
    const sinkGauge =
      audit instanceof PostgresAuditStore
        ? setInterval(() => {
            const stats = audit.stats();
            for (const state of ['written', 'dropped', 'pending'] as const) metrics.auditSinkEvents.set({ state }, stats[state]);
          }, 1000).unref()
        : undefined;
    stops.push(
      () => operations.close(),
      () => {
        // Running send carriers give their lanes up first, so that new batches go to carriers elsewhere.
        send.carriers.stop();
        return Promise.all(workers.map((w) => w.close()));
      },
      () => {
        retention?.stop();
        clearInterval(sinkGauge);
        return Promise.resolve();
      },
      () => templateSync.queue.close(),
      () => webhookWorkers.close(),
      () => tally.close(),
      () => audit.close(),
      () => breakerSync.close(),
      () => meta.close(),
      () => stackSource.close(),
      () => commands.quit().catch(() => undefined),
    );
    logger.info(
      {
        stacks: stacks.all().length,
        sendsInFlight: env.WORKER_SENDS_IN_FLIGHT,
        jobConcurrency: env.WORKER_CONCURRENCY ?? env.WORKER_SENDS_IN_FLIGHT,
        metaConnections: env.META_CONNECTIONS || env.WORKER_SENDS_IN_FLIGHT,
        http2: env.META_HTTP2,
      },
      'worker ready',
    );
    return { operationsPort: operations.port, carriers: send.carriers };
  }

  async function close(signal?: string) {
    logger.info({ signal }, 'worker shutting down: finishing in-flight sends');
    for (const stop of stops.splice(0)) await stop();
  }

  return { start, close };
}
