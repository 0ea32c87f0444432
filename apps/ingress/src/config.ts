import { z } from 'zod';
import { auditEnv, commonEnv, gatewayProcessEnv, intFromEnv, optionalEnv, requireStacksSource } from '@gw/config';
import { ingressOperationsEnv } from './operations/config.ts';
import { graphPassthroughEnv } from './graph/graph-config.ts';
import { mediaEnv } from './graph/media/config.ts';

/** Blank (`META_APP_SECRET=` in a compose file) means unset. */
const optionalSecret = optionalEnv(z.string().min(1));

export const ingressEnvSchema = z
  .object({
    ...commonEnv,
    ...gatewayProcessEnv,
    ...auditEnv,
    ...ingressOperationsEnv,
    ...graphPassthroughEnv,
    ...mediaEnv,
    PORT: intFromEnv(0, 8080),
    HOST: z.string().default('0.0.0.0'),
    /** How long the ingress holds a client connection waiting for the send's result. */
    SEND_TIMEOUT_MS: intFromEnv(100, 30_000),
    /** How long enqueueing may take before the client gets a 503 (Redis down or slow). */
    ENQUEUE_TIMEOUT_MS: intFromEnv(50, 1000),
    /** Most sends one send-batch job carries (the sends of one event-loop tick); 1 turns batching off. */
    SEND_BATCH_MAX_ITEMS: intFromEnv(1, 64),
    /** When at least SEND_BATCH_WINDOW_PENDING sends await replies, a batch stays open this long (ms); 0: never. */
    SEND_BATCH_WINDOW_MS: intFromEnv(0, 10),
    /** "Busy": this many sends awaiting replies in this ingress; a closed loop of a few clients (c=16) stays under it and is never held. */
    SEND_BATCH_WINDOW_PENDING: intFromEnv(1, 64),
    /**
     * Send carriers: batches go onto this many lanes per ingress, each run by one long-lived BullMQ job at a time
     * (a few Redis commands per batch instead of a job's ~70); 0: one BullMQ job per batch.
     */
    SEND_CARRIERS: intFromEnv(0, 0),
    /** How long an Idempotency-Key is remembered. */
    IDEMPOTENCY_TTL_SECONDS: intFromEnv(60, 24 * 3600),
    /** Largest send body: a WhatsApp message (4,096-character text, templates, interactive) is a few KB. */
    BODY_LIMIT: z.string().default('64kb'),
    /** Sends per second per stack on one ingress; 0: twice the stack's messagesPerSecond, at least 100. */
    STACK_RATE_LIMIT_PER_SECOND: intFromEnv(0, 0),
    /** Sends of one stack in flight at once on one ingress (waiting for the worker's answer); 0: 2.5 s of the stack's messagesPerSecond, at least 256. */
    STACK_MAX_IN_FLIGHT: intFromEnv(0, 0),
    /** Warm-ups of one stack waiting or running at once. */
    WARMUP_MAX_QUEUED_PER_STACK: intFromEnv(1, 3),
    /** Verifies X-Hub-Signature-256 of Meta's webhooks; unset: POST /webhooks/meta answers 503. */
    META_APP_SECRET: optionalSecret,
    /** Expected hub.verify_token of Meta's GET /webhooks/meta handshake; unset: the handshake fails. */
    META_VERIFY_TOKEN: optionalSecret,
    /** Bearer token of the admin API; unset: the admin API answers 503. At least 24 characters. */
    ADMIN_TOKEN: optionalEnv(z.string().min(24, 'must be at least 24 characters (e.g. openssl rand -hex 16)')),
    /** Failed authentications (API key, admin token, login) one client may make per window before its attempts get 429. */
    AUTH_FAILURE_LIMIT: intFromEnv(1, 20),
    AUTH_FAILURE_WINDOW_SECONDS: intFromEnv(1, 60),
    /**
     * Express's "trust proxy": which proxies' X-Forwarded-For / X-Forwarded-Proto to believe, for the
     * client address (failed-auth throttling) and HTTPS. Unset: none (the socket's address). A hop
     * count (`1`), or addresses and subnets (`loopback, 10.0.0.0/8`); `true` trusts any sender.
     */
    TRUST_PROXY: z
      .string()
      .optional()
      .transform((v): boolean | number | string => {
        const value = v?.trim();
        if (!value || value === 'false') return false;
        if (value === 'true') return true;
        return /^\d+$/.test(value) ? Number(value) : value;
      }),
  })
  .superRefine(requireStacksSource);
export type IngressEnv = z.infer<typeof ingressEnvSchema>;
