import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const WAIT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Every metric the gateway exports, `gateway_*`, with low-cardinality labels
 * only (never a stack id, phone number or template name). Both processes
 * declare them all; each fills the ones its work touches.
 */
export function createGatewayMetrics(service: 'ingress' | 'worker') {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  return {
    registry,
    /** Worker: one per send, by the route taken and why. */
    messages: new Counter({
      name: 'gateway_messages_total',
      help: 'Sends finished, by route (marketing_messages, cloud_api, none), routing reason and HTTP status class of the answer.',
      labelNames: ['route', 'reason', 'status_class'] as const,
      registers,
    }),
    /** Worker: an MM attempt failed and the message went via the Cloud API. */
    fallbacks: new Counter({
      name: 'gateway_fallbacks_total',
      help: 'Fallbacks from the MM API to the Cloud API, by reason and the Meta error code of the MM failure ("none": timeout, connection error or a shared probe outcome).',
      labelNames: ['reason', 'error_code'] as const,
      registers,
    }),
    /** Worker: category cache reads. */
    categoryLookups: new Counter({
      name: 'gateway_category_cache_lookups_total',
      help: 'Category cache reads: result (hit, miss, error), the source of a hit (learned, sync, webhook; "none" otherwise) and the tier that answered (local, redis).',
      labelNames: ['result', 'source', 'tier'] as const,
      registers,
    }),
    /** Worker: every call to Meta's Graph API; ingress: every Graph pass-through call. */
    metaRequestDuration: new Histogram({
      name: 'gateway_meta_request_duration_seconds',
      help: 'Latency of calls to Meta, by endpoint (worker: messages, marketing_messages, messages_encrypted, message_templates, waba; ingress Graph pass-through: graph_message_templates, graph_template, graph_business_profile, graph_phone_number, graph_waba; media: graph_media_upload, graph_media, graph_media_download) and outcome (2xx, 4xx, 5xx, timeout, not_sent, unreachable).',
      labelNames: ['endpoint', 'outcome'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    /** Worker: one send, from start of processing to the reply. */
    sendDuration: new Histogram({
      name: 'gateway_send_duration_seconds',
      help: 'Processing time of one send in the worker (category lookup, Meta calls, ledger, reply), by route.',
      labelNames: ['route'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    /** Worker: how long jobs waited in their queue before a worker took them (first attempts only). */
    queueWait: new Histogram({
      name: 'gateway_queue_wait_seconds',
      help: 'Time a job waited in its queue before a worker started it (first attempts; delays and retries excluded).',
      labelNames: ['queue'] as const,
      buckets: WAIT_BUCKETS,
      registers,
    }),
    /** Both: sampled every QUEUE_METRICS_INTERVAL_MS; the values are global, so aggregate with max(). */
    queueJobs: new Gauge({
      name: 'gateway_queue_jobs',
      help: 'Jobs per queue and state (waiting, active, delayed, prioritized, paused, failed, completed), read from Redis.',
      labelNames: ['queue', 'state'] as const,
      registers,
    }),
    deadLetters: new Gauge({
      name: 'gateway_dead_letters',
      help: 'Parked jobs waiting for an operator (the failed set of the webhook queues), read from Redis.',
      labelNames: ['queue'] as const,
      registers,
    }),
    /** Worker: one per webhook delivery attempt. */
    webhookDeliveries: new Counter({
      name: 'gateway_webhook_deliveries_total',
      help: 'Webhook delivery attempts to stacks, by outcome (delivered, retrying, dead_lettered) and attempt number (1, 2, 3, 4-5, 6-10, 11+).',
      labelNames: ['outcome', 'attempt'] as const,
      registers,
    }),
    /** Ingress: every HTTP request, by route pattern. */
    httpRequestDuration: new Histogram({
      name: 'gateway_http_request_duration_seconds',
      help: 'HTTP requests served by the ingress, by method, route pattern and status class.',
      labelNames: ['method', 'route', 'status_class'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    /** Ingress: sends per send-batch job (the sends received in one event-loop tick). */
    sendBatchSize: new Histogram({
      name: 'gateway_send_batch_size',
      help: 'Sends per send-batch job queued by the ingress (the sends it received in one event-loop tick, at most SEND_BATCH_MAX_ITEMS).',
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers,
    }),
    /** Ingress: what clients of /messages and /marketing_messages were answered, including timeouts. */
    sendResponses: new Counter({
      name: 'gateway_send_responses_total',
      help: 'Answers to send requests as the client saw them, by route, reason and status class (includes 503 enqueue failures and 504 timeouts).',
      labelNames: ['route', 'reason', 'status_class'] as const,
      registers,
    }),
    /** Worker with AUDIT_DATABASE_URL: what the PostgreSQL audit sink did with the events since start. */
    auditSinkEvents: new Gauge({
      name: 'gateway_audit_sink_events',
      help: 'Audit events the PostgreSQL sink (AUDIT_DATABASE_URL) handled since the worker started, by state: written, dropped (buffer full or a failed batch), pending (buffered).',
      labelNames: ['state'] as const,
      registers,
    }),
    stacks: new Gauge({
      name: 'gateway_stacks',
      help: 'Stacks this process knows.',
      registers,
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

/** `2xx`, `4xx`, ...: a status code as a low-cardinality label. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}

/** Attempt numbers grouped so a long retry schedule stays a handful of series. */
export function attemptBucket(attempt: number): string {
  if (attempt <= 3) return String(Math.max(1, attempt));
  if (attempt <= 5) return '4-5';
  if (attempt <= 10) return '6-10';
  return '11+';
}

/** The exposition text for /metrics. */
export async function renderMetrics(metrics: { registry: Registry }): Promise<{ contentType: string; body: string }> {
  return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
}
