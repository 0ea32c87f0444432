import type { Job, Queue } from 'bullmq';
import type { StackDirectory } from '@gw/config';
import { webhookInboundJobSchema, type WebhookInboundJob } from '@gw/contracts';
import { failedJob, MAX_SCAN, retryFailed, scanFailed, type FailedTimeFilter } from './failed-jobs.ts';

/** What an operator sees of an inbound webhook that failed every attempt: never its body. */
export interface InboundDeadLetterView {
  id: string;
  /** The phone numbers the envelope names, and the stacks that have them now. */
  phoneNumberIds: string[];
  stackIds: string[];
  /** `changes[].field` of the envelope, e.g. `messages`, `template_category_update`. */
  fields: string[];
  bytes: number;
  reason: string;
  attempts: number;
  /** When Meta's webhook reached the gateway. */
  receivedAt: string;
  failedAt: string | null;
}

/** Phone numbers and fields an envelope names, read without keeping the body. */
function describeEnvelope(body: string): { phoneNumberIds: string[]; fields: string[] } {
  const phoneNumberIds = new Set<string>();
  const fields = new Set<string>();
  try {
    const envelope = JSON.parse(body) as { entry?: Array<{ changes?: Array<{ field?: unknown; value?: { metadata?: { phone_number_id?: unknown } } }> }> };
    for (const entry of envelope.entry ?? []) {
      for (const change of entry.changes ?? []) {
        if (typeof change.field === 'string') fields.add(change.field);
        const phone = change.value?.metadata?.phone_number_id;
        if (typeof phone === 'string') phoneNumberIds.add(phone);
      }
    }
  } catch {
    // Not JSON: nothing to describe; the reason says why it failed.
  }
  return { phoneNumberIds: [...phoneNumberIds], fields: [...fields] };
}

/**
 * Inbound webhooks that failed every attempt are the failed set of the inbound
 * queue (never removed on failure). Replay moves a job back to waiting with a
 * fresh attempt budget; its deliveries have deterministic ids, so a replay
 * never forwards an event twice.
 */
export class InboundDeadLetters {
  constructor(
    private readonly queue: Queue,
    private readonly stacks: StackDirectory,
  ) {}

  async list(filter: FailedTimeFilter, limit: number): Promise<{ deadLetters: InboundDeadLetterView[]; truncated: boolean }> {
    const matches = await scanFailed(this.queue, webhookInboundJobSchema, filter, limit + 1);
    return { deadLetters: matches.slice(0, limit).map(({ job, data }) => this.view(job, data)), truncated: matches.length > limit };
  }

  async replayOne(id: string): Promise<'replayed' | 'not_found'> {
    const job = await failedJob(this.queue, id);
    if (!job) return 'not_found';
    await retryFailed([job]);
    return 'replayed';
  }

  async replayMany(filter: FailedTimeFilter): Promise<{ matched: number; replayed: number; failed: number }> {
    const matches = await scanFailed(this.queue, webhookInboundJobSchema, filter, MAX_SCAN);
    return retryFailed(matches.map(({ job }) => job));
  }

  private view(job: Job, data: WebhookInboundJob): InboundDeadLetterView {
    const { phoneNumberIds, fields } = describeEnvelope(data.body);
    const stackIds = phoneNumberIds.flatMap((phone) => this.stacks.byPhoneNumberId(phone)?.id ?? []);
    return {
      id: job.id!,
      phoneNumberIds,
      stackIds: [...new Set(stackIds)],
      fields,
      bytes: Buffer.byteLength(data.body),
      reason: job.failedReason ?? 'unknown',
      attempts: job.attemptsMade,
      receivedAt: new Date(data.receivedAt).toISOString(),
      failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
    };
  }
}
