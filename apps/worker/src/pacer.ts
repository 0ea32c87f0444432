import type { Redis } from 'ioredis';
import type { RedisKeys } from '@gw/contracts';

/**
 * Token bucket per phone number, in Redis so every worker shares it. Returns how
 * long the caller must wait for its slot, or -1 when no slot opens within maxWaitMs
 * (then nothing is taken). A 130429 back-off pushes every slot past its end.
 */
const TAKE_SLOT = `
local rate = tonumber(ARGV[1])
local maxWait = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local backoff = redis.call('PTTL', KEYS[2])
if backoff < 0 then backoff = 0 end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or rate
local ts = tonumber(state[2]) or now
tokens = math.min(rate, tokens + (now - ts) * rate / 1000) - 1
local wait = 0
if tokens < 0 then wait = math.ceil(-tokens * 1000 / rate) end
if backoff > wait then wait = backoff end
if wait > maxWait then return -1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], 60000)
return wait
`;

interface PacingRedis extends Redis {
  takeSlot(bucket: string, backoff: string, rate: number, maxWaitMs: number): Promise<number>;
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

export class Pacer {
  private readonly redis: PacingRedis;

  constructor(private readonly options: PacerOptions) {
    options.redis.defineCommand('takeSlot', { numberOfKeys: 2, lua: TAKE_SLOT });
    this.redis = options.redis as PacingRedis;
  }

  /** Waits for this number's next slot; throws PacingRejected when it is too far away. */
  async acquire(phoneNumberId: string, messagesPerSecond: number): Promise<void> {
    const { keys, maxWaitMs } = this.options;
    let wait: number;
    try {
      wait = await this.redis.takeSlot(keys.paceBucket(phoneNumberId), keys.paceBackoff(phoneNumberId), messagesPerSecond, maxWaitMs);
    } catch {
      return; // Redis unreadable: Meta's own limit still protects the number; do not block sends.
    }
    if (wait < 0) throw new PacingRejected(phoneNumberId, maxWaitMs);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }

  /** Meta answered 130429: hold this number back for a while. */
  async backOff(phoneNumberId: string): Promise<void> {
    await this.options.redis.set(this.options.keys.paceBackoff(phoneNumberId), '1', 'PX', this.options.backoffMs).catch(() => undefined);
  }
}
