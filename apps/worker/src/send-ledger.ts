import type { Redis } from 'ioredis';
import type { Logger } from '@gw/logger';
import type { RedisKeys, Route, RouteReason } from '@gw/contracts';

export interface LedgerEntry {
  stackId: string;
  route: Route;
  reason: RouteReason;
}

/** wamid -> how the gateway sent it, for webhook enrichment and audits. */
export class SendLedger {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly retentionSeconds: number,
  ) {}

  async record(wamid: string, entry: LedgerEntry, log: Logger): Promise<void> {
    try {
      const value = JSON.stringify({ ...entry, at: Date.now() });
      await this.redis.set(this.keys.ledger(wamid), value, 'EX', this.retentionSeconds);
    } catch (error) {
      // The message is already sent; losing its ledger line must not turn success into failure.
      log.error({ err: error, wamid }, 'could not record send in the ledger');
    }
  }
}
