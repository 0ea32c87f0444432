import type { Job } from 'bullmq';
import { lazyChild, type Logger } from '@gw/logger';
import { finishedBatchData, gatewayErrors, JOBS, sendBatchJobSchema, sendItemSchema, type SendBatchResult, type SendItem, type SendResult } from '@gw/contracts';
import type { CarrierSummary, SendCarrierRunner } from './send-carrier-runner.ts';
import type { MetaCallTiming, SendService } from './send-service.ts';
import type { SendOutcomeWriter } from './send-outcome-writer.ts';
import type { SendObserver } from './operations/send-observer.ts';
import type { SendSlots } from './send-slots.ts';

export interface SendProcessorDeps {
  service: SendService;
  /** Ledger line (the audit entry), idempotent answer and reply to the waiting ingress. */
  outcomes: SendOutcomeWriter;
  logger: Logger;
  /** Metrics of each send. */
  observer?: SendObserver;
  /** The process's limit on sends in flight (WORKER_SENDS_IN_FLIGHT); unset: no limit. */
  slots?: SendSlots;
  /** With Sentinels: true once the job's start is known to survive a failover (FailoverGuard); unset: nothing to check. */
  startIsOurs?: (job: Job, token: string | undefined) => Promise<boolean>;
  /** Runs send-carrier jobs (SEND_CARRIERS on an ingress); unset: this worker runs send batches only. */
  carriers?: SendCarrierRunner;
}

const tenths = (ms: number) => Math.round(ms * 10) / 10;
const internalError = (): SendResult => ({ ...gatewayErrors.internal(), route: 'none', reason: 'gateway_error' });

/** A send's one info line: the job, batch and stack ids, its route and its Meta calls. */
function logSend(logger: Logger, bindings: Record<string, unknown>, item: SendItem, result: SendResult, metaCalls: MetaCallTiming[], durationMs: number): void {
  logger.info(
    {
      ...bindings,
      endpoint: item.endpoint,
      route: result.route,
      reason: result.reason,
      status: result.status,
      wamid: result.wamid,
      mmErrorCode: result.mmErrorCode,
      queueWaitMs: tenths(Math.max(0, Date.now() - item.receivedAt - durationMs)),
      durationMs: tenths(durationMs),
      metaMs: tenths(metaCalls.reduce((sum, call) => sum + call.ms, 0)),
      metaCalls,
    },
    'send',
  );
}

/**
 * One processor for the send queue: a send-batch job's items run concurrently,
 * and each is answered as soon as it is done. It never throws: every outcome,
 * even a bug, becomes the one answer the waiting client receives.
 *
 * Part of the exactly-once answer: docs/architecture.md, "Exactly one answer, never a second send".
 */
export function createSendProcessor({ service, outcomes, logger, observer, slots, startIsOurs, carriers }: SendProcessorDeps) {
  /** One send, from its slot to its written answer (one async frame: a send in flight holds each of them while it waits on Meta). */
  async function processItem(batchJobId: string, replyTo: string, item: SendItem, resultsKey: string | undefined): Promise<SendResult> {
    const waiting = slots?.acquire();
    if (waiting) await waiting;
    try {
      const started = performance.now();
      const bindings = { jobId: item.id, batchJobId, stackId: item.stackId };
      // Made only if the send logs a warning or an error; its one info line names the send itself.
      const log = lazyChild(logger, bindings);
      const metaCalls: MetaCallTiming[] = [];
      let result: SendResult;
      try {
        result = await service.send(item, log, metaCalls);
      } catch (error) {
        log.error({ err: error }, 'send failed unexpectedly');
        result = internalError();
      }
      const durationMs = performance.now() - started;
      // Counted before the answer is written: a client that scrapes /metrics once answered finds its send there.
      observer?.onSend(result, durationMs);
      await outcomes.write(item, replyTo, result, log, metaCalls, resultsKey);
      // Built only when it is written: the bench and many deployments log warnings only. Its duration includes the answer's write.
      if (logger.isLevelEnabled('info')) logSend(logger, bindings, item, result, metaCalls, performance.now() - started);
      return result;
    } finally {
      slots?.release();
    }
  }

  /** Runs a batch's sends concurrently, each answered as soon as it is done (and written to `resultsKey` if given). */
  async function runBatch(batchJobId: string, data: { replyTo: string; items: unknown[] }, resultsKey?: string): Promise<SendBatchResult['results']> {
    const results: SendBatchResult['results'] = {};
    const { replyTo, items } = data;
    const running: Array<Promise<void>> = [];
    for (const raw of items) {
      const item = sendItemSchema.safeParse(raw);
      if (item.success) {
        const { id } = item.data;
        running.push(
          processItem(batchJobId, replyTo, item.data, resultsKey).then((result) => {
            results[id] = result;
          }),
        );
        continue;
      }
      // Built by the ingress, so only a bug gets here: answer the item if it can be named.
      logger.error({ jobId: batchJobId, issues: item.error.issues }, 'malformed send in a send batch');
      const id = (raw as { id?: unknown } | null)?.id;
      if (typeof id === 'string') results[id] = internalError();
    }
    await Promise.all(running);
    return results;
  }

  async function processSendBatch(job: Job, token: string | undefined): Promise<SendBatchResult> {
    const batch = sendBatchJobSchema.safeParse(job.data);
    if (!batch.success) {
      logger.error({ jobId: job.id, issues: batch.error.issues }, 'malformed send-batch job');
      return { results: {} };
    }
    // A job started on a primary that died before replicating it is waiting again on the promoted replica: it is
    // sent from there (by whichever worker takes it), not here.
    if (startIsOurs && !(await startIsOurs(job, token).catch(() => false))) {
      logger.warn({ jobId: job.id }, 'a Redis failover undid this send job’s start: not sent here, it runs again from the queue');
      throw new Error('the send job’s start was undone by a Redis failover; not sent here');
    }
    const results = await runBatch(job.id!, batch.data);
    // Every item is answered: the finished job keeps no message (recipient, content), only a summary.
    await job.updateData(finishedBatchData(batch.data)).catch((error: Error) => logger.warn({ jobId: job.id, err: error.message }, 'could not strip the finished send-batch job'));
    return { results };
  }

  return async function processSendJob(job: Job, token?: string): Promise<SendBatchResult | CarrierSummary> {
    if (job.name === JOBS.sendCarrier.name) {
      if (!carriers) throw new Error('this worker runs no send carriers');
      return carriers.run(job, runBatch);
    }
    return processSendBatch(job, token);
  };
}
