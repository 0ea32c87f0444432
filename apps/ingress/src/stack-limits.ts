/**
 * Per-stack limits of one ingress process: a token bucket of sends per second
 * and a cap on sends in flight (waiting for the worker's answer). Pure state
 * and arithmetic; the clock is passed in.
 */
export interface StackLimitsOptions {
  /** Sends per second per stack; 0: twice the stack's messagesPerSecond, at least DEFAULT_RATE_FLOOR. */
  ratePerSecond: number;
  /** Sends of one stack in flight at once on this process; 0: what its messagesPerSecond needs (inFlightOf). */
  maxInFlight: number;
}

export type Admission = { ok: true; release: () => void } | { ok: false; reason: 'rate' | 'in_flight'; retryAfterSeconds: number; limit: number };

interface Bucket {
  tokens: number;
  at: number;
  inFlight: number;
}

/**
 * The default rate never goes below this: under it the pacer's own 130429 (a
 * send waits up to PACING_MAX_WAIT_MS for its number's slot) is the better answer.
 */
export const DEFAULT_RATE_FLOOR = 100;

/** The bucket holds this many seconds of the rate: a burst as long as the pacer's own wait (PACING_MAX_WAIT_MS, 2 s) passes. */
export const BURST_SECONDS = 2;

/** The default in-flight cap never goes below this. */
export const DEFAULT_IN_FLIGHT_FLOOR = 256;

/**
 * Seconds of a stack's throughput a send may spend in flight by default: Meta's
 * slowest answers (about 0.5 s) plus the pacer's longest wait (PACING_MAX_WAIT_MS, 2 s).
 */
export const IN_FLIGHT_SECONDS = 2.5;

/** Idle buckets are dropped so a process that saw many stacks does not keep them all. */
const IDLE_MS = 60_000;

export class StackLimits {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  constructor(private readonly options: StackLimitsOptions) {}

  rateOf(messagesPerSecond: number): number {
    return this.options.ratePerSecond > 0 ? this.options.ratePerSecond : Math.max(DEFAULT_RATE_FLOOR, 2 * messagesPerSecond);
  }

  inFlightOf(messagesPerSecond: number): number {
    return this.options.maxInFlight > 0 ? this.options.maxInFlight : Math.max(DEFAULT_IN_FLIGHT_FLOOR, Math.ceil(IN_FLIGHT_SECONDS * messagesPerSecond));
  }

  /** Takes one send of `tenant` if its limits allow; call `release` when it is answered. */
  admit(tenant: string, messagesPerSecond: number, now = Date.now()): Admission {
    const rate = this.rateOf(messagesPerSecond);
    this.sweep(now);
    let bucket = this.buckets.get(tenant);
    const burst = rate * BURST_SECONDS;
    if (!bucket) {
      bucket = { tokens: burst, at: now, inFlight: 0 };
      this.buckets.set(tenant, bucket);
    }
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    const maxInFlight = this.inFlightOf(messagesPerSecond);
    if (bucket.inFlight >= maxInFlight) return { ok: false, reason: 'in_flight', retryAfterSeconds: 1, limit: maxInFlight };
    if (bucket.tokens < 1) return { ok: false, reason: 'rate', retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / rate)), limit: rate };
    bucket.tokens -= 1;
    bucket.inFlight += 1;
    let released = false;
    const held = bucket;
    return {
      ok: true,
      // A method, not an arrow assigned to a name: the loader's keepNames gives each such closure a property of its own.
      release() {
        if (released) return;
        released = true;
        held.inFlight -= 1;
      },
    };
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < IDLE_MS) return;
    this.lastSweep = now;
    for (const [tenant, bucket] of this.buckets) if (bucket.inFlight === 0 && now - bucket.at > IDLE_MS) this.buckets.delete(tenant);
  }
}
