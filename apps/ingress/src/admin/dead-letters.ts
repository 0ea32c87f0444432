import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { tenantOf, type StackDirectory } from '@gw/config';
import { webhookDeliveryJobSchema, type RedisKeys, type WebhookDeliveryJob } from '@gw/contracts';
import { failedJob, MAX_SCAN, retryFailed, scanFailed, type FailedTimeFilter } from './failed-jobs.ts';

/** What an operator sees of a parked delivery: never the body, the URL or a secret. */
export interface DeadLetterView {
  id: string;
  /** null: no stack had the phone number (or the envelope belonged to no stack) when it arrived. */
  stackId: string | null;
  phoneNumberId: string | null;
  reason: string;
  attempts: number;
  kinds: string[];
  /** When Meta's webhook reached the gateway. */
  receivedAt: string;
  /** When the delivery was first queued (its first attempt follows at once). */
  createdAt: string;
  /** When it was parked. */
  failedAt: string | null;
}

export interface DeadLetterFilter extends FailedTimeFilter {
  stackId?: string;
}

export type ReplayOutcome = 'replayed' | 'not_found';

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);

/**
 * The dead-letter state is the failed set of the delivery queue (jobs are never
 * removed on failure). Listing reads it newest first; replay moves a job back
 * to waiting with a fresh attempt budget and the same id, so the client sees
 * the same `webhook-id` again.
 */
export class DeadLetters {
  constructor(
    private readonly queue: Queue,
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly stacks: StackDirectory,
  ) {}

  async list(filter: DeadLetterFilter, limit: number): Promise<{ deadLetters: DeadLetterView[]; truncated: boolean }> {
    const matches = await this.scan(filter, limit + 1);
    return { deadLetters: matches.slice(0, limit).map(({ job, data }) => this.view(job, data)), truncated: matches.length > limit };
  }

  async replayOne(id: string): Promise<ReplayOutcome> {
    const job = await failedJob(this.queue, id);
    if (!job) return 'not_found';
    const data = webhookDeliveryJobSchema.safeParse(job.data);
    await this.clearGoneMark(data.success ? this.stackOf(data.data) : null);
    await retryFailed([job]);
    return 'replayed';
  }

  async replayMany(filter: DeadLetterFilter & { stackId: string }): Promise<{ matched: number; replayed: number; failed: number }> {
    const matches = await this.scan(filter, MAX_SCAN);
    await this.clearGoneMark(filter.stackId);
    return retryFailed(matches.map(({ job }) => job));
  }

  /** The stack a delivery belongs to now: its own, or the stack that has since taken its phone number. */
  private stackOf(data: WebhookDeliveryJob): string | null {
    // A delivery of a deleted stack belongs to no stack, even when a new stack has its id.
    if (data.stackId) return !data.stackUid || this.stacks.get(data.stackId)?.uid === data.stackUid ? data.stackId : null;
    return data.phoneNumberId ? (this.stacks.byPhoneNumberId(data.phoneNumberId)?.id ?? null) : null;
  }

  private async clearGoneMark(stackId: string | null): Promise<void> {
    const stack = stackId ? this.stacks.get(stackId) : undefined;
    if (stack) await this.redis.del(this.keys.webhookEndpointGone(tenantOf(stack)));
  }

  private scan(filter: DeadLetterFilter, wanted: number): Promise<Array<{ job: Job; data: WebhookDeliveryJob }>> {
    const ofStack = (data: WebhookDeliveryJob) => filter.stackId === undefined || this.stackOf(data) === filter.stackId;
    return scanFailed(this.queue, webhookDeliveryJobSchema, filter, wanted, ofStack);
  }

  private view(job: Job, data: WebhookDeliveryJob): DeadLetterView {
    return {
      id: job.id!,
      stackId: data.stackId,
      phoneNumberId: data.phoneNumberId,
      reason: job.failedReason ?? 'unknown',
      attempts: job.attemptsMade,
      kinds: data.kinds,
      receivedAt: new Date(data.receivedAt).toISOString(),
      createdAt: new Date(job.timestamp).toISOString(),
      failedAt: iso(job.finishedOn),
    };
  }
}
