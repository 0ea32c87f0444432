import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { IdempotencyRecord, RedisKeys } from '@gw/contracts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Idempotency-Key records: claimed atomically before a send is enqueued, completed
 * by whoever learns the final answer (the worker, or the ingress when a worker died).
 *
 * Part of the exactly-once answer: docs/architecture.md, "Exactly one answer, never a second send".
 */
export class IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly ttlSeconds: number,
  ) {}

  recordKey(stackId: string, idempotencyKey: string): string {
    return this.keys.idempotency(stackId, sha256(idempotencyKey));
  }

  fingerprint(endpoint: string, payload: unknown): string {
    return sha256(`${endpoint}\n${JSON.stringify(payload)}`);
  }

  /** The existing record, or undefined when this request now owns the key. */
  async claim(recordKey: string, record: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    const ok = await this.redis.set(recordKey, JSON.stringify(record), 'EX', this.ttlSeconds, 'NX');
    if (ok === 'OK') return undefined;
    const existing = await this.get(recordKey);
    // Expired between the two calls: claim again rather than fail the request.
    return existing ?? (await this.claim(recordKey, record));
  }

  async get(recordKey: string): Promise<IdempotencyRecord | undefined> {
    const raw = await this.redis.get(recordKey);
    return raw ? (JSON.parse(raw) as IdempotencyRecord) : undefined;
  }

  async complete(recordKey: string, record: IdempotencyRecord): Promise<void> {
    await this.redis.set(recordKey, JSON.stringify(record), 'KEEPTTL', 'XX');
  }

  async release(recordKey: string): Promise<void> {
    await this.redis.del(recordKey);
  }
}
