import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { enqueue, JOBS, sendItemId, type SendBatchJob, type SendItem } from '@gw/contracts';
import type { SendCarriers } from './send-carriers.ts';

export interface SendBatcherOptions {
  queue: Queue;
  /** This process's reply channel. */
  replyTo: string;
  /** A batch closes at once when it holds this many sends. */
  maxItems: number;
  /**
   * How long a batch stays open when the ingress is busy (0: one event-loop tick always).
   * Clients waiting hundreds of ms on Meta do not notice a few ms, and Redis work is per job.
   */
  windowMs?: number;
  /** Whether the ingress is busy enough to hold a batch open for windowMs (sends awaiting replies). */
  busy?: () => boolean;
  /** How long the ingress waits for a send's result: finished jobs are kept for twice that. */
  sendTimeoutMs: number;
  /** Told the size of every batch queued (metrics); must not throw. */
  onBatch?: (sends: number) => void;
  /** Send carriers (SEND_CARRIERS): a batch is pushed for one instead of being a job of its own. */
  carriers?: SendCarriers;
}

/** A reserved place in a batch: its id is known before the send is (an Idempotency-Key records it first). */
export interface SendSlot {
  id: string;
  /** Puts the send in its place; resolves once its batch is queued, rejects when Redis refused it (nothing was sent). */
  fill(item: Omit<SendItem, 'id'>): Promise<void>;
  /** Gives the place up (the send will not be made). */
  cancel(): void;
}

interface Batch {
  jobId: string;
  items: SendItem[];
  reserved: number;
  /** Places reserved but neither filled nor cancelled yet. */
  outstanding: number;
  closed: boolean;
  flushed: boolean;
  enqueued: Promise<void>;
  settle: (error?: unknown) => void;
}

/** A place reserved in a batch, filled or cancelled once. */
class BatchSlot implements SendSlot {
  private done = false;

  constructor(
    readonly id: string,
    private readonly batch: Batch,
    private readonly released: (batch: Batch) => void,
  ) {}

  fill(item: Omit<SendItem, 'id'>): Promise<void> {
    this.batch.items.push({ ...item, id: this.id });
    this.release();
    return this.batch.enqueued;
  }

  cancel(): void {
    this.release();
  }

  private release(): void {
    if (this.done) throw new Error(`send slot ${this.id} used twice`);
    this.done = true;
    this.released(this.batch);
  }
}

/**
 * Collects the sends of one event-loop tick (or of a short window when busy) into one send-batch job. BullMQ's
 * Redis work (add, fetch, finish, events, trimming) is per job, so a busy ingress
 * pays it once per tick instead of once per message; a quiet one queues batches of one.
 * A batch closes after the tick that opened it (or when full) and is queued once
 * every reserved place is filled or cancelled.
 *
 * Part of the exactly-once answer: docs/architecture.md, "Exactly one answer, never a second send".
 */
export class SendBatcher {
  private open: Batch | undefined;

  constructor(private readonly options: SendBatcherOptions) {}

  reserve(): SendSlot {
    const batch = this.open ?? this.openBatch();
    const id = sendItemId(batch.jobId, batch.reserved++);
    batch.outstanding++;
    if (batch.reserved >= this.options.maxItems) this.close(batch);
    return new BatchSlot(id, batch, this.released);
  }

  /** A place of the batch was filled or cancelled. One function for all slots: a send in flight holds no closure of its own here. */
  private readonly released = (batch: Batch): void => {
    batch.outstanding--;
    this.flushIfReady(batch);
  };

  private openBatch(): Batch {
    let settle!: Batch['settle'];
    const enqueued = new Promise<void>((resolve, reject) => {
      settle = (error) => (error === undefined ? resolve() : reject(error instanceof Error ? error : new Error('enqueue failed')));
    });
    const batch: Batch = { jobId: randomUUID(), items: [], reserved: 0, outstanding: 0, closed: false, flushed: false, enqueued, settle };
    // Every request that arrives in this tick joins; the batch closes right after it, or,
    // when many sends are already waiting on Meta, after a short window.
    const { windowMs = 0, busy } = this.options;
    if (windowMs > 0 && busy?.()) setTimeout(() => this.close(batch), windowMs);
    else setImmediate(() => this.close(batch));
    this.open = batch;
    return batch;
  }

  private close(batch: Batch): void {
    batch.closed = true;
    if (this.open === batch) this.open = undefined;
    this.flushIfReady(batch);
  }

  private flushIfReady(batch: Batch): void {
    if (!batch.closed || batch.outstanding > 0 || batch.flushed) return;
    batch.flushed = true;
    if (batch.items.length === 0) return batch.settle();
    this.options.onBatch?.(batch.items.length);
    const data: SendBatchJob = { replyTo: this.options.replyTo, items: batch.items };
    // No deadline here: an enqueue that is slow may still land, and its sends then go out (the dispatcher decides what to answer).
    const queued: Promise<unknown> = this.options.carriers
      ? this.options.carriers.push(batch.jobId, data)
      : enqueue(this.options.queue, JOBS.sendBatch, data, { sendTimeoutMs: this.options.sendTimeoutMs }, { jobId: batch.jobId });
    queued.then(
      () => batch.settle(),
      (error: unknown) => batch.settle(error ?? new Error('enqueue failed')),
    );
  }
}
