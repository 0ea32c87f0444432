import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ReplicaAck } from '@gw/config';
import { enqueue, JOBS, webhookInboundJobId, type WebhookInboundJob } from '@gw/contracts';
import { withTimeout } from '../with-timeout.ts';

/**
 * Stores Meta's webhook durably before the ingress answers 200. The queue's
 * connection has no offline queue, and the add has a deadline, so a Redis
 * outage turns into a quick 503 (Meta then retries) instead of a hung request.
 */
export class InboundStore {
  constructor(
    private readonly queue: Queue,
    private readonly timeoutMs: number,
    /** With a replica (Sentinels): wait for it to have the webhook before answering 200. */
    private readonly replicaAck?: ReplicaAck,
  ) {}

  async store(rawBody: Buffer): Promise<string> {
    const jobId = webhookInboundJobId(rawBody);
    const data: WebhookInboundJob = { body: rawBody.toString('utf8'), receivedAt: Date.now() };
    await withTimeout(enqueue(this.queue, JOBS.webhookInbound, data, undefined, { jobId }), this.timeoutMs);
    // A failover loses what the primary acknowledged but had not replicated: Meta's 200 must not outrun the replica.
    if (this.replicaAck) await withTimeout(this.replicaAck.confirm((await this.queue.getBackend().client) as unknown as Redis), this.timeoutMs);
    return jobId;
  }
}
