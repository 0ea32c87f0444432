import type { Redis } from 'ioredis';
import type { Logger } from '@gw/logger';
import type { IdempotencyRecord, RedisKeys, SendJob, SendReply, SendResult } from '@gw/contracts';

/**
 * Everything a finished send writes, in one pipeline (one round trip, in order):
 * the send ledger line (wamid -> stack, route, reason) for webhook enrichment and
 * audits; the Idempotency-Key's final answer, stored before the reply so a repeat
 * always finds it; then the reply to the waiting ingress.
 */
export class SendOutcomeWriter {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly ledgerRetentionSeconds: number,
  ) {}

  async write(jobId: string, job: SendJob, result: SendResult, log: Logger): Promise<void> {
    const pipeline = this.redis.pipeline();
    if (result.wamid && result.route !== 'none') {
      const entry = { stackId: job.stackId, route: result.route, reason: result.reason, at: Date.now() };
      pipeline.set(this.keys.ledger(result.wamid), JSON.stringify(entry), 'EX', this.ledgerRetentionSeconds);
    }
    if (job.idempotency) {
      const record: IdempotencyRecord = { fingerprint: job.idempotency.fingerprint, jobId, state: 'done', result };
      pipeline.set(job.idempotency.record, JSON.stringify(record), 'KEEPTTL', 'XX');
    }
    const reply: SendReply = { jobId, result };
    pipeline.publish(job.replyTo, JSON.stringify(reply));
    try {
      const results = (await pipeline.exec()) ?? [];
      for (const [error] of results) if (error) log.error({ err: error.message, wamid: result.wamid }, 'could not record a finished send');
    } catch (error) {
      // The message is already sent: the ingress falls back to reading the job's return value.
      log.error({ err: error, wamid: result.wamid }, 'could not record a finished send');
    }
  }
}
