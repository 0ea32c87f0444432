import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * A webhook exactly as Meta posted it, stored by the ingress before it answers
 * 200. `body` is the raw request body (UTF-8 JSON), kept byte for byte so an
 * envelope that needs neither splitting nor enrichment is forwarded unchanged.
 */
export const webhookInboundJobSchema = z.object({
  body: z.string(),
  receivedAt: z.number(),
});
export type WebhookInboundJob = z.infer<typeof webhookInboundJobSchema>;

/**
 * One forward of one envelope to one stack. Holds no URL and no secret: the
 * worker resolves both from the stack directory at delivery time, so nothing
 * sensitive shows in Bull Board.
 *
 * - `stackId` set: deliver to that stack.
 * - `stackId` null, `phoneNumberId` set: no stack had that phone number when the
 *   webhook arrived; it is parked, and a replay after the stack exists delivers it.
 * - `unroutable` set: nothing can take it (not JSON, no phone number and no WABA
 *   match); parked with that reason for an operator to look at.
 */
export const webhookDeliveryJobSchema = z.object({
  stackId: z.string().min(1).nullable(),
  /** The stack's permanent uid when queued: a delivery of a deleted stack never goes to a new stack with its id. */
  stackUid: z.string().min(1).optional(),
  phoneNumberId: z.string().min(1).nullable(),
  body: z.string(),
  /** What the envelope holds, e.g. `messages.statuses`, `template_category_update` (for operators). */
  kinds: z.array(z.string()),
  inboundJobId: z.string().min(1),
  receivedAt: z.number(),
  unroutable: z.string().optional(),
});
export type WebhookDeliveryJob = z.infer<typeof webhookDeliveryJobSchema>;

/** Job ids allow letters, digits, `_`, `-` and `.`; anything else is hashed. */
const SAFE_ID = /^[\w.-]{1,64}$/;
const idPart = (value: string) => (SAFE_ID.test(value) ? value : `h${createHash('sha256').update(value).digest('hex').slice(0, 24)}`);

export type DeliveryTarget = { stackId: string } | { phoneNumberId: string } | 'unroutable';

/**
 * Deterministic delivery id: re-running an inbound job never duplicates a
 * delivery. Also the `webhook-id` header the client sees, stable across retries.
 */
export function webhookDeliveryJobId(inboundJobId: string, target: DeliveryTarget): string {
  if (target === 'unroutable') return `${inboundJobId}_unroutable`;
  if ('stackId' in target) return `${inboundJobId}_s_${idPart(target.stackId)}`;
  return `${inboundJobId}_p_${idPart(target.phoneNumberId)}`;
}

/** Inbound job id: a hash of the exact body, so Meta's re-posts of one payload dedupe. */
export function webhookInboundJobId(rawBody: Buffer | string): string {
  return `in_${createHash('sha256').update(rawBody).digest('hex').slice(0, 40)}`;
}
