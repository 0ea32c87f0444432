export interface BreakerOptions {
  /** Consecutive outage-class failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one trial call is let through. */
  openMs: number;
  /** Told when this breaker opens a circuit (until: epoch ms) or closes one, to share it with other processes. */
  onOpen?: (key: string, until: number) => void;
  onClose?: (key: string) => void;
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
    const state = this.states.get(key);
    this.states.delete(key);
    if (state && state.kind !== 'closed') this.options.onClose?.(key);
  }

  failure(key: string): void {
    const state = this.states.get(key);
    const failures = (state?.kind === 'closed' ? state.failures : 0) + 1;
    if (state?.kind === 'half_open' || failures >= this.options.failureThreshold) {
      const until = this.now() + this.options.openMs;
      this.states.set(key, { kind: 'open', until });
      this.options.onOpen?.(key, until);
    } else this.states.set(key, { kind: 'closed', failures });
  }

  /** Another process opened this circuit until `until` (epoch ms); nothing is told back. */
  openedElsewhere(key: string, until: number): void {
    const state = this.states.get(key);
    if (until <= this.now() || (state?.kind === 'open' && state.until >= until)) return;
    this.states.set(key, { kind: 'open', until });
  }

  /** Another process closed this circuit (its trial succeeded); nothing is told back. */
  closedElsewhere(key: string): void {
    this.states.delete(key);
  }

  state(key: string): State['kind'] {
    return this.states.get(key)?.kind ?? 'closed';
  }
}
