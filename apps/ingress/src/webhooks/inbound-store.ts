import type { Queue } from 'bullmq';
import { WEBHOOK_INBOUND_JOB_OPTIONS, webhookInboundJobId, type WebhookInboundJob } from '@gw/contracts';
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
  ) {}

  async store(rawBody: Buffer): Promise<string> {
    const jobId = webhookInboundJobId(rawBody);
    const data: WebhookInboundJob = { body: rawBody.toString('utf8'), receivedAt: Date.now() };
    await withTimeout(this.queue.add('inbound', data, { ...WEBHOOK_INBOUND_JOB_OPTIONS, jobId }), this.timeoutMs);
    return jobId;
  }
}
