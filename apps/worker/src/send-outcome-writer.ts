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
  /** Its audit event (ledger line), made once. */
  event?: SendAuditEvent;
  written: () => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** One command of a pipeline, and the sends it writes for. */
interface Write {
  args: [string, ...Array<string | number>];
  owners: Outcome[];
}

const addTo = (groups: Map<string, Outcome[]>, key: string, outcome: Outcome) => {
  const group = groups.get(key);
  if (group) group.push(outcome);
  else groups.set(key, [outcome]);
};

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
  /** How long a finished send's writes are retried while they fail (default 30 s). */
  retryMs?: number;
}

/**
 * How long a send carrier's results wait to share one HSET with the next sends' (the reply does not wait): at
 * 600 sends a second that is about 6 answers per command instead of one. The ingress reads them only when a
 * reply is late (its check, every few seconds).
 */
export const RESULTS_COALESCE_MS = 10;

/**
 * Everything a finished send writes: the send ledger line (wamid -> stack, route,
 * reason, calls to Meta, template), which is the message's audit entry and what the
 * webhook enrichment reads; the Idempotency-Key's final answer, stored before the reply
 * so a repeat always finds it; then the reply to the waiting ingress. The sends that
 * finish in one event-loop tick share one pipeline (one round trip) and one PUBLISH per
 * ingress, whose message is the list of replies (handed over in memory to an ingress in
 * this process). The route analytics count the send in process (SendTally), so the audit
 * adds no command to this pipeline. A send carrier's results (for a reply that crosses Redis)
 * follow within RESULTS_COALESCE_MS, one HSET per carrier; the send counts as written once they are.
 *
 * Part of the exactly-once answer: docs/architecture.md, "Exactly one answer, never a second send".
 */
export class SendOutcomeWriter {
  private pending: Outcome[] = [];
  /** Outcomes whose carrier's results are not written yet (RESULTS_COALESCE_MS). */
  private stored: Outcome[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly ledgerRetentionSeconds: number,
    private readonly options: SendOutcomeWriterOptions = {},
  ) {}

  private get retryMs(): number {
    return this.options.retryMs ?? 30_000;
  }

  /** Resolves once written (or once writing failed for `retryMs` and was logged); never rejects. */
  write(item: SendItem, replyTo: string, result: SendResult, log: Logger, calls: MetaCallTiming[] = [], resultsKey?: string): Promise<void> {
    return new Promise((written) => {
      if (this.pending.length === 0) setImmediate(() => void this.flush());
      this.pending.push({ item, replyTo, result, log, calls, resultsKey, written });
    });
  }

  private async flush(): Promise<void> {
    const outcomes = this.pending;
    this.pending = [];
    const now = Date.now();
    for (const outcome of outcomes) {
      const { item, result } = outcome;
      if (!result.wamid || result.route === 'none') continue;
      outcome.event = sendAuditEvent(item, { ...result, wamid: result.wamid, route: result.route }, outcome.calls, now, this.options.tenantOf);
      this.options.tally?.count(outcome.event);
    }
    const { local } = this.options;
    const localChannel = local?.channel();
    // A carrier's results keep an answer whose reply may be lost on its way through Redis; one handed over in
    // this process cannot be lost without its waiting client.
    const storing = new Set(outcomes.filter((o) => o.resultsKey && o.replyTo !== localChannel));
    if (storing.size > 0) {
      if (this.stored.length === 0) setTimeout(() => void this.flushStored(), RESULTS_COALESCE_MS);
      this.stored.push(...storing);
    }
    await this.writeAll(this.writesOf(outcomes, localChannel));
    // After the pipeline, like a published reply: the Idempotency-Key's answer is stored before the client hears it.
    const localReplies = outcomes.filter((o) => o.replyTo === localChannel).map(({ item, result }) => ({ jobId: item.id, result }));
    if (localReplies.length > 0) local!.deliver(localReplies);
    for (const outcome of outcomes) if (!storing.has(outcome)) outcome.written();
  }

  /** The carriers' results of the sends answered in the last RESULTS_COALESCE_MS: one HSET per carrier. */
  private async flushStored(): Promise<void> {
    const outcomes = this.stored;
    this.stored = [];
    const byCarrier = new Map<string, Outcome[]>();
    for (const outcome of outcomes) addTo(byCarrier, outcome.resultsKey!, outcome);
    await this.writeAll(
      [...byCarrier].map(([key, carried]) => ({ args: ['hset', key, ...carried.flatMap(({ item, result }) => [item.id, JSON.stringify(result)])], owners: carried })),
    );
    for (const outcome of outcomes) outcome.written();
  }

  /**
   * The messages are already sent: a write that fails is retried while Redis is unreachable (a failover, a
   * restart), for a send carrier's results above all, which nothing else keeps.
   */
  private async writeAll(first: Write[]): Promise<void> {
    const started = Date.now();
    let writes = first;
    for (let delay = 100, attempt = 0; writes.length > 0; delay = Math.min(2 * delay, 2000), attempt++) {
      const failed = await this.writeOnce(writes);
      const givingUp = Date.now() - started >= this.retryMs;
      for (const { owners, err } of failed) {
        for (const outcome of owners) {
          const fields = { err, wamid: outcome.result.wamid };
          if (givingUp) outcome.log.error(fields, 'could not record a finished send');
          else if (attempt === 0) outcome.log.warn(fields, 'could not record a finished send yet; retrying');
        }
      }
      if (givingUp) break;
      writes = failed;
      if (writes.length > 0) await sleep(delay);
    }
  }

  /** What these sends write now: ledger lines, Idempotency-Key answers, and one PUBLISH per ingress of another process, last. */
  private writesOf(outcomes: Outcome[], localChannel: string | undefined): Write[] {
    const writes: Write[] = [];
    const replies = new Map<string, Outcome[]>();
    for (const outcome of outcomes) {
      const { item, result, event } = outcome;
      if (event) writes.push({ args: ['set', this.keys.ledger(event.wamid), ledgerLine(event), 'EX', this.ledgerRetentionSeconds], owners: [outcome] });
      if (item.idempotency) {
        const record: IdempotencyRecord = { fingerprint: item.idempotency.fingerprint, jobId: item.id, state: 'done', result };
        writes.push({ args: ['set', item.idempotency.record, JSON.stringify(record), 'KEEPTTL', 'XX'], owners: [outcome] });
      }
      if (outcome.replyTo !== localChannel) addTo(replies, outcome.replyTo, outcome);
    }
    for (const [channel, list] of replies) {
      const message = JSON.stringify(list.map(({ item, result }): SendReply => ({ jobId: item.id, result })));
      writes.push({ args: ['publish', channel, message], owners: list });
    }
    return writes;
  }

  /** The writes in one pipeline (one round trip); returns those that failed, with their error. */
  private async writeOnce(writes: Write[]): Promise<Array<Write & { err: string }>> {
    const pipeline = this.redis.pipeline(writes.map((write) => write.args));
    try {
      const results = (await pipeline.exec()) ?? [];
      return writes.flatMap((write, i) => {
        const error = results[i]?.[0];
        return error ? [{ ...write, err: error.message }] : [];
      });
    } catch (error) {
      return writes.map((write) => ({ ...write, err: (error as Error).message }));
    }
  }
}
