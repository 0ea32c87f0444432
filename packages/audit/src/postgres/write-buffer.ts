/**
 * A bounded in-memory queue drained in batches by one writer at a time. push() never waits and never
 * throws: when the buffer is full the newest items are dropped and counted, so a slow or absent
 * database costs memory up to the bound and nothing on the send path.
 */
export interface WriteBufferOptions<T> {
  /** Most items held; beyond it pushes are dropped. */
  capacity: number;
  /** Items per write. */
  batchSize: number;
  /** How long an item may wait for a fuller batch. */
  flushIntervalMs: number;
  write(batch: T[]): Promise<void>;
  /** Told about a failed write; the batch is dropped (counted), never retried into a send. */
  onError(error: unknown, lost: number): void;
}

export interface WriteBufferStats {
  written: number;
  dropped: number;
  failedBatches: number;
  pending: number;
}

export class WriteBuffer<T> {
  private items: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private closed = false;
  private readonly counts = { written: 0, dropped: 0, failedBatches: 0 };

  constructor(private readonly options: WriteBufferOptions<T>) {}

  push(items: readonly T[]): void {
    if (this.closed) {
      this.counts.dropped += items.length;
      return;
    }
    const room = this.options.capacity - this.items.length;
    if (room < items.length) this.counts.dropped += items.length - Math.max(room, 0);
    if (room > 0) this.items.push(...(room >= items.length ? items : items.slice(0, room)));
    if (this.items.length >= this.options.batchSize) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.options.flushIntervalMs).unref();
  }

  stats(): WriteBufferStats {
    return { ...this.counts, pending: this.items.length };
  }

  /** Writes everything pushed so far; resolves when it is written (or its failure counted). */
  async flush(): Promise<void> {
    while (this.items.length > 0 || this.draining) {
      this.kick();
      await this.draining;
    }
  }

  /** Flushes what is left and refuses further pushes. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    clearTimeout(this.timer);
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
      // Items pushed during the drain wait for their own timer, not for the next push.
      if (this.items.length > 0 && !this.closed) this.timer ??= setTimeout(() => this.kick(), this.options.flushIntervalMs).unref();
    });
  }

  private async drain(): Promise<void> {
    while (this.items.length > 0) {
      const batch = this.items.splice(0, this.options.batchSize);
      try {
        await this.options.write(batch);
        this.counts.written += batch.length;
      } catch (error) {
        this.counts.failedBatches += 1;
        this.counts.dropped += batch.length;
        this.options.onError(error, batch.length);
      }
    }
  }
}
