import { AsyncLocalStorage } from 'node:async_hooks';
import type { SendResult } from '@gw/contracts';
import type { MetaCallEvent } from '@gw/meta-client';
import { statusClass, type GatewayMetrics } from '@gw/metrics';

/** One call to Meta made by a send, for its log line. */
export interface MetaCallTiming {
  endpoint: string;
  ms: number;
  status: number | string;
}

const FALLBACK_REASONS = new Set(['checked_fallback', 'stale_fallback', 'mm_unavailable_fallback']);

const outcomeOf = (call: MetaCallEvent) => (call.kind === 'response' ? statusClass(call.status ?? 0) : call.kind);

/**
 * Metrics of the send path, and the Meta calls of each send for its log line:
 * the meta client reports every call here, and an AsyncLocalStorage ties the
 * call to the send job that made it.
 */
export class SendObserver {
  private readonly calls = new AsyncLocalStorage<MetaCallTiming[]>();

  constructor(private readonly metrics: GatewayMetrics) {}

  /** The meta client's onCall. */
  readonly onMetaCall = (call: MetaCallEvent): void => {
    this.metrics.metaRequestDuration.observe({ endpoint: call.endpoint, outcome: outcomeOf(call) }, call.ms / 1000);
    this.calls.getStore()?.push({ endpoint: call.endpoint, ms: call.ms, status: call.kind === 'response' ? (call.status ?? 0) : call.kind });
  };

  /** Runs one send, collecting its Meta calls into `into`. */
  during<T>(into: MetaCallTiming[], send: () => Promise<T>): Promise<T> {
    return this.calls.run(into, send);
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
