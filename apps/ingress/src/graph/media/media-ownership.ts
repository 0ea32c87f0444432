import type { Redis } from 'ioredis';
import { MEDIA_OWNERSHIP_TTL_SECONDS, type RedisKeys } from '@gw/contracts';

/**
 * Which tenant may reach a media id. Many stacks may share one business token, so Meta would hand
 * any of them any media: the gateway remembers who uploaded an id (here) or received it in a
 * webhook (the worker), for as long as Meta keeps media.
 */
export class MediaOwnership {
  constructor(
    private readonly redis: Pick<Redis, 'get' | 'set' | 'del'>,
    private readonly keys: Pick<RedisKeys, 'mediaOwner'>,
  ) {}

  /** The tenant that may reach the id, or null when the gateway never saw it. */
  ownerOf(mediaId: string): Promise<string | null> {
    return this.redis.get(this.keys.mediaOwner(mediaId));
  }

  async record(mediaId: string, tenant: string): Promise<void> {
    await this.redis.set(this.keys.mediaOwner(mediaId), tenant, 'EX', MEDIA_OWNERSHIP_TTL_SECONDS);
  }

  async forget(mediaId: string): Promise<void> {
    await this.redis.del(this.keys.mediaOwner(mediaId));
  }
}
