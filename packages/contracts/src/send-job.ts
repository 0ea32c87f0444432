import { z } from 'zod';

/** `messages_encrypted`: a JWE the gateway cannot read, passed to the Cloud API unrouted. */
export const SEND_ENDPOINTS = ['messages', 'marketing_messages', 'messages_encrypted'] as const;
export type SendEndpoint = (typeof SEND_ENDPOINTS)[number];

/**
 * One client send inside a send-batch job. Never holds a secret: the worker
 * resolves the stack by id. `id` is what the client sees as its job id.
 */
export const sendItemSchema = z.object({
  id: z.string().min(1),
  stackId: z.string().min(1),
  /** The stack's tenant (`tenantOf`: its permanent uid) as the ingress authenticated it; the send's audit is kept under it. Absent: the worker's own directory decides. */
  tenant: z.string().min(1).optional(),
  endpoint: z.enum(SEND_ENDPOINTS),
  // Not z.record: a payload may legitimately carry keys such as "constructor".
  payload: z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'must be an object'),
  receivedAt: z.number(),
  /** The client's Idempotency-Key record; the worker stores the final result there. */
  /** `key`: the client's key as sent, for the message's audit entry. */
  idempotency: z.object({ record: z.string(), fingerprint: z.string(), key: z.string().optional() }).optional(),
});
export type SendItem = z.infer<typeof sendItemSchema>;

/**
 * What the ingress hands the worker: every send it received in one event-loop
 * tick, as one BullMQ job (BullMQ's own Redis work is per job, not per send).
 * The worker runs the items concurrently and replies to each as soon as it is done.
 */
export const sendBatchJobSchema = z.object({
  /** Pub/sub channel of the ingress process holding the client connections. */
  replyTo: z.string().min(1),
  items: z.array(z.unknown()).min(1),
});
export interface SendBatchJob {
  replyTo: string;
  items: SendItem[];
}

/**
 * What a finished send-batch job keeps of each message: its type and template
 * (name, language), never the recipient or the content. Finished jobs stay in
 * Redis for a while; full payloads would make that cost grow with body size.
 */
export function payloadSummary(payload: Record<string, unknown>): Record<string, unknown> {
  const template = payload.template as { name?: unknown; language?: { code?: unknown } } | undefined;
  return {
    removed: 'the message is not kept after the send',
    ...(typeof payload.type === 'string' ? { type: payload.type } : {}),
    ...(template && typeof template === 'object'
      ? {
          template: {
            name: typeof template.name === 'string' ? template.name : undefined,
            language: typeof template.language?.code === 'string' ? template.language.code : undefined,
          },
        }
      : {}),
  };
}

/** A finished send-batch job's data: every item's payload replaced by its summary. */
export function finishedBatchData(data: { replyTo: string; items: unknown[] }): { replyTo: string; items: unknown[] } {
  return {
    replyTo: data.replyTo,
    items: data.items.map((item) => {
      const payload = (item as { payload?: unknown } | null)?.payload;
      return payload && typeof payload === 'object' && !Array.isArray(payload) ? { ...(item as object), payload: payloadSummary(payload as Record<string, unknown>) } : item;
    }),
  };
}

/** A send-batch job's return value: each item's answer by item id. */
export interface SendBatchResult {
  results: Record<string, SendResult>;
}

/** Item ids are `<queue job id>.<index>`, so the job of any item can be found. */
export const sendItemId = (batchJobId: string, index: number): string => `${batchJobId}.${index}`;
export const batchJobIdOf = (itemId: string): string => {
  const dot = itemId.lastIndexOf('.');
  return dot < 0 ? itemId : itemId.slice(0, dot);
};

export type Route = 'marketing_messages' | 'cloud_api';

/** Every `x-gateway-route-reason`, documented in the README's table and the OpenAPI document. */
export const ROUTE_REASONS = [
  'routing_disabled',
  'not_template',
  'cached_marketing',
  'cached_non_marketing',
  'checked_accepted',
  'checked_fallback',
  'stale_fallback',
  'mm_unavailable_fallback',
  'mm_waba_unavailable',
  'mm_circuit_open',
  'template_syncing',
  'mm_timeout',
  'direct',
  'status_update',
  'encrypted',
  'not_individual',
  'max_price',
  'mm_pass_through',
  'invalid_parameter_fallback',
  'cloud_marketing_off',
  'paced',
  'gateway_error',
] as const;
export type RouteReason = (typeof ROUTE_REASONS)[number];

/** The one answer a send job produces; the ingress writes it to the client unchanged. */
export interface SendResult {
  status: number;
  body: unknown;
  route: Route | 'none';
  reason: RouteReason;
  /** Meta error code of the MM attempt that led to a fallback, if any. */
  mmErrorCode?: number;
  wamid?: string;
}

/** What an Idempotency-Key remembers: the request's fingerprint and, once known, its one answer. */
export interface IdempotencyRecord {
  /** sha256 of endpoint + body. */
  fingerprint: string;
  /** The send's item id. */
  jobId: string;
  state: 'pending' | 'done';
  result?: SendResult;
}

/** One send's answer; a worker publishes a JSON list of these on the ingress's reply channel. */
export interface SendReply {
  /** The item id. */
  jobId: string;
  result: SendResult;
}

/**
 * The ingress of the worker's own process (`pnpm gateway` with GATEWAY_PROCESSES): replies to its
 * channel are handed over in memory instead of published. `channel()` is undefined until it listens.
 */
export interface LocalReplies {
  channel(): string | undefined;
  deliver(replies: SendReply[]): void;
}
