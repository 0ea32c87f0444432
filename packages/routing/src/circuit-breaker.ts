export interface BreakerOptions {
  /** Consecutive outage-class failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one trial call is let through. */
  openMs: number;
}

type State = { kind: 'closed'; failures: number } | { kind: 'open'; until: number } | { kind: 'half_open'; trialSince: number };

/**
 * A circuit breaker per key (a WABA): after repeated outages the MM API is skipped
 * until one half-open trial succeeds. The clock is injected so tests need no waiting.
 */
export class KeyedCircuitBreaker {
  private readonly states = new Map<string, State>();

  constructor(
    private readonly options: BreakerOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a call may go out now. In half-open state only one trial is allowed at a time. */
  allows(key: string): boolean {
    const state = this.states.get(key);
    if (!state || state.kind === 'closed') return true;
    const now = this.now();
    if (state.kind === 'open') {
      if (now < state.until) return false;
      this.states.set(key, { kind: 'half_open', trialSince: now });
      return true;
    }
    // A trial that never reported back must not keep the circuit half-open forever.
    if (now - state.trialSince > this.options.openMs) {
      this.states.set(key, { kind: 'half_open', trialSince: now });
      return true;
    }
    return false;
  }

  success(key: string): void {
    this.states.delete(key);
  }

  failure(key: string): void {
    const state = this.states.get(key);
    if (state?.kind === 'half_open') {
      this.states.set(key, { kind: 'open', until: this.now() + this.options.openMs });
      return;
    }
    const failures = (state?.kind === 'closed' ? state.failures : 0) + 1;
    if (failures >= this.options.failureThreshold) this.states.set(key, { kind: 'open', until: this.now() + this.options.openMs });
    else this.states.set(key, { kind: 'closed', failures });
  }

  state(key: string): State['kind'] {
    return this.states.get(key)?.kind ?? 'closed';
  }
}
