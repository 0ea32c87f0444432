import { normaliseLanguage } from './language.ts';

/**
 * Builders for every Redis key and channel outside BullMQ's own. The prefix may
 * carry a hash tag (`{gw}`) so everything lands in one Redis Cluster slot.
 */
export function redisKeys(prefix: string) {
  return {
    category: (wabaId: string, name: string, language: string) =>
      `${prefix}:cat:${wabaId}:${normaliseLanguage(language)}:${name}`,
    replyChannel: (ingressId: string) => `${prefix}:reply:${ingressId}`,
    ledger: (wamid: string) => `${prefix}:ledger:${wamid}`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;
