/**
 * Counts the sends a worker process has in flight and holds back the ones over
 * its limit, first come first served. Jobs carry many sends, so the limit is on
 * sends (what Meta, the sockets and memory see), not on jobs.
 */
export class SendSlots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly freeWaiters: Array<() => void> = [];

  constructor(readonly limit: number) {}

  /** Resolves once the send may start; call release() when it is over. */
  acquire(): Promise<void> | undefined {
    if (this.active < this.limit) {
      this.active++;
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) {
      next(); // the slot passes straight to the next send
      return;
    }
    this.active--;
    for (const free of this.freeWaiters.splice(0)) free();
  }

  /** Whether a send could start at once (a slot is free and none waits). */
  get free(): boolean {
    return this.active < this.limit && this.waiting.length === 0;
  }

  /** Undefined while a send could start at once; else resolves once one could (a slot is free and none waits). */
  whenFree(): Promise<void> | undefined {
    if (this.free) return undefined;
    return new Promise((resolve) => this.freeWaiters.push(resolve));
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }
}
