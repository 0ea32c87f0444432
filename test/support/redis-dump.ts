import type { Redis } from 'ioredis';

/** Every value under a prefix as text (strings, hashes, lists, sets, sorted sets, streams), to search for leaks. */
export async function dumpPrefix(redis: Redis, prefix: string): Promise<Map<string, string>> {
  const dump = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      let value: unknown;
      if (type === 'string') value = await redis.get(key);
      else if (type === 'hash') value = await redis.hgetall(key);
      else if (type === 'list') value = await redis.lrange(key, 0, -1);
      else if (type === 'set') value = await redis.smembers(key);
      else if (type === 'zset') value = await redis.zrange(key, '0', '-1');
      else if (type === 'stream') value = await redis.xrange(key, '-', '+');
      // A key that expired meanwhile reads as nothing.
      dump.set(key, JSON.stringify(value ?? null));
    }
  } while (cursor !== '0');
  return dump;
}
