import type { Job, Worker } from 'bullmq';
import { isDeadLettered, JOBS, QUEUES } from '@gw/contracts';
import { attemptBucket, type GatewayMetrics } from '@gw/metrics';

/** Time in queue of a job's first attempt; a delayed job counts from when it became due. */
export function queueWaitSeconds(job: Pick<Job, 'timestamp' | 'processedOn' | 'attemptsMade' | 'opts'>, now = Date.now()): number | undefined {
  if (job.attemptsMade > 0) return undefined;
  const due = job.timestamp + (job.opts.delay ?? 0);
  return Math.max(0, ((job.processedOn ?? now) - due) / 1000);
}

/** Queue wait of every job this process starts; a send carrier's batches count theirs as they are taken (SendObserver). */
export function observeQueueWait(worker: Worker, metrics: Pick<GatewayMetrics, 'queueWait'>): void {
  worker.on('active', (job) => {
    if (job.name === JOBS.sendCarrier.name) return;
    const seconds = queueWaitSeconds(job);
    if (seconds !== undefined) metrics.queueWait.observe({ queue: worker.name }, seconds);
  });
}

/** Webhook delivery attempts by outcome and attempt number (BullMQ counts the finished attempt in attemptsMade). */
export function observeWebhookDeliveries(worker: Worker, metrics: Pick<GatewayMetrics, 'webhookDeliveries'>): void {
  if (worker.name !== QUEUES.webhookDelivery) return;
  worker.on('completed', (job) => {
    metrics.webhookDeliveries.inc({ outcome: 'delivered', attempt: attemptBucket(job.attemptsMade) });
  });
  worker.on('failed', (job, error) => {
    // A fairness delay is not an attempt.
    if (!job || error.name === 'DelayedError') return;
    const parked = isDeadLettered(job, error);
    metrics.webhookDeliveries.inc({ outcome: parked ? 'dead_lettered' : 'retrying', attempt: attemptBucket(job.attemptsMade) });
  });
}
