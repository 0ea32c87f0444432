import { z } from 'zod';
import { sampleLatency, type LatencyModel } from './latency.ts';
import type { Endpoint } from './request-log.ts';

export const faultErrorSchema = z.object({
  status: z.number().int().min(100).max(599),
  code: z.number().int(),
  message: z.string().min(1).optional(),
});

export const faultSchema = z.strictObject({
  /** Median latency; with latencyP99Ms, the log-normal of the latency model. */
  latencyMs: z.number().min(0).optional(),
  latencyP99Ms: z.number().min(0).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  error: faultErrorSchema.optional(),
  outage: z.boolean().optional(),
  hang: z.boolean().optional(),
  hangMs: z.number().min(0).optional(),
  remaining: z.number().int().min(1).optional(),
});

export type Fault = z.output<typeof faultSchema>;
export type FaultError = z.output<typeof faultErrorSchema>;

/** What the graph pipeline should do with one request. */
export type FaultDecision = { kind: 'pass'; delayMs: number } | { kind: 'fail'; delayMs: number; error: FaultError } | { kind: 'hang' };

// What Meta answers during an outage: MM reports a generic 131000 as HTTP 500,
// the Cloud API a 131016 "service unavailable".
const DEFAULT_ERRORS: Record<Endpoint, FaultError> = {
  messages: { status: 503, code: 131016 },
  marketing_messages: { status: 500, code: 131000 },
  message_templates: { status: 503, code: 131016 },
  messages_encrypted: { status: 503, code: 131016 },
  waba: { status: 503, code: 2 },
  media: { status: 503, code: 2 },
  template_manage: { status: 503, code: 2 },
  template: { status: 503, code: 2 },
  business_profile: { status: 503, code: 2 },
  phone_number: { status: 503, code: 2 },
};

/** Endpoints that send messages: the base latency model (SIM_LATENCY_*) applies to them. */
const SEND_ENDPOINTS: ReadonlySet<Endpoint> = new Set(['messages', 'marketing_messages']);

export class FaultStore {
  #faults = new Map<Endpoint, Fault>();

  /** @param sendLatency latency of every send when no fault sets one (SIM_LATENCY_MEDIAN_MS, SIM_LATENCY_P99_MS). */
  constructor(private readonly sendLatency: LatencyModel = { medianMs: 0 }) {}

  #baseDelay(endpoint: Endpoint): number {
    return SEND_ENDPOINTS.has(endpoint) ? sampleLatency(this.sendLatency) : 0;
  }

  set(endpoint: Endpoint, fault: Fault): void {
    this.#faults.set(endpoint, { ...fault });
  }

  clear(endpoint?: Endpoint): void {
    if (endpoint) this.#faults.delete(endpoint);
    else this.#faults.clear();
  }

  all(): Partial<Record<Endpoint, Fault>> {
    return Object.fromEntries(this.#faults);
  }

  /** Decides the fate of one request and consumes one use of a `remaining` fault. */
  take(endpoint: Endpoint): FaultDecision {
    const fault = this.#faults.get(endpoint);
    if (!fault) return { kind: 'pass', delayMs: this.#baseDelay(endpoint) };
    if (fault.remaining !== undefined) {
      fault.remaining -= 1;
      if (fault.remaining <= 0) this.#faults.delete(endpoint);
    }
    if (fault.hang) return { kind: 'hang' };
    const latency = fault.latencyMs !== undefined ? sampleLatency({ medianMs: fault.latencyMs, p99Ms: fault.latencyP99Ms }) : this.#baseDelay(endpoint);
    const delayMs = latency + (fault.hangMs ?? 0);
    const error = fault.error ?? DEFAULT_ERRORS[endpoint];
    if (fault.outage) return { kind: 'fail', delayMs, error };
    if (fault.errorRate !== undefined && Math.random() < fault.errorRate) return { kind: 'fail', delayMs, error };
    return { kind: 'pass', delayMs };
  }
}
