import { heapAfterGc } from './gc-pauses.ts';
import { runLoad } from './load.ts';
import { loadSpec } from './matrix.ts';
import type { BenchOptions } from './options.ts';
import { rssBytes } from './procfs.ts';
import type { BenchStack, Target } from './stack.ts';

export interface MemoryResult {
  target: string;
  /** Client connections, each with one send in flight most of the time. */
  connections: number;
  latencyMs: number;
  /** Sends held inside the gateway: one per connection (a closed loop, each waits for its answer). */
  inFlight: number;
  /** Of those, at Meta by Little's law: answers per second x Meta's fixed latency. */
  atMeta: number;
  rps: number;
  failures: number;
  /** RSS in MB per process: before the load, the highest sampled from its start to 2 s after it, and then. */
  rssMb: Record<string, { idle: number; peak: number; after: number }>;
  /**
   * KB of heap per send in flight, per process: its heap after a full collection halfway through the load, less
   * the same before it, over the sends in flight. What each send keeps alive while it waits, which every
   * young-generation collection copies. Absent in results from before it was measured.
   */
  heapKbPerSend?: Record<string, number>;
}

const mb = (bytes: number | undefined) => Math.round(((bytes ?? 0) / 2 ** 20) * 10) / 10;

/**
 * The gateway's resident memory with `options.memory` sends in flight: as many
 * connections, Meta slow enough (memoryLatencyMs) that each holds a send for the run.
 */
export async function measureMemory(stack: BenchStack, target: Target, options: BenchOptions): Promise<MemoryResult> {
  await stack.setUpstreamLatency(options.memoryLatencyMs, 1);
  await stack.settle();
  const processes = target.processes;
  const idle = new Map(processes.map((p) => [p.name, rssBytes(p.pid) ?? 0]));
  const peak = new Map(idle);
  const sampler = setInterval(() => {
    for (const p of processes) peak.set(p.name, Math.max(peak.get(p.name) ?? 0, rssBytes(p.pid) ?? 0));
  }, 200);
  const durationSec = Math.max(options.durationSec, Math.ceil((3 * options.memoryLatencyMs) / 1000));
  const heaps = () => Promise.all(processes.map((p) => heapAfterGc(stack.gcDir, p.pid)));
  const idleHeaps = await heaps();
  let load;
  let loadedHeaps: Array<number | undefined> = [];
  try {
    // Halfway through: every connection's first send was answered and its next one is in flight.
    const halfway = new Promise((r) => setTimeout(r, (durationSec * 1000) / 2)).then(async () => (loadedHeaps = await heaps()));
    load = await runLoad(loadSpec(target, options.memory, durationSec));
    await halfway;
    // Still sampled while the sends left over finish: the processes grow after the clients are gone too.
    await stack.settle();
    await stack.setUpstreamLatency(0);
    await new Promise((r) => setTimeout(r, 2000));
  } finally {
    clearInterval(sampler);
  }
  const rssMb: MemoryResult['rssMb'] = {};
  const heapKbPerSend: Record<string, number> = {};
  processes.forEach((p, i) => {
    const after = rssBytes(p.pid) ?? 0;
    rssMb[p.name] = { idle: mb(idle.get(p.name)), peak: mb(Math.max(after, peak.get(p.name) ?? 0)), after: mb(after) };
    const [before, loaded] = [idleHeaps[i], loadedHeaps[i]];
    if (before !== undefined && loaded !== undefined) heapKbPerSend[p.name] = Math.round(((loaded - before) / options.memory / 1024) * 10) / 10;
  });
  return {
    target: target.name,
    connections: options.memory,
    latencyMs: options.memoryLatencyMs,
    inFlight: options.memory,
    atMeta: Math.round((load.rps * options.memoryLatencyMs) / 1000),
    rps: Math.round(load.rps),
    failures: load.non2xx + load.errors + load.timeouts,
    rssMb,
    heapKbPerSend,
  };
}
