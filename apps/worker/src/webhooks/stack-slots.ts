/**
 * Per-stack share of the delivery worker's slots. A stack at its limit waits
 * roughly as long as its deliveries take (a fast endpoint: a moment; a hanging
 * one: about the request timeout), so a big backlog for a dead endpoint is not
 * re-fetched in a tight loop.
 */
export class StackSlots {
  private readonly inFlight = new Map<string, number>();
  /** Smoothed attempt duration per stack, ms. */
  private readonly latency = new Map<string, number>();

  constructor(
    private readonly perStack: number,
    private readonly maxWaitMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  tryAcquire(stackId: string): boolean {
    const busy = this.inFlight.get(stackId) ?? 0;
    if (busy >= this.perStack) return false;
    this.inFlight.set(stackId, busy + 1);
    return true;
  }

  release(stackId: string, tookMs: number): void {
    const left = (this.inFlight.get(stackId) ?? 1) - 1;
    if (left > 0) this.inFlight.set(stackId, left);
    else this.inFlight.delete(stackId);
    const previous = this.latency.get(stackId);
    this.latency.set(stackId, previous === undefined ? tookMs : previous * 0.7 + tookMs * 0.3);
  }

  /** How long a job over the limit waits before it is looked at again (±25 % jitter). */
  waitMs(stackId: string): number {
    const expected = Math.min(Math.max(100, (this.latency.get(stackId) ?? 0) * 2), this.maxWaitMs);
    return Math.round(expected * (0.75 + this.random() * 0.5));
  }
}
