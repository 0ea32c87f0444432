import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '@gw/contracts';

const hashOf = (url: string) => createHash('sha256').update(url).digest('hex');

/**
 * Stacks whose endpoint answered 410 Gone. Marked per stack and URL (as a hash:
 * URLs can hold tokens), so a changed webhookUrl is tried again; an operator's
 * replay clears the mark.
 */
export class EndpointGoneMarks {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async isGone(stackId: string, url: string): Promise<boolean> {
    const raw = await this.redis.get(this.keys.webhookEndpointGone(stackId));
    if (!raw) return false;
    try {
      return (JSON.parse(raw) as { url?: string }).url === hashOf(url);
    } catch {
      return false;
    }
  }

  async markGone(stackId: string, url: string): Promise<void> {
    await this.redis.set(this.keys.webhookEndpointGone(stackId), JSON.stringify({ url: hashOf(url), at: Date.now() }));
  }
}
