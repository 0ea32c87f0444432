import type { Job } from 'bullmq';
import type { Logger } from '@gw/logger';
import { gatewayErrors, sendJobSchema, type SendResult } from '@gw/contracts';
import type { SendService } from './send-service.ts';
import type { SendOutcomeWriter } from './send-outcome-writer.ts';
import type { MetaCallTiming, SendObserver } from './operations/send-observer.ts';

export interface SendProcessorDeps {
  service: SendService;
  /** Ledger line, idempotent answer and reply to the waiting ingress. */
  outcomes: SendOutcomeWriter;
  logger: Logger;
  /** Metrics of each send and the timings of its Meta calls. */
  observer?: SendObserver;
}

/**
 * One processor for the send queue. It never throws: every outcome, even a bug,
 * becomes the one answer the waiting client receives.
 */
export function createSendProcessor({ service, outcomes, logger, observer }: SendProcessorDeps) {
  return async function processSend(job: Job): Promise<SendResult> {
    const started = performance.now();
    const parsed = sendJobSchema.safeParse(job.data);
    if (!parsed.success) {
      logger.error({ jobId: job.id, issues: parsed.error.issues }, 'malformed send job');
      return { ...gatewayErrors.internal(), route: 'none', reason: 'gateway_error' };
    }
    const data = parsed.data;
    const log = logger.child({ jobId: job.id, stackId: data.stackId });
    let result: SendResult;
    const metaCalls: MetaCallTiming[] = [];
    try {
      result = await (observer ? observer.during(metaCalls, () => service.send(data, log)) : service.send(data, log));
    } catch (error) {
      log.error({ err: error }, 'send failed unexpectedly');
      result = { ...gatewayErrors.internal(), route: 'none', reason: 'gateway_error' };
    }
    await outcomes.write(job.id!, data, result, log);
    const durationMs = Math.round(performance.now() - started);
    observer?.onSend(result, durationMs);
    log.info(
      {
        endpoint: data.endpoint,
        route: result.route,
        reason: result.reason,
        status: result.status,
        wamid: result.wamid,
        mmErrorCode: result.mmErrorCode,
        queueWaitMs: Math.max(0, Math.round(Date.now() - data.receivedAt - (performance.now() - started))),
        durationMs,
        metaMs: Math.round(metaCalls.reduce((sum, call) => sum + call.ms, 0)),
        metaCalls,
      },
      'send',
    );
    return result;
  };
}
