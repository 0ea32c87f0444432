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

/** A send's result, 'lost' if its worker died, 'pending', or undefined when Redis cannot say. */
type JobOutcome = SendResult | 'lost' | 'pending' | undefined;

/** What a send's AnswerWait asks of its dispatcher. */
interface AnswerChecks {
  /** How often a long wait checks whether the job's worker died. */
  intervalMs: number;
  outcome(jobId: string): Promise<JobOutcome>;
  /** The answer of a send whose worker died (recorded for its Idempotency-Key). */
  lost(jobId: string, idem: SendItem['idempotency']): Promise<SendResult>;
  /** Stops listening for the send's reply. */
  cancelReply(jobId: string): void;
  timedOut(jobId: string): SendResult;
}

/**
 * One send's wait for its one answer: the reply, or a dead worker noticed while waiting, or the timeout answer.
 * The job-state check runs only for waits longer than one interval, and its timer is cleared as soon as the
 * answer is known. An object rather than closures: it is what every send in flight holds for its wait.
 */
class AnswerWait {
  private done = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly checks: AnswerChecks,
    private readonly jobId: string,
    private readonly deadline: number,
    private readonly idem: SendItem['idempotency'],
    private readonly resolve: (result: SendResult) => void,
  ) {}

  start(reply: Promise<SendResult | undefined>): void {
    this.schedule();
    void reply.then((result) => this.onReply(result));
  }

  private static onTimer(this: void, wait: AnswerWait): void {
    void wait.check();
  }

  private async onReply(result: SendResult | undefined): Promise<void> {
    if (result) return this.finish(result);
    if (await this.settleFrom(await this.checks.outcome(this.jobId))) return;
    this.finish(this.checks.timedOut(this.jobId));
  }

  private finish(result: SendResult): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.resolve(result);
  }

  private async settleFrom(outcome: JobOutcome): Promise<boolean> {
    if (outcome === 'lost') {
      this.checks.cancelReply(this.jobId);
      this.finish(await this.checks.lost(this.jobId, this.idem));
      return true;
    }
    if (outcome && outcome !== 'pending') {
      // Finished, but its reply never came (a reconnecting subscriber): use the stored result.
      this.checks.cancelReply(this.jobId);
      this.finish(outcome);
      return true;
    }
    return false;
  }

  private schedule(): void {
    const wait = Math.min(this.checks.intervalMs, this.deadline - Date.now());
    if (wait > 0) this.timer = setTimeout(AnswerWait.onTimer, wait, this);
  }

  private async check(): Promise<void> {
    if (this.done) return;
    const outcome = await this.checks.outcome(this.jobId);
    if (!this.done && !(await this.settleFrom(outcome))) this.schedule();
  }
}

/**
 * Enqueues a send (in this tick's batch job) and waits for its one result; honours Idempotency-Key.
 *
 * Part of the exactly-once answer: docs/architecture.md, "Exactly one answer, never a second send".
 */
export class SendDispatcher {
  /** What every send's AnswerWait asks of this dispatcher: made once, so that a send in flight holds no closures for it. */
  private readonly checks: AnswerChecks;
  /** Tells onResult an answer and passes it on. */
  private readonly told?: (result: DispatchResult) => DispatchResult;

  constructor(private readonly options: SendDispatcherOptions) {
    const { onResult } = options;
    if (onResult) this.told = (result) => (onResult(result), result);
    this.checks = {
      intervalMs: options.jobCheckIntervalMs ?? 3000,
      outcome: (jobId) => this.jobOutcome(jobId),
      lost: (jobId, idem) => this.recordLost(jobId, idem),
      cancelReply: (jobId) => options.replies.cancel(jobId),
      timedOut: (jobId) => ({ ...gatewayErrors.timeout(jobId, options.sendTimeoutMs), route: 'none', reason: 'gateway_error' }),
    };
  }

  dispatch(request: DispatchRequest): Promise<DispatchResult> {
    const answer = this.dispatchOnce(request);
    return this.told ? answer.then(this.told) : answer;
  }

  /** `deadline`: the request's, when it is dispatched again after the earlier claim of its key was released. */
  private async dispatchOnce(request: DispatchRequest, deadline = Date.now() + this.options.sendTimeoutMs): Promise<DispatchResult> {
    const { idempotency, replies } = this.options;
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
      } catch (error) {
        slot.cancel();
        // The claim may have landed with its answer lost: it must not hold a retry of this send, which was never queued.
        if (!neverWritten(error)) idempotency.releaseLater(record, jobId);
        return unavailable();
      }
      if (existing) {
        slot.cancel();
        if (existing.fingerprint !== fingerprint) return { ...gatewayErrors.idempotencyMismatch(), route: 'none', reason: 'gateway_error' };
        // undefined: the earlier request was never queued and its claim is released, so this one sends.
        return (await this.awaitEarlier(record, existing.jobId, deadline)) ?? this.dispatchOnce(request, deadline);
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
      if (idem) await idempotency.release(idem.record, jobId);
      return unavailable();
    }
    if (enqueued === 'unknown') {
      // Never "nothing was sent" here: the key stays pending, so a retry waits for this job instead of sending again.
      replies.cancel(jobId);
      return { ...gatewayErrors.timeout(jobId, this.options.sendTimeoutMs), route: 'none', reason: 'gateway_error', jobId };
    }
    // Returned, not awaited: this frame (every local above) ends while the send waits on Meta.
    return this.awaitJob(jobId, reply, deadline, idem).then((result) => {
      this.options.carriers?.answered(jobId);
      return { ...result, jobId };
    });
  }

  /** The reply, or a dead worker noticed while waiting, or the timeout answer (AnswerWait). */
  private awaitJob(jobId: string, reply: Promise<SendResult | undefined>, deadline: number, idem: SendItem['idempotency']): Promise<SendResult> {
    return new Promise((resolve) => new AnswerWait(this.checks, jobId, deadline, idem, resolve).start(reply));
  }

  /**
   * A repeat of a key whose first request is still in flight or already answered; undefined once the key is free (its
   * first request was never queued, and its claim was released).
   */
  private async awaitEarlier(record: string, jobId: string, deadline: number): Promise<DispatchResult | undefined> {
    for (;;) {
      const current = await this.options.idempotency.get(record).then(
        (found) => found ?? null,
        () => undefined,
      );
      if (current === null) return undefined;
      // A claim released and made again since: the later request's send is the one to wait for.
      if (current) jobId = current.jobId;
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
  private async jobOutcome(itemId: string): Promise<JobOutcome> {
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
