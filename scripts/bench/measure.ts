import { addPauses, gcPauses, NO_PAUSES, pausesBetween, type GcPauses } from './gc-pauses.ts';
import { cpuMs, selfCpuMs } from './procfs.ts';
import { redisDelta, redisSnapshot, type RedisSnapshot } from './redis-info.ts';
import type { BenchStack, Target } from './stack.ts';

interface Snapshot {
  cpu: Map<string, number>;
  gc: Map<string, GcPauses>;
  self: number;
  redis: RedisSnapshot;
}

/** CPU of every process of the stack, the load generator and Redis, plus Redis commands. */
export interface Usage {
  /** ms of CPU per process name (ingress-0, worker-0, proxy-1, simulator), plus `redis` and `loadgen`. */
  cpuMs: Record<string, number>;
  redisCommands: number;
  redisCommandStats: Record<string, number>;
  /** Garbage-collection pauses per process name (the stack's processes). */
  gc: Record<string, GcPauses>;
}

export async function snapshot(stack: BenchStack): Promise<Snapshot> {
  const cpu = new Map<string, number>();
  const gc = new Map<string, GcPauses>();
  for (const { name, pid } of stack.processes()) {
    const ms = cpuMs(pid);
    if (ms !== undefined) cpu.set(name, ms);
    gc.set(name, gcPauses(stack.gcDir, pid));
  }
  return { cpu, gc, self: selfCpuMs(), redis: await redisSnapshot(stack.redisClient) };
}

export function usageBetween(before: Snapshot, after: Snapshot): Usage {
  const cpu: Record<string, number> = {};
  for (const [name, ms] of after.cpu) {
    const start = before.cpu.get(name);
    if (start !== undefined) cpu[name] = ms - start;
  }
  const gc: Record<string, GcPauses> = {};
  for (const [name, pauses] of after.gc) {
    const start = before.gc.get(name);
    if (start) gc[name] = pausesBetween(start, pauses);
  }
  const redis = redisDelta(before.redis, after.redis);
  cpu.redis = redis.cpuMs;
  cpu.loadgen = after.self - before.self;
  return { cpuMs: cpu, redisCommands: redis.commands, redisCommandStats: redis.commandStats, gc };
}

/** Role of a process name: ingress-1 -> ingress. */
export const roleOf = (name: string) => name.replace(/-\d+$/, '');

/** µs of CPU per message, per process and per role. */
export function perMessage(usage: Usage, messages: number) {
  const perProcess: Record<string, number> = {};
  const perRole: Record<string, number> = {};
  for (const [name, ms] of Object.entries(usage.cpuMs)) {
    const us = messages > 0 ? (ms * 1000) / messages : NaN;
    perProcess[name] = us;
    perRole[roleOf(name)] = (perRole[roleOf(name)] ?? 0) + us;
  }
  const commandStats: Record<string, number> = {};
  for (const [name, calls] of Object.entries(usage.redisCommandStats)) commandStats[name] = messages > 0 ? calls / messages : NaN;
  return { perProcess, perRole, redisCommands: messages > 0 ? usage.redisCommands / messages : NaN, commandStats };
}

/**
 * CPU and Redis per message of what `run` sends through `target`, read after the sends it started have all
 * reached Meta (requests still in flight when it ends are finished by the gateway) and divided by the sends
 * Meta saw, so per-message costs include every message's whole path. `ownCpuUsPerMsg`: the target's
 * processes, plus Redis for a gateway; `gc`: the garbage collector's pauses in the target's processes.
 */
export async function measureUsage<T>(stack: BenchStack, target: Target, run: () => Promise<T>) {
  const sent = async () => Object.values((await stack.sim('GET', '/counters')) as Record<string, number>).reduce((a, b) => a + b, 0);
  const before = await snapshot(stack);
  const sentBefore = await sent();
  const result = await run();
  await stack.settle();
  const messages = (await sent()) - sentBefore;
  const after = await snapshot(stack);
  const between = usageBetween(before, after);
  const usage = perMessage(between, messages);
  const own = [...target.processes.map((p) => p.name), ...(target.usesRedis ? ['redis'] : [])];
  const ownCpuUsPerMsg = own.reduce((sum, name) => sum + (usage.perProcess[name] ?? 0), 0);
  const gc = target.processes.reduce((sum, p) => addPauses(sum, between.gc[p.name] ?? NO_PAUSES), NO_PAUSES);
  return { result, usage, ownCpuUsPerMsg, gc };
}
