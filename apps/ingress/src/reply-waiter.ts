import type { Redis } from 'ioredis';
import type { SendReply, SendResult } from '@gw/contracts';

interface Pending {
  resolve: (result: SendResult | undefined) => void;
  timer: NodeJS.Timeout;
}

/** A wait's timer (a function of the module, not a closure per wait): it resolves undefined. */
function expire(pending: Map<string, Pending>, jobId: string): void {
  const entry = pending.get(jobId);
  pending.delete(jobId);
  entry?.resolve(undefined);
}

/**
 * The one reply mechanism of an ingress process: workers publish each result on
 * this process's channel, and a map routes it to the waiting request.
 *
 * Part of the exactly-once answer: docs/architecture.md, "Exactly one answer, never a second send".
 */
export class ReplyWaiter {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly subscriber: Redis,
    readonly channel: string,
  ) {
    subscriber.on('message', (chan: string, message: string) => {
      if (chan === channel) this.onMessage(message);
    });
  }

  async start(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
  }

  /** Register before enqueueing, so a fast reply cannot arrive unheard. Resolves undefined on timeout. */
  wait(jobId: string, timeoutMs: number): Promise<SendResult | undefined> {
    return new Promise((resolve) => {
      this.pending.set(jobId, { resolve, timer: setTimeout(expire, timeoutMs, this.pending, jobId) });
    });
  }

  cancel(jobId: string): void {
    const entry = this.pending.get(jobId);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.pending.delete(jobId);
  }

  get size(): number {
    return this.pending.size;
  }

  /** A worker's message is the list of replies it finished in one tick. */
  private onMessage(message: string): void {
    let replies: SendReply[];
    try {
      replies = JSON.parse(message) as SendReply[];
    } catch {
      return;
    }
    if (Array.isArray(replies)) this.deliver(replies);
  }

  /** Hands each reply to its waiting request (a worker in this process calls it directly: no Redis round trip). */
  deliver(replies: SendReply[]): void {
    for (const reply of replies) {
      const entry = this.pending.get(reply.jobId);
      if (!entry) continue; // late: the request already timed out and read the job itself
      clearTimeout(entry.timer);
      this.pending.delete(reply.jobId);
      entry.resolve(reply.result);
    }
  }
}
