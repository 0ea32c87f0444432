import type { Redis } from 'ioredis';

/** Workers whose last check-in is within the window, by Redis's clock (the one they wrote with). */
const COUNT_RECENT = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
return redis.call('ZCOUNT', KEYS[1], now - tonumber(ARGV[1]), '+inf')
`;

interface PresenceRedis extends Redis {
  countRecentWorkers(key: string, windowMs: number): Promise<number>;
}

/** Reads the workers' heartbeats for the ingress's /readyz. */
export class WorkerPresence {
  private readonly redis: PresenceRedis;

  constructor(
    redis: Redis,
    private readonly key: string,
    readonly maxAgeMs: number,
  ) {
    redis.defineCommand('countRecentWorkers', { numberOfKeys: 1, lua: COUNT_RECENT });
    this.redis = redis as PresenceRedis;
  }

  recentWorkers(): Promise<number> {
    return this.redis.countRecentWorkers(this.key, this.maxAgeMs);
  }
}
