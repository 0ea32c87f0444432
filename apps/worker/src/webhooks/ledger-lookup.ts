import type { Redis } from 'ioredis';
import type { RedisKeys, Route } from '@gw/contracts';

export interface LedgerRecord {
  stackId: string;
  route: Route;
  reason: string;
  at: number;
}

/** Reads the send ledger (written by the send path) for many wamids in one MGET. */
export class LedgerLookup {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async read(wamids: string[]): Promise<Map<string, LedgerRecord>> {
    const found = new Map<string, LedgerRecord>();
    if (wamids.length === 0) return found;
    const values = await this.redis.mget(...wamids.map((wamid) => this.keys.ledger(wamid)));
    values.forEach((raw, index) => {
      if (!raw) return;
      try {
        const record = JSON.parse(raw) as LedgerRecord;
        if (record && typeof record.route === 'string') found.set(wamids[index]!, record);
      } catch {
        // Not ours: forwarded without enrichment.
      }
    });
    return found;
  }
}
