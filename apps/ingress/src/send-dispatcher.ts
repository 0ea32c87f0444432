import { Job, type Queue } from 'bullmq';
import { batchJobIdOf, gatewayErrors, type SendBatchResult, type SendEndpoint, type SendItem, type SendResult } from '@gw/contracts';
import type { IdempotencyStore } from './idempotency-store.ts';
import type { SendBatcher } from './send-batcher.ts';
import { NotQueued, type SendCarriers } from './send-carriers.ts';
import type { ReplyWaiter } from './reply-waiter.ts';
import { TimedOut, withTimeout } from './with-timeout.ts';

export interface DispatchRequest {
  stackId: string;
  /** What idempotency records and the send's audit are keyed by: the stack's permanent uid (see tenantOf). */
  tenant?: string;
  endpoint: SendEndpoint;
  payload: Record<string, unknown>;
  idempotencyKey?: string;
}

export type DispatchResult = SendResult & { jobId?: string; replayed?: boolean };

export interface SendDispatcherOptions {
  queue: Queue;
  batcher: SendBatcher;
  replies: ReplyWaiter;
  idempotency: IdempotencyStore;
  sendTimeoutMs: number;
  /** How often a long wait checks whether the job's worker died. */
  jobCheckIntervalMs?: number;
  /** Told every answer (metrics); must not throw. */
  onResult?: (result: DispatchResult) => void;
  /** Send carriers (SEND_CARRIERS), when batches go to them: they, not the batch's job, know a send's outcome. */
  carriers?: SendCarriers;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** ioredis refused the command before writing it (no connection, no offline queue): Redis never saw it. */
const neverWritten = (error: unknown) => error instanceof Error && /enableOfflineQueue options is false/.test(error.message);
const unavailable = (): DispatchResult => ({
  ...gatewayErrors.unavailable('The send queue is unavailable; nothing was sent. Retry later.'),
  route: 'none',
  reason: 'gateway_error',
});

/**
 * Enqueues a send (in this tick's batch job) and waits for its one result; honours Idempotency-Key.
 *
 * Part of the exactly-once answer: docs/architecture.md, "Exactly one answer, never a second send".
 */
export class SendDispatcher {
  constructor(private readonly options: SendDispatcherOptions) {}

  async dispatch(request: DispatchRequest): Promise<DispatchResult> {
    const result = await this.dispatchOnce(request);
    this.options.onResult?.(result);
    return result;
  }

  private async dispatchOnce(request: DispatchRequest): Promise<DispatchResult> {
    const { idempotency, replies } = this.options;
    const deadline = Date.now() + this.options.sendTimeoutMs;
    const { stackId, endpoint, payload } = request;
    const slot = this.options.batcher.reserve();
    const jobId = slot.id;
    let idem: SendItem['idempotency'];
    if (request.idempotencyKey) {
      const record = idempotency.recordKey(request.tenant ?? stackId, request.idempotencyKey);
      const fingerprint = idempotency.fingerprint(endpoint, payload);
      let existing;
      try {
        // Within the send's own deadline: a slow Redis is waited for, an unreachable one refuses at once.
        existing = await withTimeout(idempotency.claim(record, { fingerprint, jobId, state: 'pending' }), Math.max(0, deadline - Date.now()));
      } catch {
        slot.cancel();
        return unavailable();
      }
      if (existing) {
        slot.cancel();
        if (existing.fingerprint !== fingerprint) return { ...gatewayErrors.idempotencyMismatch(), route: 'none', reason: 'gateway_error' };
        return this.awaitEarlier(record, existing.jobId, deadline);
      }
      idem = { record, fingerprint, key: request.idempotencyKey };
    }

    const reply = replies.wait(jobId, this.options.sendTimeoutMs);
    const filled = slot.fill({ stackId, ...(request.tenant !== undefined ? { tenant: request.tenant } : {}), endpoint, payload, receivedAt: Date.now(), idempotency: idem });
    // Queued, refused (nothing was sent), or still pending at the deadline (it may land later and be sent).
    const enqueued = await withTimeout(filled, Math.max(0, deadline - Date.now())).then(
      () => 'queued' as const,
      async (error: unknown) => {
        if (error instanceof TimedOut) return 'unknown' as const;
        if (neverWritten(error) || error instanceof NotQueued) return 'refused' as const;
        // A carrier's push lost with its connection after it was written: it may be in Redis, and run.
        if (this.options.carriers) return 'unknown' as const;
        // Lost with its connection after it was written (a failover): Redis may hold the job. Ask it.
        return (await this.batchExists(jobId, deadline)) ?? ('unknown' as const);
      },
    );
    if (enqueued === 'refused') {
      // Not enqueued, so nothing was sent: free the key and let the client retry.
      replies.cancel(jobId);
      if (idem) await idempotency.release(idem.record).catch(() => undefined);
      return unavailable();
    }
    if (enqueued === 'unknown') {
      // Never "nothing was sent" here: the key stays pending, so a retry waits for this job instead of sending again.
      replies.cancel(jobId);
      return { ...gatewayErrors.timeout(jobId, this.options.sendTimeoutMs), route: 'none', reason: 'gateway_error', jobId };
    }
    const result = await this.awaitJob(jobId, reply, deadline, idem);
    this.options.carriers?.answered(jobId);
    return { ...result, jobId };
  }

  /**
   * The reply, or a dead worker noticed while waiting, or the timeout answer. The
   * job-state check runs only for waits longer than one interval, and its timer
   * is cleared as soon as the reply arrives.
   */
  private awaitJob(jobId: string, reply: Promise<SendResult | undefined>, deadline: number, idem: SendItem['idempotency']): Promise<SendResult> {
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

  /** Whether the send's batch job is in Redis ('queued') or not ('refused'), asked until the deadline; undefined: no answer. */
  private async batchExists(itemId: string, deadline: number): Promise<'queued' | 'refused' | undefined> {
    while (Date.now() < deadline) {
      try {
        const job = await withTimeout(Job.fromId(this.options.queue, batchJobIdOf(itemId)), 1000);
        return job ? 'queued' : 'refused';
      } catch {
        await sleep(200);
      }
    }
    return undefined;
  }

  /** The send's result, 'lost' if its worker died, 'pending', or undefined when Redis cannot say. */
  private async jobOutcome(itemId: string): Promise<SendResult | 'lost' | 'pending' | undefined> {
    if (this.options.carriers) return this.options.carriers.outcome(itemId);
    try {
      const job = await withTimeout(Job.fromId<unknown, SendBatchResult>(this.options.queue, batchJobIdOf(itemId)), 1000);
      if (!job) return 'pending';
      if (job.finishedOn && job.returnvalue) {
        return job.returnvalue.results?.[itemId] ?? { ...gatewayErrors.internal(), route: 'none', reason: 'gateway_error' };
      }
      if (job.failedReason) return 'lost';
      return 'pending';
    } catch {
      return undefined;
    }
  }

  /** The outcome of a send whose worker died is unknown; remember that, never resend. */
  private async recordLost(jobId: string, idem: SendItem['idempotency']): Promise<SendResult> {
    const result: SendResult = { ...gatewayErrors.workerLost(jobId), route: 'none', reason: 'gateway_error' };
    if (idem) {
      const existing = await this.options.idempotency.get(idem.record).catch(() => undefined);
      // Its batch failed, but this send finished first and recorded its answer.
      if (existing?.state === 'done' && existing.result) return existing.result;
      if (existing) await this.options.idempotency.complete(idem.record, { ...existing, state: 'done', result }).catch(() => undefined);
    }
    return result;
  }
}
