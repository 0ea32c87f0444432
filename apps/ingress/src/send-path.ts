import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { LocalCarriers, RedisKeys } from '@gw/contracts';
import { IdempotencyStore } from './idempotency-store.ts';
import { ReplyWaiter } from './reply-waiter.ts';
import { SendBatcher } from './send-batcher.ts';
import { SendDispatcher, type DispatchResult } from './send-dispatcher.ts';
import { SendCarriers } from './send-carriers.ts';
import type { Logger } from '@gw/logger';

export interface SendPathOptions {
  env: {
    SEND_BATCH_MAX_ITEMS: number;
    SEND_BATCH_WINDOW_MS?: number;
    SEND_BATCH_WINDOW_PENDING?: number;
    /** Lanes of send carriers per ingress; 0 (or unset): a BullMQ job per batch. */
    SEND_CARRIERS?: number;
    SEND_TIMEOUT_MS: number;
    IDEMPOTENCY_TTL_SECONDS: number;
  };
  /** The `send` queue, on a fail-fast connection. */
  queue: Queue;
  /** Fail-fast command connection (Idempotency-Key records). */
  commands: Redis;
  /** A connection of its own for this process's reply channel. */
  subscriber: Redis;
  keys: RedisKeys;
  /** Names this process's reply channel. */
  ingressId: string;
  /** How often a long wait checks whether the job's worker died (default 3 s). */
  jobCheckIntervalMs?: number;
  /** How often batches waiting on send carriers are checked against them (default 1 s). */
  carrierCheckMs?: number;
  /** Told the size of every batch queued (metrics). */
  onBatch?: (sends: number) => void;
  /** Told every answer (metrics). */
  onResult?: (result: DispatchResult) => void;
  /** The send carriers of a worker in this process, if any: batches for them skip Redis. */
  localCarriers?: LocalCarriers;
  /** Where send carriers and Idempotency-Key releases report trouble. */
  logger?: Logger;
}

/**
 * The ingress side of a send, wired once: the reply channel (subscribed before
 * anything is queued), the batcher, the Idempotency-Key store and the dispatcher
 * that gives each request its one answer. See docs/architecture.md.
 */
export async function startSendPath(
  options: SendPathOptions,
): Promise<{ dispatcher: SendDispatcher; replies: ReplyWaiter; idempotency: IdempotencyStore; carriers?: SendCarriers }> {
  const { env, queue } = options;
  const replies = new ReplyWaiter(options.subscriber, options.keys.replyChannel(options.ingressId));
  await replies.start();
  const carriers = env.SEND_CARRIERS
    ? new SendCarriers({
        queue,
        commands: options.commands,
        keys: options.keys,
        ingressId: options.ingressId,
        lanes: env.SEND_CARRIERS,
        sendTimeoutMs: env.SEND_TIMEOUT_MS,
        checkMs: options.carrierCheckMs,
        local: options.localCarriers,
        logger: options.logger,
      })
    : undefined;
  const idempotency = new IdempotencyStore(options.commands, options.keys, env.IDEMPOTENCY_TTL_SECONDS, options.logger);
  const dispatcher = new SendDispatcher({
    queue,
    batcher: new SendBatcher({
      queue,
      replyTo: replies.channel,
      maxItems: env.SEND_BATCH_MAX_ITEMS,
      windowMs: env.SEND_BATCH_WINDOW_MS,
      busy: () => replies.size >= (env.SEND_BATCH_WINDOW_PENDING ?? Infinity),
      sendTimeoutMs: env.SEND_TIMEOUT_MS,
      onBatch: options.onBatch,
      carriers,
    }),
    replies,
    idempotency,
    sendTimeoutMs: env.SEND_TIMEOUT_MS,
    jobCheckIntervalMs: options.jobCheckIntervalMs,
    onResult: options.onResult,
    carriers,
  });
  return { dispatcher, replies, idempotency, carriers };
}
