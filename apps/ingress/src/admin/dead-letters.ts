import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { tenantOf, type StackDirectory } from '@gw/config';
import { webhookDeliveryJobSchema, type RedisKeys, type WebhookDeliveryJob } from '@gw/contracts';

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

export interface DeadLetterFilter {
  stackId?: string;
  /** Epoch ms, inclusive, on the time the delivery was parked. */
  from?: number;
  to?: number;
}

export type ReplayOutcome = 'replayed' | 'not_found';

const PAGE = 200;
/** A bound on how much of the failed set one admin request reads. */
const MAX_SCAN = 50_000;

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
    const job = await this.queue.getJob(id);
    if (!job || !(await job.isFailed())) return 'not_found';
    const data = webhookDeliveryJobSchema.safeParse(job.data);
    await this.clearGoneMark(data.success ? this.stackOf(data.data) : null);
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    return 'replayed';
  }

  async replayMany(filter: DeadLetterFilter & { stackId: string }): Promise<{ matched: number; replayed: number; failed: number }> {
    const matches = await this.scan(filter, MAX_SCAN);
    await this.clearGoneMark(filter.stackId);
    let replayed = 0;
    for (const { job } of matches) {
      try {
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        replayed += 1;
      } catch {
        // Replayed or removed meanwhile: counted as not replayed by this call.
      }
    }
    return { matched: matches.length, replayed, failed: matches.length - replayed };
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

  private async scan(filter: DeadLetterFilter, wanted: number): Promise<Array<{ job: Job; data: WebhookDeliveryJob }>> {
    const found: Array<{ job: Job; data: WebhookDeliveryJob }> = [];
    for (let start = 0; start < MAX_SCAN && found.length < wanted; start += PAGE) {
      const page = (await this.queue.getFailed(start, start + PAGE - 1)) as Job[];
      if (page.length === 0) break;
      for (const job of page) {
        if (!job) continue;
        const failedAt = job.finishedOn ?? 0;
        // Newest first: once past `from`, nothing older can match.
        if (filter.from !== undefined && failedAt < filter.from) return found;
        if (filter.to !== undefined && failedAt > filter.to) continue;
        const data = webhookDeliveryJobSchema.safeParse(job.data);
        if (!data.success) continue;
        if (filter.stackId !== undefined && this.stackOf(data.data) !== filter.stackId) continue;
        found.push({ job, data: data.data });
        if (found.length >= wanted) break;
      }
      if (page.length < PAGE) break;
    }
    return found;
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
