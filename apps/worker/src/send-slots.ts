/**
 * Counts the sends a worker process has in flight and holds back the ones over
 * its limit, first come first served. Jobs carry many sends, so the limit is on
 * sends (what Meta, the sockets and memory see), not on jobs.
 */
export class SendSlots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

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
    if (next)
      next(); // the slot passes straight to the next send
    else this.active--;
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }
}
