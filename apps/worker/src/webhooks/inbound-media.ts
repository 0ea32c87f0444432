import type { Redis } from 'ioredis';
import { INBOUND_MEDIA_TYPES, MEDIA_OWNERSHIP_TTL_SECONDS, type RedisKeys } from '@gw/contracts';
import { eachChange, isObject, valueOf, type Envelope } from './envelope.ts';

const MEDIA_TYPES: ReadonlySet<string> = new Set(INBOUND_MEDIA_TYPES);
/** Same shape the ingress accepts in a media path: nothing else becomes part of a key. */
const MEDIA_ID = /^[A-Za-z0-9_.-]{1,128}$/;

/** The media ids (`<type>.id` of image, video, audio, document and sticker messages) of one stack's part of a webhook. */
export function inboundMediaIds(envelope: Envelope): string[] {
  const ids = new Set<string>();
  for (const { change } of eachChange(envelope)) {
    const messages = valueOf(change)?.['messages'];
    if (!Array.isArray(messages)) continue;
    for (const message of messages) {
      if (!isObject(message) || typeof message['type'] !== 'string' || !MEDIA_TYPES.has(message['type'])) continue;
      const media = message[message['type']];
      const id = isObject(media) ? media['id'] : undefined;
      if (typeof id === 'string' && MEDIA_ID.test(id)) ids.add(id);
    }
  }
  return [...ids];
}

/**
 * Lets each stack reach the media its users sent it: one pipelined write per webhook, whatever its
 * number of media, before its deliveries are queued (a client that reads the webhook can fetch the
 * media at once). Re-runs write the same values.
 */
export class InboundMediaOwnership {
  constructor(
    private readonly redis: Pick<Redis, 'pipeline'>,
    private readonly keys: Pick<RedisKeys, 'mediaOwner'>,
  ) {}

  async record(owned: Array<{ tenant: string; mediaIds: string[] }>): Promise<number> {
    const pipeline = this.redis.pipeline();
    let count = 0;
    for (const { tenant, mediaIds } of owned) {
      for (const id of mediaIds) {
        pipeline.set(this.keys.mediaOwner(id), tenant, 'EX', MEDIA_OWNERSHIP_TTL_SECONDS);
        count += 1;
      }
    }
    if (count === 0) return 0;
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0]!;
    return count;
  }
}
