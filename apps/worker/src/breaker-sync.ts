import type { Redis } from 'ioredis';
import { closeRedis } from '@gw/config';
import type { RedisKeys } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import type { KeyedCircuitBreaker } from '@gw/routing';

interface BreakerChange {
  waba: string;
  /** Open until (epoch ms); null: closed. */
  until: number | null;
}

/**
 * Shares each worker's MM circuit breaker through Redis, so a circuit one worker
 * opens is open for all: a hash of open circuits (read at start and every
 * `refreshMs`) and a channel for changes. Writes happen only when a circuit
 * opens or closes, never on the send path.
 */
export class BreakerSync {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly options: {
      breaker: () => KeyedCircuitBreaker;
      commands: Redis;
      subscriber: Redis;
      keys: RedisKeys;
      refreshMs: number;
      logger: Logger;
    },
  ) {}

  async start(): Promise<void> {
    const { subscriber, keys } = this.options;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === keys.mmBreakerChanged()) this.apply(JSON.parse(message) as BreakerChange);
    });
    await subscriber.subscribe(keys.mmBreakerChanged());
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs);
    this.timer.unref();
  }

  /** For the breaker's onOpen: shared at once, kept in the hash until it expires or closes. */
  opened(waba: string, until: number): void {
    void this.write(waba, until);
  }

  /** For the breaker's onClose. */
  closed(waba: string): void {
    void this.write(waba, null);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await closeRedis(this.options.subscriber);
  }

  private apply({ waba, until }: BreakerChange): void {
    if (until === null) this.options.breaker().closedElsewhere(waba);
    else this.options.breaker().openedElsewhere(waba, until);
  }

  private async write(waba: string, until: number | null): Promise<void> {
    const { commands, keys } = this.options;
    try {
      if (until === null) await commands.hdel(keys.mmBreaker(), waba);
      else await commands.hset(keys.mmBreaker(), waba, String(until));
      await commands.publish(keys.mmBreakerChanged(), JSON.stringify({ waba, until } satisfies BreakerChange));
    } catch (error) {
      // The circuit still holds in this worker; the others learn it on their next change or refresh.
      this.options.logger.warn({ err: (error as Error).message, waba }, 'could not share an MM circuit change');
    }
  }

  private async refresh(): Promise<void> {
    const { commands, keys } = this.options;
    try {
      const open = await commands.hgetall(keys.mmBreaker());
      const now = Date.now();
      for (const [waba, until] of Object.entries(open)) {
        if (Number(until) > now) this.apply({ waba, until: Number(until) });
        else await commands.hdel(keys.mmBreaker(), waba);
      }
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'could not read the shared MM circuits');
    }
  }
}
