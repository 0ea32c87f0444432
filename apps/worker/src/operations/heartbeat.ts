import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '@gw/logger';

/**
 * Check-ins go into one sorted set scored with Redis's own clock, so hosts with
 * skewed clocks still agree on "recent". Old entries are trimmed on the way.
 */
const CHECK_IN = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return now
`;

interface HeartbeatRedis extends Redis {
  workerCheckIn(key: string, member: string, keepMs: number): Promise<number>;
}

export interface HeartbeatOptions {
  redis: Redis;
  key: string;
  intervalMs: number;
  logger: Logger;
}

/** The worker's "I am alive" for the ingress's /readyz, refreshed every intervalMs. */
export class WorkerHeartbeat {
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly redis: HeartbeatRedis;
  private timer: NodeJS.Timeout | undefined;
  private lastOk = 0;

  constructor(private readonly options: HeartbeatOptions) {
    options.redis.defineCommand('workerCheckIn', { numberOfKeys: 1, lua: CHECK_IN });
    this.redis = options.redis as HeartbeatRedis;
  }

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.options.intervalMs);
    this.timer.unref();
  }

  /** When the last check-in reached Redis (epoch ms of this host), 0 before the first. */
  get lastCheckIn(): number {
    return this.lastOk;
  }

  /** Leaves at once, so readiness elsewhere does not count a stopped worker. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.options.redis.zrem(this.options.key, this.workerId).catch(() => undefined);
  }

  private async beat(): Promise<void> {
    try {
      // Entries older than a minute (or ten intervals) are trimmed; the key dies with its last worker.
      await this.redis.workerCheckIn(this.options.key, this.workerId, Math.max(60_000, this.options.intervalMs * 10));
      this.lastOk = Date.now();
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'worker check-in failed');
    }
  }
}
