import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { IdempotencyRecord, RedisKeys } from '@gw/contracts';
import type { Logger } from '@gw/logger';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Deletes a key's record only while it is still the pending claim of the send ARGV[1]: a later claim is left alone. */
const RELEASE_CLAIM = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, record = pcall(cjson.decode, raw)
if ok and type(record) == 'table' and record.jobId == ARGV[1] and record.state == 'pending' then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/** A release that could not reach Redis is tried again every second, for up to 10 minutes. */
const RELEASE_RETRY_EVERY_MS = 1000;
const RELEASE_RETRY_FOR_MS = 600_000;
/** Releases waiting at most; beyond, a claim stays until its TTL. */
const MAX_UNRELEASED = 50_000;

interface IdempotencyScripts {
  idempotencyRelease(record: string, jobId: string): Promise<number>;
}

interface Unreleased {
  record: string;
  jobId: string;
  since: number;
}

/**
 * Idempotency-Key records: claimed atomically before a send is enqueued, completed
 * by whoever learns the final answer (the worker, or the ingress when a worker died).
 *
 * Part of the exactly-once answer: docs/architecture.md, "Exactly one answer, never a second send".
 */
export class IdempotencyStore {
  /** Claims of sends never queued that Redis could not be told to free yet, by record and send. */
  private readonly unreleased = new Map<string, Unreleased>();
  private retrying: NodeJS.Timeout | undefined;
  private readonly scripts: IdempotencyScripts;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly ttlSeconds: number,
    private readonly logger?: Logger,
  ) {
    redis.defineCommand('idempotencyRelease', { numberOfKeys: 1, lua: RELEASE_CLAIM });
    this.scripts = redis as unknown as IdempotencyScripts;
  }

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

  /**
   * Frees the key of a send that was never queued (nothing was sent), so that a retry with it is sent: deletes the
   * record only while it is still this send's pending claim. Never rejects. When Redis cannot be reached (a failover,
   * a restart), the release is tried again in the background (`releaseLater`); meanwhile a retry waits for the key.
   */
  async release(recordKey: string, jobId: string): Promise<void> {
    try {
      await this.scripts.idempotencyRelease(recordKey, jobId);
    } catch {
      this.releaseLater(recordKey, jobId);
    }
  }

  /**
   * Frees the claim in the background, tried every second until Redis takes it: for a claim whose
   * answer was lost with its connection (it may have landed), or whose release could not reach Redis.
   */
  releaseLater(recordKey: string, jobId: string): void {
    if (this.unreleased.size >= MAX_UNRELEASED) return;
    this.unreleased.set(`${recordKey} ${jobId}`, { record: recordKey, jobId, since: Date.now() });
    if (this.retrying) return;
    this.logger?.warn('could not release the Idempotency-Key claim of a send never queued yet; retrying in the background');
    this.retrying = setTimeout(() => void this.retryReleases(), RELEASE_RETRY_EVERY_MS).unref();
  }

  /** The process is stopping: the releases still waiting are tried once more; those that fail stay until their TTL. */
  async close(): Promise<void> {
    clearTimeout(this.retrying);
    this.retrying = undefined;
    const waiting = [...this.unreleased.values()];
    this.unreleased.clear();
    await Promise.all(waiting.map(({ record, jobId }) => this.scripts.idempotencyRelease(record, jobId).catch(() => undefined)));
  }

  private async retryReleases(): Promise<void> {
    const waiting = [...this.unreleased];
    let freed = 0;
    let abandoned = 0;
    await Promise.all(
      waiting.map(async ([id, { record, jobId, since }]) => {
        try {
          freed += await this.scripts.idempotencyRelease(record, jobId);
        } catch {
          if (Date.now() - since < RELEASE_RETRY_FOR_MS) return;
          abandoned++;
        }
        this.unreleased.delete(id);
      }),
    );
    if (freed > 0) this.logger?.info({ freed }, 'released Idempotency-Key claims of sends never queued, now that Redis answers');
    if (abandoned > 0)
      this.logger?.error({ abandoned }, 'could not release Idempotency-Key claims of sends never queued: retries with those keys answer 504 until the keys expire');
    if (this.retrying === undefined) return; // closed meanwhile
    this.retrying = this.unreleased.size > 0 ? setTimeout(() => void this.retryReleases(), RELEASE_RETRY_EVERY_MS).unref() : undefined;
  }
}
