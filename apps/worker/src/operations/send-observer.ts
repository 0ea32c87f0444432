import { QUEUES, type SendResult } from '@gw/contracts';
import type { MetaCallEvent } from '@gw/meta-client';
import { statusClass, type GatewayMetrics } from '@gw/metrics';

const FALLBACK_REASONS = new Set(['checked_fallback', 'stale_fallback', 'mm_unavailable_fallback', 'invalid_parameter_fallback']);

const outcomeOf = (call: MetaCallEvent) => (call.kind === 'response' ? statusClass(call.status ?? 0) : call.kind);

/** Metrics of the send path: the meta client reports every call here, the processor every send. */
export class SendObserver {
  constructor(private readonly metrics: GatewayMetrics) {}

  /** The meta client's onCall. */
  readonly onMetaCall = (call: MetaCallEvent): void => {
    this.metrics.metaRequestDuration.observe({ endpoint: call.endpoint, outcome: outcomeOf(call) }, call.ms / 1000);
  };

  /** A send carrier took a batch: its queue wait, from its oldest send's arrival at the ingress. */
  onCarriedBatch(receivedAt: number): void {
    this.metrics.queueWait.observe({ queue: QUEUES.send }, Math.max(0, Date.now() - receivedAt) / 1000);
  }

  onSend(result: SendResult, durationMs: number): void {
    const { route, reason } = result;
    this.metrics.messages.inc({ route, reason, status_class: statusClass(result.status) });
    this.metrics.sendDuration.observe({ route }, durationMs / 1000);
    if (route === 'cloud_api' && FALLBACK_REASONS.has(reason)) {
      this.metrics.fallbacks.inc({ reason, error_code: result.mmErrorCode === undefined ? 'none' : String(result.mmErrorCode) });
    }
  }
}
