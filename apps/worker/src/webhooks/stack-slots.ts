import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '@gw/contracts';

/**
 * One lease in a stack's set of deliveries in flight, if fewer than the limit
 * hold one. Leases expire (a worker killed mid-delivery frees its slot), timed
 * by Redis's clock so workers on other hosts agree.
 * KEYS[1]: the stack's slot set. ARGV: lease ms, limit, lease id.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`;

interface SlotsRedis extends Redis {
  acquireWebhookSlot(key: string, leaseMs: number, limit: number, lease: string): Promise<number>;
}

/**
 * Per-stack share of webhook deliveries in flight, across every worker (Redis).
 * A stack at its limit waits roughly as long as its deliveries take (a fast
 * endpoint: a moment; a hanging one: about the request timeout), so a big
 * backlog for a dead endpoint is not re-fetched in a tight loop.
 */
export class StackSlots {
  private readonly redis: SlotsRedis;
  /** Smoothed attempt duration per stack, ms (this worker's view). */
  private readonly latency = new Map<string, number>();

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    private readonly perStack: number,
    /** The attempt deadline: the longest a stack over its share waits, and the base of a lease's life. */
    private readonly maxWaitMs: number,
    private readonly random: () => number = Math.random,
  ) {
    redis.defineCommand('acquireWebhookSlot', { numberOfKeys: 1, lua: ACQUIRE });
    this.redis = redis as SlotsRedis;
  }

  /** A lease on one of the stack's slots, or undefined when all are taken. Redis unreachable: this worker goes ahead. */
  async tryAcquire(stackId: string): Promise<string | undefined> {
    const lease = randomUUID();
    try {
      const got = await this.redis.acquireWebhookSlot(this.keys.webhookSlots(stackId), this.maxWaitMs + 5000, this.perStack, lease);
      return got === 1 ? lease : undefined;
    } catch {
      return lease;
    }
  }

  async release(stackId: string, lease: string, tookMs: number): Promise<void> {
    const previous = this.latency.get(stackId);
    this.latency.set(stackId, previous === undefined ? tookMs : previous * 0.7 + tookMs * 0.3);
    // Left to expire when Redis is unreachable.
    await this.redis.zrem(this.keys.webhookSlots(stackId), lease).catch(() => undefined);
  }

  /** How long a job over the limit waits before it is looked at again (±25 % jitter). */
  waitMs(stackId: string): number {
    const expected = Math.min(Math.max(100, (this.latency.get(stackId) ?? 0) * 2), this.maxWaitMs);
    return Math.round(expected * (0.75 + this.random() * 0.5));
  }
}
