import { z } from 'zod';

/**
 * The part of a Cloud API message the gateway relies on. Everything else passes
 * through untouched, so new Meta fields keep working.
 */
const templateSchema = z.looseObject({
  name: z.string().min(1).max(512),
  language: z.looseObject({ code: z.string().min(2).max(15) }),
  components: z.array(z.looseObject({ type: z.string() })).optional(),
});

/**
 * Validates only what routing reads: the product, who a send goes to (`to`, or
 * since May 2026 a business-scoped user id in `recipient`), and a template's name
 * and language. Mark-as-read and typing indicators (`status: "read"` with a
 * `message_id`, no `to`, no `type`) are calls, not sends. Every other field, known
 * or not yet known, is kept as the client sent it.
 */
export const messagePayloadSchema = z
  .looseObject({
    messaging_product: z.literal('whatsapp'),
    recipient_type: z.string().optional(),
    // Meta takes a phone number as a string or a JSON number.
    to: z.union([z.string().min(1).max(64), z.number().int().nonnegative()]).optional(),
    recipient: z.string().min(1).max(128).optional(),
    type: z.string().min(1).max(32).optional(),
    template: templateSchema.optional(),
    status: z.string().min(1).optional(),
    message_id: z.string().min(1).optional(),
  })
  .superRefine((value, ctx) => {
    if (value.status !== undefined) {
      if (value.message_id === undefined) {
        ctx.addIssue({ code: 'custom', path: ['message_id'], message: 'The parameter message_id is required with status.' });
      }
      return;
    }
    if (value.to === undefined && value.recipient === undefined) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'The parameter to (or recipient) is required.' });
    }
    if (value.type === 'template' && !value.template) {
      ctx.addIssue({ code: 'custom', path: ['template'], message: 'is required when type is "template"' });
    }
  });

export type MessagePayload = z.infer<typeof messagePayloadSchema>;

export interface TemplateRef {
  name: string;
  language: string;
}

export function templateOf(payload: Record<string, unknown>): TemplateRef | undefined {
  if (payload.type !== 'template') return undefined;
  const template = payload.template as { name?: unknown; language?: { code?: unknown } } | undefined;
  if (typeof template?.name !== 'string' || typeof template.language?.code !== 'string') return undefined;
  return { name: template.name, language: template.language.code };
}

/** Mark-as-read or typing indicator: a call about a received message, never routed. */
export function isStatusUpdate(payload: Record<string, unknown>): boolean {
  return payload.status !== undefined && payload.message_id !== undefined;
}

/** Only individual sends may go to the MM API; groups and any future kind go to the Cloud API. */
export function isIndividual(payload: Record<string, unknown>): boolean {
  return payload.recipient_type === undefined || payload.recipient_type === 'individual';
}

/** A maximum-price send: the Cloud API refuses it (131061), so it goes to the MM API only. */
export function hasMaxPrice(payload: Record<string, unknown>): boolean {
  return payload.bid_spec !== undefined && payload.bid_spec !== null;
}

/** Fields the MM API takes and the Cloud API does not (README, "Routing rules"). */
export const MM_ONLY_FIELDS = ['product_policy', 'message_activity_sharing', 'bid_spec'] as const;

/** The same message without MM-only fields, for a Cloud API send; the input is not changed. */
export function withoutMmOnlyFields(payload: Record<string, unknown>): Record<string, unknown> {
  if (!MM_ONLY_FIELDS.some((field) => field in payload)) return payload;
  const copy = { ...payload };
  for (const field of MM_ONLY_FIELDS) delete copy[field];
  return copy;
}

/**
 * What is wrong with a send's payload (describePayloadIssue), or undefined when the gateway can route it. Returns no
 * parsed copy: a request handler that kept zod's copy of every payload would hold it while the send waits on Meta.
 */
export function messagePayloadIssue(payload: unknown): string | undefined {
  const parsed = messagePayloadSchema.safeParse(payload);
  return parsed.success ? undefined : describePayloadIssue(parsed.error);
}

/** A Meta-style description of the first problem, naming the field. */
export function describePayloadIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'Invalid message payload.';
  const field = issue.path.join('.') || '(body)';
  return `Invalid value for "${field}": ${issue.message}`;
}
