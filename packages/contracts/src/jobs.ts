import type { Job, JobsOptions, Queue } from 'bullmq';
import type { z } from 'zod';
import { QUEUES, type QueueName } from './queues.ts';
import { sendBatchJobSchema, type SendBatchJob } from './send-job.ts';
import { sendCarrierJobSchema, type SendCarrierJob } from './send-carrier.ts';
import { templateSyncJobSchema, type TemplateSyncJob } from './template-sync-job.ts';
import { webhookDeliveryJobSchema, webhookInboundJobSchema, type WebhookDeliveryJob, type WebhookInboundJob } from './webhook-jobs.ts';

/**
 * One kind of job: the queue it goes to, its BullMQ name, the schema of its
 * data and its default options. `Setting` is what the options depend on (the
 * send timeout, the delivery attempts), `void` when they are fixed.
 *
 * WARNING: a job's name and queue are stored with every waiting job; renaming
 * one strands what is already queued under the old name.
 */
export interface JobSpec<Data, Setting = void> {
  readonly queue: QueueName;
  readonly name: string;
  readonly schema: z.ZodType;
  readonly options: (setting: Setting) => JobsOptions;
  /** Type marker only (never set): the job's data. */
  readonly data?: Data;
}

const defineJob =
  <Data>() =>
  <Setting = void>(spec: Omit<JobSpec<Data, Setting>, 'data'>): JobSpec<Data, Setting> =>
    spec;

/** The backoff type the delivery worker implements with its retry schedule. */
export const WEBHOOK_BACKOFF_TYPE = 'webhook-schedule';

/** Every job the gateway enqueues, declared once. */
export const JOBS = {
  /**
   * Every send one ingress received in one event-loop tick. Never retried by the
   * queue: a retry after a request left can deliver a message twice. A finished
   * job is kept as long as an ingress may still read its results (a reply lost to
   * a reconnecting subscriber is read from the job within SEND_TIMEOUT_MS), so
   * Redis holds about traffic x that age of jobs; the count is a ceiling for bursts.
   */
  sendBatch: defineJob<SendBatchJob>()({
    queue: QUEUES.send,
    name: 'send-batch',
    schema: sendBatchJobSchema,
    options: ({ sendTimeoutMs }: { sendTimeoutMs: number }) => ({
      attempts: 1,
      removeOnComplete: { age: Math.max(60, Math.ceil((2 * sendTimeoutMs) / 1000)), count: 100_000 },
      removeOnFail: { age: 24 * 3600 },
    }),
  }),

  /**
   * A send carrier (SEND_CARRIERS): runs the batches an ingress pushes onto one lane until none comes for a
   * second (send-carrier.ts). Never retried, like a send batch: a stalled carrier's sends may have reached Meta.
   */
  sendCarrier: defineJob<SendCarrierJob>()({
    queue: QUEUES.send,
    name: 'send-carrier',
    schema: sendCarrierJobSchema,
    options: ({ sendTimeoutMs }: { sendTimeoutMs: number }) => ({
      attempts: 1,
      removeOnComplete: { age: Math.max(60, Math.ceil((2 * sendTimeoutMs) / 1000)), count: 100_000 },
      removeOnFail: { age: 24 * 3600 },
    }),
  }),

  /** A warm-up asked for by the API or `pnpm warmup`. Pages are retried inside the job; a failed page ends it with what it learned. */
  templateWarmup: defineJob<TemplateSyncJob>()({
    queue: QUEUES.templateSync,
    name: 'warmup',
    schema: templateSyncJobSchema,
    options: () => ({
      attempts: 1,
      removeOnComplete: { age: 24 * 3600, count: 1000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    }),
  }),

  /** The periodic sync of one stack, added by its job scheduler (see templateSyncSchedulerId). */
  templateSync: defineJob<TemplateSyncJob>()({
    queue: QUEUES.templateSync,
    name: 'sync',
    schema: templateSyncJobSchema,
    options: () => ({ removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } }),
  }),

  /**
   * A webhook as Meta posted it. Inbound jobs are idempotent (deliveries have
   * deterministic ids), so the queue may retry them. Their id is a hash of the
   * body: Meta re-posting the same payload while the first copy is retained adds nothing.
   */
  webhookInbound: defineJob<WebhookInboundJob>()({
    queue: QUEUES.webhookInbound,
    name: 'inbound',
    schema: webhookInboundJobSchema,
    options: () => ({
      attempts: 8,
      backoff: { type: 'exponential', delay: 1000, jitter: 0.2 },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: false,
    }),
  }),

  /**
   * One forward of one envelope to one stack. Failed deliveries are never removed:
   * the failed set is the dead-letter state operators list and replay. `attempts`
   * is one first try plus the retry schedule.
   */
  webhookDelivery: defineJob<WebhookDeliveryJob>()({
    queue: QUEUES.webhookDelivery,
    name: 'deliver',
    schema: webhookDeliveryJobSchema,
    options: ({ attempts }: { attempts: number }) => ({
      attempts,
      backoff: { type: WEBHOOK_BACKOFF_TYPE },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: false,
    }),
  }),
} as const;

/** A job as `addBulk` and `upsertJobScheduler` take it: its name, data and options (the defaults, then `extra`). */
export function jobOf<Data, Setting>(spec: JobSpec<Data, Setting>, data: Data, setting: Setting, extra: JobsOptions = {}) {
  return { name: spec.name, data, opts: { ...spec.options(setting), ...extra } };
}

/** Adds one job of a kind to its queue (which must be the kind's queue). */
export function enqueue<Data, Setting>(queue: Pick<Queue, 'add' | 'name'>, spec: JobSpec<Data, Setting>, data: Data, setting: Setting, extra?: JobsOptions): Promise<Job> {
  if (queue.name !== spec.queue) throw new Error(`a ${spec.name} job belongs on queue ${spec.queue}, not ${queue.name}`);
  const job = jobOf(spec, data, setting, extra);
  return queue.add(job.name, job.data, job.opts);
}

/** The id of a stack's periodic template-sync job scheduler. */
export const templateSyncSchedulerId = (stackId: string): string => `template-sync:${stackId}`;

/**
 * True when a failed job is parked in its queue's failed set for good (the
 * dead-letter state): it was refused outright (UnrecoverableError) or has used
 * every attempt. A DelayedError (a fairness delay) is not a failure at all.
 */
export function isDeadLettered(job: Pick<Job, 'attemptsMade' | 'opts'>, error: Pick<Error, 'name'>): boolean {
  if (error.name === 'DelayedError') return false;
  return error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
}
