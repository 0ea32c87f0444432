import type { Redis } from 'ioredis';
import type { Logger } from '@gw/logger';
import type { IdempotencyRecord, RedisKeys, SendItem, SendReply, SendResult } from '@gw/contracts';

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

  async write(item: SendItem, replyTo: string, result: SendResult, log: Logger): Promise<void> {
    const pipeline = this.redis.pipeline();
    if (result.wamid && result.route !== 'none') {
      const entry = { stackId: item.stackId, route: result.route, reason: result.reason, at: Date.now() };
      pipeline.set(this.keys.ledger(result.wamid), JSON.stringify(entry), 'EX', this.ledgerRetentionSeconds);
    }
    if (item.idempotency) {
      const record: IdempotencyRecord = { fingerprint: item.idempotency.fingerprint, jobId: item.id, state: 'done', result };
      pipeline.set(item.idempotency.record, JSON.stringify(record), 'KEEPTTL', 'XX');
    }
    const reply: SendReply = { jobId: item.id, result };
    pipeline.publish(replyTo, JSON.stringify(reply));
    try {
      const results = (await pipeline.exec()) ?? [];
      for (const [error] of results) if (error) log.error({ err: error.message, wamid: result.wamid }, 'could not record a finished send');
    } catch (error) {
      // The message is already sent: the ingress falls back to reading the job's return value.
      log.error({ err: error, wamid: result.wamid }, 'could not record a finished send');
    }
  }
}
