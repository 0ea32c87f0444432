import { Queue, Worker } from 'bullmq';
import { checkRedisForQueues, ConfigError, parseEnv, redisConnections } from '@gw/config';
import { QUEUES, redisKeys } from '@gw/contracts';
import { createLogger } from '@gw/logger';
import { announceReady, onShutdown, runMain } from '@gw/process-tools';
import { createMetaClient } from '@gw/meta-client';
import { workerEnvSchema } from './config.ts';
import { CategoryCache } from '@gw/category-cache';
import { SendOutcomeWriter } from './send-outcome-writer.ts';
import { SendService } from './send-service.ts';
import { ProbeCoordinator } from './probe-coordinator.ts';
import { Pacer } from './pacer.ts';
import { KeyedCircuitBreaker } from '@gw/routing';
import { createSendProcessor } from './send-processor.ts';
import { TemplateSyncService } from './template-sync-service.ts';
import { createTemplateSyncProcessor } from './template-sync-processor.ts';
import { scheduleTemplateSyncs } from './template-sync-schedule.ts';
import { startWebhookWorkers } from './webhooks/webhook-workers.ts';
import { createGatewayMetrics } from '@gw/metrics';
import { openStacks } from '@gw/stack-store';
import { SendObserver } from './operations/send-observer.ts';
import { categoryLookupObserver } from './operations/category-observer.ts';
import { startWorkerOperations } from './operations/start.ts';

async function main() {
  const env = parseEnv(workerEnvSchema, process.env);
  const logger = createLogger({ name: 'worker', level: env.LOG_LEVEL });
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

  const meta = createMetaClient({ baseUrl: env.META_GRAPH_URL, version: env.META_GRAPH_VERSION, timeoutMs: env.META_TIMEOUT_MS, onCall: observer.onMetaCall });
  const categories = new CategoryCache({
    redis: commands,
    keys,
    ttlSeconds: env.CATEGORY_TTL_SECONDS,
    localTtlMs: env.CATEGORY_LOCAL_TTL_MS,
    onLookup: categoryLookupObserver(metrics),
  });
  const service = new SendService({
    stacks,
    meta,
    categories,
    probes: new ProbeCoordinator({ redis: commands, keys, probeTimeoutMs: env.META_TIMEOUT_MS + 2000, outcomeTtlMs: Math.min(env.PROBE_OUTCOME_TTL_MS, env.CATEGORY_TTL_SECONDS * 1000) }),
    pacer: new Pacer({ redis: commands, keys, maxWaitMs: env.PACING_MAX_WAIT_MS, backoffMs: env.PACING_BACKOFF_MS }),
    breaker: new KeyedCircuitBreaker({ failureThreshold: env.MM_BREAKER_THRESHOLD, openMs: env.MM_BREAKER_OPEN_MS }),
    timeoutPolicy: env.MM_TIMEOUT_POLICY,
    wabaCooldownSeconds: env.MM_WABA_COOLDOWN_SECONDS,
    syncingRetrySeconds: env.MM_SYNCING_RETRY_SECONDS,
  });

  const bullConnection = redis.bullmq({ maxRetriesPerRequest: null });
  const workers: Worker[] = [];
  const queues: Queue[] = [];
  const sendWorker = new Worker(QUEUES.send, createSendProcessor({ service, outcomes: new SendOutcomeWriter(commands, keys, env.LEDGER_RETENTION_SECONDS), logger, observer }), {
    connection: bullConnection,
    prefix: env.REDIS_KEY_PREFIX,
    concurrency: env.WORKER_CONCURRENCY,
    // A stalled send (its worker died) is failed, never run again: it may already have reached Meta.
    maxStalledCount: 0,
    // Notice a dead worker within seconds, so its waiting clients hear about it well inside SEND_TIMEOUT_MS.
    lockDuration: 10_000,
    stalledInterval: 5_000,
  });
  workers.push(sendWorker);

  const templateSync = new TemplateSyncService({ meta, categories, pageSize: env.TEMPLATE_SYNC_PAGE_SIZE });
  workers.push(
    new Worker(QUEUES.templateSync, createTemplateSyncProcessor({ service: templateSync, stacks, logger }), {
      connection: bullConnection,
      prefix: env.REDIS_KEY_PREFIX,
      concurrency: 2,
    }),
  );
  const templateSyncQueue = new Queue(QUEUES.templateSync, { connection: bullConnection, prefix: env.REDIS_KEY_PREFIX });
  queues.push(templateSyncQueue);

  for (const w of workers) {
    w.on('error', (error) => logger.error({ queue: w.name, err: error.message }, 'worker error'));
    w.on('failed', (job, error) => logger.error({ queue: w.name, jobId: job?.id, err: error.message }, 'job failed'));
  }
  for (const q of queues) q.on('error', (error) => logger.error({ queue: q.name, err: error.message }, 'queue error'));
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  await scheduleTemplateSyncs(templateSyncQueue, stacks.all(), env.TEMPLATE_SYNC_INTERVAL_MS);
  const webhookWorkers = await startWebhookWorkers({
    env,
    connection: bullConnection,
    prefix: env.REDIS_KEY_PREFIX,
    stacks,
    commands,
    keys,
    categories,
    logger,
  });
  const operations = await startWorkerOperations({
    env,
    redis,
    keys,
    metrics,
    workers: [...workers, ...webhookWorkers.workers],
    stacks: stackSource,
    templateSyncQueue,
    logger,
  });
  logger.info({ stacks: stacks.all().length, concurrency: env.WORKER_CONCURRENCY }, 'worker ready');
  announceReady({ operationsPort: operations.port });

  onShutdown(logger, env.SHUTDOWN_TIMEOUT_MS, async (signal) => {
    logger.info({ signal }, 'worker shutting down: finishing in-flight sends');
    await operations.close();
    await Promise.all(workers.map((w) => w.close()));
    await Promise.all(queues.map((q) => q.close()));
    await webhookWorkers.close();
    await meta.close();
    await stackSource.close();
    await commands.quit().catch(() => undefined);
  });
}

runMain('worker', main, (error) => error instanceof ConfigError);
