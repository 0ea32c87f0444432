import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { SendAuditCounter } from './send-outcome-writer.ts';
import { tenantOf, type ReplicaAck, type StackDirectory } from '@gw/config';
import type { CategoryCache } from '@gw/category-cache';
import { QUEUES, type LocalReplies, type RedisKeys } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import type { MetaClient } from '@gw/meta-client';
import type { KeyedCircuitBreaker } from '@gw/routing';
import type { WorkerEnv } from './config.ts';
import type { SendObserver } from './operations/send-observer.ts';
import { Pacer } from './pacer.ts';
import { ProbeCoordinator } from './probe-coordinator.ts';
import { SendOutcomeWriter } from './send-outcome-writer.ts';
import { createSendProcessor } from './send-processor.ts';
import { SendCarrierRunner } from './send-carrier-runner.ts';
import { FailoverGuard } from './failover-guard.ts';
import { SendService } from './send-service.ts';
import { SendSlots } from './send-slots.ts';
import { logWorkerEvents } from './queue-worker.ts';

export interface SendWorkerOptions {
  env: WorkerEnv;
  /** Plain connection options: the BullMQ worker opens its own blocking connection. */
  connection: ConnectionOptions;
  stacks: StackDirectory;
  meta: MetaClient;
  /** The fail-fast command connection: cache, ledger, probes, pacing and replies. */
  commands: Redis;
  keys: RedisKeys;
  categories: CategoryCache;
  /** With Sentinels: a send's start must survive a failover before Meta is called (FailoverGuard). */
  replicaAck?: ReplicaAck;
  /** The MM circuit breaker (shared with the other workers by the composition root). */
  breaker: KeyedCircuitBreaker;
  observer: SendObserver;
  /** Counts (Redis) or records (PostgreSQL sink) each finished send's audit event, never awaited. */
  tally?: SendAuditCounter;
  /** The ingress in this process, if any (replies to it skip Redis). */
  localReplies?: LocalReplies;
  logger: Logger;
}

/**
 * The send queue's worker: routes each send of a send-batch job, calls Meta and answers the waiting ingress.
 *
 * Part of the exactly-once answer: docs/architecture.md, "Exactly one answer, never a second send".
 */
export function startSendWorker(options: SendWorkerOptions): { worker: Worker; carriers: SendCarrierRunner } {
  const { env, commands, keys } = options;
  const service = new SendService({
    stacks: options.stacks,
    meta: options.meta,
    categories: options.categories,
    probes: new ProbeCoordinator({
      redis: commands,
      keys,
      probeTimeoutMs: env.META_TIMEOUT_MS + 2000,
      outcomeTtlMs: Math.min(env.PROBE_OUTCOME_TTL_MS, env.CATEGORY_TTL_SECONDS * 1000),
    }),
    pacer: new Pacer({ redis: commands, keys, maxWaitMs: env.PACING_MAX_WAIT_MS, backoffMs: env.PACING_BACKOFF_MS }),
    breaker: options.breaker,
    timeoutPolicy: env.MM_TIMEOUT_POLICY,
    wabaCooldownSeconds: env.MM_WABA_COOLDOWN_SECONDS,
    syncingRetrySeconds: env.MM_SYNCING_RETRY_SECONDS,
  });
  const outcomes = new SendOutcomeWriter(commands, keys, env.LEDGER_RETENTION_SECONDS, {
    tally: options.tally,
    tenantOf: (stackId) => {
      const stack = options.stacks.get(stackId);
      return stack ? tenantOf(stack) : undefined;
    },
    local: options.localReplies,
  });
  // The limit is on sends in flight (what Meta, the sockets and memory see); a job holds at least one
  // send, so by default BullMQ may hold as many jobs as that and only the send limit binds.
  const slots = new SendSlots(env.WORKER_SENDS_IN_FLIGHT);
  // With Sentinels, a send's start must survive a failover before Meta is called: the connection that moved the
  // job to active WAITs for a replica, or the current primary must hold the job under this worker's lock (or not at all).
  const failoverGuard = options.replicaAck ? new FailoverGuard(options.replicaAck) : undefined;
  const startIsOurs = failoverGuard
    ? async (job: Job, token: string | undefined) => failoverGuard.jobIsOurs((await worker.getBackend().client) as unknown as Redis, worker.toKey(job.id!), token)
    : undefined;
  // Every worker runs send carriers, whichever ingress pushes for them (SEND_CARRIERS is the ingress's setting).
  const carriers = new SendCarrierRunner({
    commands,
    slots,
    onTaken: (receivedAt) => options.observer.onCarriedBatch(receivedAt),
    failoverGuard,
    logger: options.logger,
  });
  const processor = createSendProcessor({ service, outcomes, logger: options.logger, observer: options.observer, slots, startIsOurs, carriers });
  const worker: Worker = new Worker(QUEUES.send, processor, {
    connection: options.connection,
    prefix: env.REDIS_KEY_PREFIX,
    concurrency: env.WORKER_CONCURRENCY ?? env.WORKER_SENDS_IN_FLIGHT,
    // A stalled send (its worker died) is failed, never run again: it may already have reached Meta.
    maxStalledCount: 0,
    // Notice a dead worker within seconds, so its waiting clients hear about it well inside SEND_TIMEOUT_MS.
    lockDuration: 10_000,
    stalledInterval: 5_000,
  });
  logWorkerEvents(worker, options.logger);
  return { worker, carriers };
}
