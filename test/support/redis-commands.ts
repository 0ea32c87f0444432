import type { Redis } from 'ioredis';

/** Calls of each Redis command so far (`INFO commandstats`; commands inside Lua scripts count). */
export async function commandStats(redis: Redis): Promise<Record<string, number>> {
  const info = await redis.info('commandstats');
  return Object.fromEntries([...info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
}

/** The commands called between two readings of commandStats, with their counts. */
export const diffStats = (before: Record<string, number>, after: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(after).flatMap(([name, calls]) => (calls > (before[name] ?? 0) ? [[name, calls - (before[name] ?? 0)]] : [])));
