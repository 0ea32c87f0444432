import { randomUUID } from 'node:crypto';
import { Job, type Queue } from 'bullmq';
import { gatewayErrors, SEND_JOB_OPTIONS, type SendEndpoint, type SendJob, type SendResult } from '@gw/contracts';
import type { IdempotencyStore } from './idempotency-store.ts';
import type { ReplyWaiter } from './reply-waiter.ts';
import { withTimeout } from './with-timeout.ts';

export interface DispatchRequest {
  stackId: string;
  endpoint: SendEndpoint;
  payload: Record<string, unknown>;
  idempotencyKey?: string;
}

export type DispatchResult = SendResult & { jobId?: string; replayed?: boolean };

export interface SendDispatcherOptions {
  queue: Queue;
  replies: ReplyWaiter;
  idempotency: IdempotencyStore;
  sendTimeoutMs: number;
  enqueueTimeoutMs: number;
  /** How often a long wait checks whether the job's worker died. */
  jobCheckIntervalMs?: number;
  /** Told every answer (metrics); must not throw. */
  onResult?: (result: DispatchResult) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const unavailable = (): DispatchResult => ({
  ...gatewayErrors.unavailable('The send queue is unavailable; nothing was sent. Retry later.'),
  route: 'none',
  reason: 'gateway_error',
});

/** Enqueues a send job and waits for its one result; honours Idempotency-Key. */
export class SendDispatcher {
  constructor(private readonly options: SendDispatcherOptions) {}

  async dispatch(request: DispatchRequest): Promise<DispatchResult> {
    const result = await this.dispatchOnce(request);
    this.options.onResult?.(result);
    return result;
  }

  private async dispatchOnce(request: DispatchRequest): Promise<DispatchResult> {
    const { idempotency, enqueueTimeoutMs } = this.options;
    const jobId = randomUUID();
    const deadline = Date.now() + this.options.sendTimeoutMs;
    let idem: SendJob['idempotency'];
    if (request.idempotencyKey) {
      const record = idempotency.recordKey(request.stackId, request.idempotencyKey);
      const fingerprint = idempotency.fingerprint(request.endpoint, request.payload);
      let existing;
      try {
        existing = await withTimeout(idempotency.claim(record, { fingerprint, jobId, state: 'pending' }), enqueueTimeoutMs);
      } catch {
        return unavailable();
      }
      if (existing) {
        if (existing.fingerprint !== fingerprint) return { ...gatewayErrors.idempotencyMismatch(), route: 'none', reason: 'gateway_error' };
        return this.awaitEarlier(record, existing.jobId, deadline);
      }
      idem = { record, fingerprint };
    }

    const reply = this.options.replies.wait(jobId, this.options.sendTimeoutMs);
    const { stackId, endpoint, payload } = request;
    const data: SendJob = { stackId, endpoint, payload, replyTo: this.options.replies.channel, receivedAt: Date.now(), idempotency: idem };
    try {
      await withTimeout(this.options.queue.add('send', data, { ...SEND_JOB_OPTIONS, jobId }), enqueueTimeoutMs);
    } catch {
      // Not enqueued, so nothing was sent: free the key and let the client retry.
      this.options.replies.cancel(jobId);
      if (idem) await idempotency.release(idem.record).catch(() => undefined);
      return unavailable();
    }
    const result = await this.awaitJob(jobId, reply, deadline, idem);
    return { ...result, jobId };
  }

  /**
   * The reply, or a dead worker noticed while waiting, or the timeout answer. The
   * job-state check runs only for waits longer than one interval, and its timer
   * is cleared as soon as the reply arrives.
   */
  private awaitJob(jobId: string, reply: Promise<SendResult | undefined>, deadline: number, idem: SendJob['idempotency']): Promise<SendResult> {
    return new Promise((resolve) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (result: SendResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(result);
      };
      const settleFrom = async (outcome: Awaited<ReturnType<SendDispatcher['jobOutcome']>>): Promise<boolean> => {
        if (outcome === 'lost') {
          this.options.replies.cancel(jobId);
          finish(await this.recordLost(jobId, idem));
          return true;
        }
        if (outcome && outcome !== 'pending') {
          // Finished, but its reply never came (a reconnecting subscriber): use the stored result.
          this.options.replies.cancel(jobId);
          finish(outcome);
          return true;
        }
        return false;
      };
      const schedule = () => {
        const wait = Math.min(this.options.jobCheckIntervalMs ?? 3000, deadline - Date.now());
        if (wait > 0) timer = setTimeout(() => void check(), wait);
      };
      const check = async () => {
        if (done) return;
        const outcome = await this.jobOutcome(jobId);
        if (!done && !(await settleFrom(outcome))) schedule();
      };
      schedule();
      void reply.then(async (result) => {
        if (result) return finish(result);
        if (await settleFrom(await this.jobOutcome(jobId))) return;
        finish({ ...gatewayErrors.timeout(jobId, this.options.sendTimeoutMs), route: 'none', reason: 'gateway_error' });
      });
    });
  }

  /** A repeat of a key whose first request is still in flight or already answered. */
  private async awaitEarlier(record: string, jobId: string, deadline: number): Promise<DispatchResult> {
    for (;;) {
      const current = await this.options.idempotency.get(record).catch(() => undefined);
      if (current?.state === 'done' && current.result) return { ...current.result, jobId, replayed: true };
      if (Date.now() >= deadline) break;
      await sleep(100);
    }
    const outcome = await this.jobOutcome(jobId);
    if (outcome === 'lost') return { ...(await this.recordLost(jobId, { record, fingerprint: '' })), jobId, replayed: true };
    if (outcome && outcome !== 'pending') return { ...outcome, jobId, replayed: true };
    return { ...gatewayErrors.timeout(jobId, this.options.sendTimeoutMs), route: 'none', reason: 'gateway_error', jobId };
  }

  /** The job's result, 'lost' if its worker died, 'pending', or undefined when Redis cannot say. */
  private async jobOutcome(jobId: string): Promise<SendResult | 'lost' | 'pending' | undefined> {
    try {
      const job = await withTimeout(Job.fromId(this.options.queue, jobId), 1000);
      if (!job) return 'pending';
      if (job.finishedOn && job.returnvalue) return job.returnvalue as SendResult;
      if (job.failedReason) return 'lost';
      return 'pending';
    } catch {
      return undefined;
    }
  }

  /** The outcome of a send whose worker died is unknown; remember that, never resend. */
  private async recordLost(jobId: string, idem: SendJob['idempotency']): Promise<SendResult> {
    const result: SendResult = { ...gatewayErrors.workerLost(jobId), route: 'none', reason: 'gateway_error' };
    if (idem) {
      const existing = await this.options.idempotency.get(idem.record).catch(() => undefined);
      if (existing && existing.state !== 'done') {
        await this.options.idempotency.complete(idem.record, { ...existing, state: 'done', result }).catch(() => undefined);
      }
    }
    return result;
  }
}
