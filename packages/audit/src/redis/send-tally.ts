import type { Redis } from 'ioredis';
import type { RedisKeys } from '@gw/contracts';
import type { SendAuditEvent } from '../audit-store.ts';
import { field, hourStart } from '../buckets.ts';
import { sendMetrics } from '../status-counts.ts';

export interface SendTallyOptions {
  redis: Redis;
  keys: RedisKeys;
  /** How long an hour bucket is kept after its last write (ANALYTICS_RETENTION_SECONDS). */
  retentionSeconds: number;
  /** How often counts are written; sends in between cost no Redis command. */
  flushMs?: number;
  onError?: (error: unknown) => void;
}

/**
 * Send counters of the route analytics, summed in process and written every `flushMs`:
 * one HINCRBY per (hour bucket, route, template, metric) that changed, one EXPIRE per
 * bucket, whatever the send rate. So counting adds no command and no wait to a send.
 * A worker that dies loses at most the last interval's counts, never a send.
 */
export class SendTally {
  private counts = new Map<string, Map<string, number>>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly options: SendTallyOptions) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.options.flushMs ?? 1000);
    this.timer.unref();
  }

  /** Counted in the hour bucket of the send's tenant: a stack re-created under the same id starts from nothing. */
  count(event: Pick<SendAuditEvent, 'tenant' | 'at' | 'route' | 'reason' | 'mmErrorCode' | 'template'>): void {
    const key = this.options.keys.analyticsBucket(event.tenant, hourStart(event.at));
    for (const metric of sendMetrics(event)) this.add(key, field(event.route, event.template, metric), 1);
  }

  /** Writes what was counted so far; a failed write keeps its counts for the next flush. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private add(key: string, name: string, n: number): void {
    let fields = this.counts.get(key);
    if (!fields) this.counts.set(key, (fields = new Map<string, number>()));
    fields.set(name, (fields.get(name) ?? 0) + n);
  }

  private async write(): Promise<void> {
    if (this.counts.size === 0) return;
    const counts = this.counts;
    this.counts = new Map();
    const { redis, retentionSeconds } = this.options;
    // Separate commands, not one script: the buckets of several stacks may sit on several cluster nodes.
    const writes: Array<Promise<unknown>> = [];
    for (const [key, fields] of counts) {
      for (const [name, n] of fields) writes.push(redis.hincrby(key, name, n));
      writes.push(redis.expire(key, retentionSeconds));
    }
    const results = await Promise.allSettled(writes);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (!failed) return;
    // Which increments landed is unknown per field only when some failed: put every count back would
    // double those that landed, so only a write that failed as a whole (all rejected) is kept for later.
    if (results.every((r) => r.status === 'rejected')) for (const [key, fields] of counts) for (const [name, n] of fields) this.add(key, name, n);
    this.options.onError?.(failed.reason);
  }
}
