import type { Redis } from 'ioredis';
import type { Logger } from '@gw/logger';
import type { IdempotencyRecord, RedisKeys, SendItem, SendReply, SendResult } from '@gw/contracts';

interface Outcome {
  item: SendItem;
  replyTo: string;
  result: SendResult;
  log: Logger;
  written: () => void;
}

/**
 * Everything a finished send writes: the send ledger line (wamid -> stack, route,
 * reason) for webhook enrichment and audits; the Idempotency-Key's final answer,
 * stored before the reply so a repeat always finds it; then the reply to the
 * waiting ingress. The sends that finish in one event-loop tick share one pipeline
 * (one round trip) and one PUBLISH per ingress, whose message is the list of replies.
 *
 * Part of the exactly-once answer: docs/architecture.md, "Exactly one answer, never a second send".
 */
export class SendOutcomeWriter {
  private pending: Outcome[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly ledgerRetentionSeconds: number,
  ) {}

  /** Resolves once written (or once writing failed and was logged); never rejects. */
  write(item: SendItem, replyTo: string, result: SendResult, log: Logger): Promise<void> {
    return new Promise((written) => {
      if (this.pending.length === 0) setImmediate(() => void this.flush());
      this.pending.push({ item, replyTo, result, log, written });
    });
  }

  private async flush(): Promise<void> {
    const outcomes = this.pending;
    this.pending = [];
    const pipeline = this.redis.pipeline();
    // Which outcome each command writes for, to name the send in an error.
    const owners: Outcome[] = [];
    const replies = new Map<string, SendReply[]>();
    for (const outcome of outcomes) {
      const { item, result } = outcome;
      if (result.wamid && result.route !== 'none') {
        const entry = { stackId: item.stackId, route: result.route, reason: result.reason, at: Date.now() };
        pipeline.set(this.keys.ledger(result.wamid), JSON.stringify(entry), 'EX', this.ledgerRetentionSeconds);
        owners.push(outcome);
      }
      if (item.idempotency) {
        const record: IdempotencyRecord = { fingerprint: item.idempotency.fingerprint, jobId: item.id, state: 'done', result };
        pipeline.set(item.idempotency.record, JSON.stringify(record), 'KEEPTTL', 'XX');
        owners.push(outcome);
      }
      const channel = replies.get(outcome.replyTo) ?? [];
      channel.push({ jobId: item.id, result });
      replies.set(outcome.replyTo, channel);
    }
    for (const [channel, list] of replies) pipeline.publish(channel, JSON.stringify(list));
    try {
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([error], i) => {
        if (!error) return;
        const owner = owners[i];
        (owner?.log ?? outcomes[0]!.log).error({ err: error.message, wamid: owner?.result.wamid }, 'could not record a finished send');
      });
    } catch (error) {
      // The messages are already sent: the ingress falls back to reading the job's return value.
      for (const { log, result } of outcomes) log.error({ err: error, wamid: result.wamid }, 'could not record a finished send');
    }
    for (const outcome of outcomes) outcome.written();
  }
}
