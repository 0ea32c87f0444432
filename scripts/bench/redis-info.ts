import type { Redis } from 'ioredis';

export interface RedisSnapshot {
  /** used_cpu_sys + used_cpu_user, ms. */
  cpuMs: number;
  commands: number;
  commandStats: Record<string, number>;
  usedMemory: number;
  keys: number;
}

function fields(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) map.set(line.slice(0, at), line.slice(at + 1));
  }
  return map;
}

/** One INFO call: the snapshot itself costs one command, subtracted by the caller. */
export async function redisSnapshot(redis: Redis): Promise<RedisSnapshot> {
  const info = fields(await redis.info('everything'));
  const commandStats: Record<string, number> = {};
  for (const [key, value] of info) {
    if (!key.startsWith('cmdstat_')) continue;
    const calls = /calls=(\d+)/.exec(value);
    if (calls) commandStats[key.slice('cmdstat_'.length)] = Number(calls[1]);
  }
  const db0 = info.get('db0');
  return {
    cpuMs: (Number(info.get('used_cpu_sys')) + Number(info.get('used_cpu_user'))) * 1000,
    commands: Number(info.get('total_commands_processed')),
    commandStats,
    usedMemory: Number(info.get('used_memory')),
    keys: db0 ? Number(/keys=(\d+)/.exec(db0)?.[1] ?? 0) : 0,
  };
}

export interface RedisDelta {
  cpuMs: number;
  commands: number;
  commandStats: Record<string, number>;
}

export function redisDelta(before: RedisSnapshot, after: RedisSnapshot): RedisDelta {
  const commandStats: Record<string, number> = {};
  for (const [name, calls] of Object.entries(after.commandStats)) {
    const delta = calls - (before.commandStats[name] ?? 0);
    if (delta > 0) commandStats[name] = delta;
  }
  // The INFO that took `before` is counted in `after`: that command is ours, not the gateway's.
  if (commandStats.info) commandStats.info -= 1;
  return { cpuMs: after.cpuMs - before.cpuMs, commands: after.commands - before.commands - 1, commandStats };
}
