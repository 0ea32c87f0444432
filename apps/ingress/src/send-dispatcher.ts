import { randomUUID } from 'node:crypto';
import { Job, type Queue } from 'bullmq';
import { gatewayErrors, SEND_JOB_OPTIONS, type SendEndpoint, type SendResult } from '@gw/contracts';
import type { ReplyWaiter } from './reply-waiter.ts';

export interface DispatchRequest {
  stackId: string;
  endpoint: SendEndpoint;
  payload: Record<string, unknown>;
}

export interface SendDispatcherOptions {
  queue: Queue;
  replies: ReplyWaiter;
  sendTimeoutMs: number;
  enqueueTimeoutMs: number;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Enqueues a send job and waits for its one result. */
export class SendDispatcher {
  constructor(private readonly options: SendDispatcherOptions) {}

  async dispatch(request: DispatchRequest): Promise<SendResult & { jobId?: string }> {
    const { queue, replies, sendTimeoutMs, enqueueTimeoutMs } = this.options;
    const jobId = randomUUID();
    const reply = replies.wait(jobId, sendTimeoutMs);
    try {
      await withTimeout(
        queue.add('send', { ...request, replyTo: replies.channel, receivedAt: Date.now() }, { ...SEND_JOB_OPTIONS, jobId }),
        enqueueTimeoutMs,
      );
    } catch {
      // Not enqueued, so nothing was sent: a plain 503 the client may retry.
      replies.cancel(jobId);
      return { ...gatewayErrors.unavailable('The send queue is unavailable; nothing was sent. Retry later.'), route: 'none', reason: 'gateway_error' };
    }
    const result = (await reply) ?? (await this.readLateResult(jobId));
    if (result) return { ...result, jobId };
    return { ...gatewayErrors.timeout(jobId, sendTimeoutMs), route: 'none', reason: 'gateway_error', jobId };
  }

  /** A reply can be lost (a reconnecting subscriber); the job itself still holds the result. */
  private async readLateResult(jobId: string): Promise<SendResult | undefined> {
    try {
      const job = await withTimeout(Job.fromId(this.options.queue, jobId), 1000);
      if (job?.finishedOn && job.returnvalue) return job.returnvalue as SendResult;
    } catch {
      // Redis unreachable: the client gets the timeout answer with the job id.
    }
    return undefined;
  }
}
