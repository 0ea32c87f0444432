import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { tenantOf, type Stack, type StackDirectory } from '@gw/config';
import { webhookDeliveryJobSchema, type WebhookDeliveryJob } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import type { DeliveryAttempt, DeliveryClient } from './delivery-client.ts';
import type { EndpointGoneMarks } from './endpoint-gone.ts';
import { DeliveryAttemptError, parseRetryAfter } from './retry-schedule.ts';
import { signedHeaders } from './signing.ts';
import type { StackSlots } from './stack-slots.ts';

export interface DeliveryProcessorDeps {
  stacks: StackDirectory;
  client: Pick<DeliveryClient, 'post'>;
  gone: Pick<EndpointGoneMarks, 'isGone' | 'markGone'>;
  /** Returns why a URL is refused (private address), or undefined; a no-op when private URLs are allowed. */
  refusedDestination: (url: string) => Promise<string | undefined>;
  /** Deliveries in flight per stack, across every worker. */
  slots: StackSlots;
  logger: Logger;
}

export interface DeliveryResult {
  status: number;
  ms: number;
}

const RETRY_AFTER_STATUSES = new Set([429, 503]);

/** Parks the delivery at once: the failed set is the dead-letter state. */
const park = (reason: string) => new UnrecoverableError(reason);

function resolveStack(stacks: StackDirectory, data: WebhookDeliveryJob): Stack {
  if (data.unroutable) throw park(data.unroutable);
  if (data.stackId) {
    const stack = stacks.get(data.stackId);
    if (!stack) throw park(`stack "${data.stackId}" is not configured on this gateway any more`);
    if (data.stackUid && data.stackUid !== stack.uid) throw park(`stack "${data.stackId}" was deleted after this webhook arrived; not delivered to the stack that now has its id`);
    return stack;
  }
  const stack = data.phoneNumberId ? stacks.byPhoneNumberId(data.phoneNumberId) : undefined;
  if (!stack) throw park(`no stack has phone number id ${data.phoneNumberId}; add the stack, then replay this delivery`);
  return stack;
}

function describe(attempt: DeliveryAttempt): string {
  if (attempt.kind === 'response') return `endpoint answered HTTP ${attempt.status}`;
  if (attempt.kind === 'refused') return attempt.reason;
  return `no answer from endpoint (${attempt.code})`;
}

/**
 * Forwards one envelope to one stack's webhookUrl, signed. Only a 2xx is a
 * delivery; anything else is retried on the schedule; 410 and configuration
 * problems park the delivery at once.
 */
export function createWebhookDeliveryProcessor(deps: DeliveryProcessorDeps) {
  const { slots } = deps;

  return async function processDelivery(job: Job, token?: string): Promise<DeliveryResult> {
    const parsed = webhookDeliveryJobSchema.safeParse(job.data);
    if (!parsed.success) throw park('malformed delivery job');
    const data = parsed.data;
    const stack = resolveStack(deps.stacks, data);
    const { webhookUrl: url, webhookSecret: secret } = stack;
    if (!url) throw park(`stack "${stack.id}" has no webhookUrl`);
    if (!secret) throw park(`stack "${stack.id}" has a webhookUrl but no webhookSecret; deliveries are always signed`);

    // Fairness: a stack over its share waits without using an attempt.
    const lease = await slots.tryAcquire(stack.id);
    if (!lease) {
      await job.moveToDelayed(Date.now() + slots.waitMs(stack.id), token);
      throw new DelayedError();
    }
    const started = performance.now();
    try {
      return await attempt(job, stack.id, tenantOf(stack), url, secret, data);
    } finally {
      await slots.release(stack.id, lease, performance.now() - started);
    }
  };

  async function attempt(job: Job, stackId: string, tenant: string, url: string, secret: string, data: WebhookDeliveryJob): Promise<DeliveryResult> {
    const log = deps.logger.child({ deliveryId: job.id, stackId, attempt: job.attemptsMade + 1 });
    if (await deps.gone.isGone(tenant, url)) {
      throw park(`stack "${stackId}" endpoint answered 410 Gone earlier; deliveries stay parked until an operator replays`);
    }
    const refused = await deps.refusedDestination(url);
    if (refused) throw park(refused);

    const headers = signedHeaders({ id: job.id!, body: data.body, secret, nowSeconds: Math.floor(Date.now() / 1000) });
    const result = await deps.client.post(url, data.body, headers);
    if (result.kind === 'response' && result.status >= 200 && result.status < 300) {
      log.info({ status: result.status, ms: result.ms, kinds: data.kinds }, 'webhook delivered');
      return { status: result.status, ms: result.ms };
    }
    log.warn({ outcome: describe(result), ms: result.ms }, 'webhook delivery attempt failed');
    if (result.kind === 'refused') throw park(result.reason);
    if (result.kind === 'response' && result.status === 410) {
      await deps.gone.markGone(tenant, url);
      throw park(`endpoint answered HTTP 410 Gone; deliveries to stack "${stackId}" are parked until an operator replays`);
    }
    const attempts = job.opts.attempts ?? 1;
    const last = job.attemptsMade + 1 >= attempts;
    const reason = last ? `gave up after ${attempts} attempts: ${describe(result)}` : describe(result);
    const retryAfter = result.kind === 'response' && RETRY_AFTER_STATUSES.has(result.status) ? parseRetryAfter(result.retryAfter) : undefined;
    throw new DeliveryAttemptError(reason, retryAfter);
  }
}
