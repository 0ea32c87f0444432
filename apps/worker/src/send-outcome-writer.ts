import type { Redis } from 'ioredis';
import type { Logger } from '@gw/logger';
import { ledgerLine, type MetaCall, type SendAuditEvent } from '@gw/audit';
import { templateOf, type IdempotencyRecord, type LocalReplies, type RedisKeys, type SendItem, type SendReply, type SendResult } from '@gw/contracts';
import type { MetaCallTiming } from './send-service.ts';

interface Outcome {
  item: SendItem;
  replyTo: string;
  result: SendResult;
  log: Logger;
  calls: MetaCallTiming[];
  /** A send carrier's results hash, which keeps the answer for an ingress whose reply is lost. */
  resultsKey?: string;
  written: () => void;
}

/** Where a finished send's audit event goes: the SendTally (Redis) or the PostgreSQL sink; must not wait or throw. */
export interface SendAuditCounter {
  count(event: SendAuditEvent): void;
}

/**
 * The audit's record of a send: the ledger line and the analytics counters are both made from it.
 * `tenant`: the stack's tenant as the ingress authenticated it (in the item), else as `tenantOf` finds it.
 */
export function sendAuditEvent(
  item: SendItem,
  result: SendResult & { wamid: string; route: SendAuditEvent['route'] },
  calls: MetaCallTiming[],
  at: number,
  tenantOf: (stackId: string) => string | undefined = () => undefined,
): SendAuditEvent {
  const template = templateOf(item.payload);
  return {
    kind: 'send',
    stackId: item.stackId,
    tenant: item.tenant ?? tenantOf(item.stackId) ?? item.stackId,
    wamid: result.wamid,
    at,
    route: result.route,
    reason: result.reason,
    ...(result.mmErrorCode !== undefined ? { mmErrorCode: result.mmErrorCode } : {}),
    // status 0: Meta gave no HTTP answer (timeout, not sent).
    calls: calls.map((c): MetaCall => ({
      endpoint: c.endpoint,
      status: typeof c.status === 'number' ? c.status : 0,
      durationMs: c.ms,
      ...(c.errorCode !== undefined ? { errorCode: c.errorCode } : {}),
    })),
    ...(item.idempotency?.key !== undefined ? { idempotencyKey: item.idempotency.key } : {}),
    ...(template ? { template: `${template.name}:${template.language}` } : {}),
  };
}

export interface SendOutcomeWriterOptions {
  /** Counts (Redis) or records (PostgreSQL sink) each finished send's audit event. */
  tally?: SendAuditCounter;
  /** The tenant of a stack id in this process's directory, for items queued without one (an ingress of an earlier version). */
  tenantOf?: (stackId: string) => string | undefined;
  /** The ingress of this process, if any: its replies skip Redis. */
  local?: LocalReplies;
}

/**
 * Everything a finished send writes: the send ledger line (wamid -> stack, route,
 * reason, calls to Meta, template), which is the message's audit entry and what the
 * webhook enrichment reads; the Idempotency-Key's final answer, stored before the reply
 * so a repeat always finds it; then the reply to the waiting ingress. The sends that
 * finish in one event-loop tick share one pipeline (one round trip) and one PUBLISH per
 * ingress, whose message is the list of replies (handed over in memory to an ingress in
 * this process). The route analytics count the send in process (SendTally), so the audit
 * adds no command to this pipeline.
 *
 * Part of the exactly-once answer: docs/architecture.md, "Exactly one answer, never a second send".
 */
export class SendOutcomeWriter {
  private pending: Outcome[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly ledgerRetentionSeconds: number,
    private readonly options: SendOutcomeWriterOptions = {},
  ) {}

  /** Resolves once written (or once writing failed and was logged); never rejects. */
  write(item: SendItem, replyTo: string, result: SendResult, log: Logger, calls: MetaCallTiming[] = [], resultsKey?: string): Promise<void> {
    return new Promise((written) => {
      if (this.pending.length === 0) setImmediate(() => void this.flush());
      this.pending.push({ item, replyTo, result, log, calls, resultsKey, written });
    });
  }

  private async flush(): Promise<void> {
    const outcomes = this.pending;
    this.pending = [];
    const pipeline = this.redis.pipeline();
    // Which outcome each command writes for, to name the send in an error.
    const owners: Outcome[] = [];
    const replies = new Map<string, SendReply[]>();
    // A send carrier's results: one HSET per carrier for the sends of this tick.
    const stored = new Map<string, Record<string, string>>();
    const now = Date.now();
    for (const outcome of outcomes) {
      const { item, result } = outcome;
      if (result.wamid && result.route !== 'none') {
        const event = sendAuditEvent(item, { ...result, wamid: result.wamid, route: result.route }, outcome.calls, now, this.options.tenantOf);
        pipeline.set(this.keys.ledger(result.wamid), ledgerLine(event), 'EX', this.ledgerRetentionSeconds);
        owners.push(outcome);
        this.options.tally?.count(event);
      }
      if (item.idempotency) {
        const record: IdempotencyRecord = { fingerprint: item.idempotency.fingerprint, jobId: item.id, state: 'done', result };
        pipeline.set(item.idempotency.record, JSON.stringify(record), 'KEEPTTL', 'XX');
        owners.push(outcome);
      }
      if (outcome.resultsKey) {
        const fields = stored.get(outcome.resultsKey) ?? {};
        fields[item.id] = JSON.stringify(result);
        stored.set(outcome.resultsKey, fields);
      }
      const channel = replies.get(outcome.replyTo) ?? [];
      channel.push({ jobId: item.id, result });
      replies.set(outcome.replyTo, channel);
    }
    const { local } = this.options;
    const localChannel = local?.channel();
    const localReplies = localChannel === undefined ? undefined : replies.get(localChannel);
    if (localReplies) replies.delete(localChannel!);
    for (const [key, fields] of stored) pipeline.hset(key, fields);
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
    // After the pipeline, like a published reply: the Idempotency-Key's answer is stored before the client hears it.
    if (localReplies) local!.deliver(localReplies);
    for (const outcome of outcomes) outcome.written();
  }
}
