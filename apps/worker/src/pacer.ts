import type { Redis } from 'ioredis';
import type { RedisKeys } from '@gw/contracts';

/**
 * Token bucket per phone number, in Redis so every worker shares it (fields `tokens`
 * and `ts`, and `hold`: until when a 130429 back-off holds the number). Takes `count`
 * tokens and returns how long the caller must wait for the last of them, or -1 when
 * they are not all there within maxWaitMs (then nothing is taken). A back-off pushes
 * every slot past its end.
 */
const TAKE_SLOT = `
local rate = tonumber(ARGV[1])
local maxWait = tonumber(ARGV[2])
local count = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'hold')
local tokens = tonumber(state[1]) or rate
local ts = tonumber(state[2]) or now
local hold = (tonumber(state[3]) or 0) - now
tokens = math.min(rate, tokens + (now - ts) * rate / 1000) - count
local wait = 0
if tokens < 0 then wait = math.ceil(-tokens * 1000 / rate) end
if hold > wait then wait = hold end
if wait > maxWait then return -1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], 60000)
return wait
`;

/** Holds a number back for ARGV[1] ms from now (Redis's clock, as TAKE_SLOT reads it). */
const HOLD = `
local t = redis.call('TIME')
local ms = tonumber(ARGV[1])
redis.call('HSET', KEYS[1], 'hold', tostring(t[1] * 1000 + math.floor(t[2] / 1000) + ms))
redis.call('PEXPIRE', KEYS[1], math.max(60000, ms))
`;

interface PacingRedis extends Redis {
  takeSlot(bucket: string, rate: number, maxWaitMs: number, count: number): Promise<number>;
  holdSlots(bucket: string, ms: number): Promise<unknown>;
}

export class PacingRejected extends Error {
  override name = 'PacingRejected';
  constructor(
    readonly phoneNumberId: string,
    readonly maxWaitMs: number,
  ) {
    super(`no send slot for ${phoneNumberId} within ${maxWaitMs} ms`);
  }
}

export interface PacerOptions {
  redis: Redis;
  keys: RedisKeys;
  maxWaitMs: number;
  backoffMs: number;
}

/** Tokens this process took ahead of need, valid only briefly so the shared bucket stays honest. */
export interface Lease {
  size: number;
  tokens: number;
  /** When its tokens may be used (a reservation in the bucket's future). */
  availableAt: number;
  until: number;
}

/**
 * A lease holds at most 1/20 s of a number's rate and lives 200 ms, so a busy worker
 * asks Redis at most once per lease instead of once per send: about 15 sends per call
 * at 75 msg/s on a number, where a 50 ms life gave about 4. Its size follows what
 * this process actually used, and at least the sends waiting for it now, so a quiet
 * number takes one token at a time and wastes nothing of Meta's throughput, and a
 * burst on a number gets its tokens in one call instead of doubling its way up. Its
 * tokens come off the shared bucket when it is granted, so the rate holds across
 * workers; used late, a lease adds at most its size (1/20 s of the rate) to a moment.
 */
const LEASE_FRACTION = 20;
const LEASE_MS = 200;

export function nextLeaseSize(previous: Lease | undefined, waiting: number, max: number): number {
  const used = previous ? previous.size - previous.tokens : 0;
  const grown = previous && previous.tokens === 0 ? previous.size * 2 : used;
  return Math.max(1, Math.min(max, Math.max(grown, waiting)));
}

export class Pacer {
  private readonly redis: PacingRedis;
  private readonly leases = new Map<string, Lease>();
  private readonly refills = new Map<string, Promise<boolean>>();
  /** Sends of each number waiting for a token now: a refill takes at least one for each (within a lease's limit). */
  private readonly waiting = new Map<string, number>();

  constructor(private readonly options: PacerOptions) {
    options.redis.defineCommand('takeSlot', { numberOfKeys: 1, lua: TAKE_SLOT });
    options.redis.defineCommand('holdSlots', { numberOfKeys: 1, lua: HOLD });
    this.redis = options.redis as PacingRedis;
  }

  /** Waits for this number's next slot; throws PacingRejected when it is too far away. */
  async acquire(phoneNumberId: string, messagesPerSecond: number): Promise<void> {
    this.countWaiting(phoneNumberId, 1);
    let waiting = true;
    try {
      for (;;) {
        const lease = this.leases.get(phoneNumberId);
        if (lease && lease.tokens > 0 && lease.until > Date.now()) {
          lease.tokens -= 1;
          waiting = false;
          this.countWaiting(phoneNumberId, -1);
          const wait = lease.availableAt - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          return;
        }
        // One refill per number at a time: concurrent sends share it instead of each taking a lease.
        let refill = this.refills.get(phoneNumberId);
        if (!refill) {
          refill = this.refill(phoneNumberId, messagesPerSecond, lease).finally(() => this.refills.delete(phoneNumberId));
          this.refills.set(phoneNumberId, refill);
        }
        if (!(await refill)) return; // Redis unreadable: Meta's own limit still protects the number.
      }
    } finally {
      if (waiting) this.countWaiting(phoneNumberId, -1);
    }
  }

  private countWaiting(phoneNumberId: string, change: number): void {
    const count = (this.waiting.get(phoneNumberId) ?? 0) + change;
    if (count > 0) this.waiting.set(phoneNumberId, count);
    else this.waiting.delete(phoneNumberId);
  }

  /** Takes a lease from the shared bucket; false when Redis cannot be asked. */
  private async refill(phoneNumberId: string, messagesPerSecond: number, previous: Lease | undefined): Promise<boolean> {
    const { keys, maxWaitMs } = this.options;
    const take = (count: number) => this.redis.takeSlot(keys.paceBucket(phoneNumberId), messagesPerSecond, maxWaitMs, count);
    // The sends that started with this one (a batch's items) reach here a few microtasks later: count them in.
    await Promise.resolve();
    let count = nextLeaseSize(previous, this.waiting.get(phoneNumberId) ?? 1, Math.max(1, Math.floor(messagesPerSecond / LEASE_FRACTION)));
    let wait: number;
    try {
      wait = await take(count);
      // Near the limit a whole lease may not fit in time; a single token still might.
      if (wait < 0 && count > 1) wait = await take((count = 1));
    } catch {
      return false;
    }
    if (wait < 0) throw new PacingRejected(phoneNumberId, maxWaitMs);
    // The refill ends here: callers sleep until the reservation on their own, not in line.
    const availableAt = Date.now() + wait;
    this.leases.set(phoneNumberId, { size: count, tokens: count, availableAt, until: availableAt + LEASE_MS });
    return true;
  }

  /** Meta answered 130429: hold this number back for a while. */
  async backOff(phoneNumberId: string): Promise<void> {
    this.leases.delete(phoneNumberId);
    await this.redis.holdSlots(this.options.keys.paceBucket(phoneNumberId), this.options.backoffMs).catch(() => undefined);
  }
}
