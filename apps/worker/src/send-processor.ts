import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '@gw/logger';
import { gatewayErrors, sendJobSchema, type IdempotencyRecord, type SendReply, type SendResult } from '@gw/contracts';
import type { SendService } from './send-service.ts';
import type { MetaCallTiming, SendObserver } from './operations/send-observer.ts';

export interface SendProcessorDeps {
  service: SendService;
  /** Connection used to publish replies to the waiting ingress. */
  publisher: Redis;
  logger: Logger;
  /** Metrics of each send and the timings of its Meta calls. */
  observer?: SendObserver;
}

/**
 * One processor for the send queue. It never throws: every outcome, even a bug,
 * becomes the one answer the waiting client receives.
 */
export function createSendProcessor({ service, publisher, logger, observer }: SendProcessorDeps) {
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
    if (data.idempotency) {
      // Stored before the reply: a repeat of the key must find the answer even if this reply is lost.
      const record: IdempotencyRecord = { fingerprint: data.idempotency.fingerprint, jobId: job.id!, state: 'done', result };
      await publisher.set(data.idempotency.record, JSON.stringify(record), 'KEEPTTL', 'XX').catch((error: unknown) => {
        log.error({ err: error }, 'could not store the idempotent result');
      });
    }
    const reply: SendReply = { jobId: job.id!, result };
    await publisher.publish(data.replyTo, JSON.stringify(reply)).catch((error: unknown) => {
      // The ingress falls back to reading the job's return value.
      log.warn({ err: error }, 'could not publish reply');
    });
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
