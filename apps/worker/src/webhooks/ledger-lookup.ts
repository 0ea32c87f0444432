import type { Redis } from 'ioredis';
import { parseLedgerLine, type LedgerLine } from '@gw/audit';
import type { RedisKeys } from '@gw/contracts';

/**
 * Reads the send ledger (written by the send path) for many wamids in one MGET (the keys share the
 * prefix's hash tag: one slot in a cluster). Every wamid asked for is in the answer, null when it
 * has no line (or not one of ours), so the audit can take the answer as read and not ask again.
 */
export class LedgerLookup {
  constructor(
    private readonly redis: Pick<Redis, 'mget'>,
    private readonly keys: Pick<RedisKeys, 'ledger'>,
  ) {}

  async read(wamids: string[]): Promise<Map<string, LedgerLine | null>> {
    const found = new Map<string, LedgerLine | null>();
    if (wamids.length === 0) return found;
    const values = await this.redis.mget(...wamids.map((wamid) => this.keys.ledger(wamid)));
    values.forEach((raw, index) => found.set(wamids[index]!, parseLedgerLine(raw) ?? null));
    return found;
  }
}
