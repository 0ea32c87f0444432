import { loadavg } from 'node:os';
import { runLoad, type LoadResult, type LoadSpec } from './load.ts';
import type { GcPauses } from './gc-pauses.ts';
import { measureUsage } from './measure.ts';
import type { BenchOptions } from './options.ts';
import { HOT_TEMPLATE, templateBody, type BenchStack, type Target } from './stack.ts';

export type TargetName = string;

export interface RunRecord extends LoadResult {
  round: number;
  latencyMs: number;
  concurrency: number;
  target: TargetName;
  /** µs of CPU per message by process name and by role (ingress, worker, proxy, simulator, redis, loadgen). */
  cpuUsPerMsg: Record<string, number>;
  cpuUsPerMsgByRole: Record<string, number>;
  /** The target's own CPU per message: its processes, plus Redis for the gateway. */
  ownCpuUsPerMsg: number;
  redisCommandsPerMsg: number;
  redisCommandStatsPerMsg: Record<string, number>;
  /** The machine's 1-minute load average before the run: these machines are shared. */
  loadAverage: number;
  /** The garbage collector's pauses in the target's processes during the run (results before 2026-12-04 have none). */
  gcPauses?: GcPauses;
}

/** The targets in a different order each round, so no target always runs first or after the same one. */
function orderFor(round: number, names: string[]): string[] {
  const shift = (round - 1) % names.length;
  return [...names.slice(shift), ...names.slice(0, shift)];
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function loadSpec(target: Target, connections: number, durationSec: number, rate?: number, latencyFromMs?: number): LoadSpec {
  return {
    urls: target.urls,
    path: target.path,
    headers: target.headers,
    connectionHeaders: target.connectionHeaders,
    body: templateBody(HOT_TEMPLATE),
    connections,
    durationSec,
    rate,
    latencyFromMs,
  };
}

/** One measured run (`measureUsage`: CPU and Redis per message over the sends Meta saw). */
export async function measureOnce(stack: BenchStack, target: Target, concurrency: number, durationSec: number, latencyFromMs = 0) {
  const { result: load, usage, ownCpuUsPerMsg, gc } = await measureUsage(stack, target, () => runLoad(loadSpec(target, concurrency, durationSec, undefined, latencyFromMs)));
  return { load, usage, ownCpuUsPerMsg, gc };
}

/** Every (latency, concurrency) cell, with the three targets interleaved in a rotating order in each round. */
export async function runMatrix(stack: BenchStack, options: BenchOptions, log: (line: string) => void): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  log(`warming up each target for ${options.warmupSec} s`);
  await stack.setUpstreamLatency(0);
  for (const target of Object.values(stack.targets)) await runLoad(loadSpec(target, 16, options.warmupSec));

  for (let round = 1; round <= options.rounds; round++) {
    for (const { latencyMs, concurrency } of options.cells) {
      await stack.setUpstreamLatency(latencyMs, options.tail);
      {
        for (const name of orderFor(round, Object.keys(stack.targets))) {
          const target = stack.targets[name]!;
          // Above the warm-up's 16 connections every target (and its pools to Meta) first opens the
          // connections this cell needs, unmeasured: a run should not time connection set-up.
          if (concurrency > 16) {
            await stack.settle();
            await runLoad(loadSpec(target, concurrency, options.warmupSec));
          }
          await stack.settle();
          await pause(100);
          const loadAverage = loadavg()[0]!;
          const { load, usage, ownCpuUsPerMsg, gc } = await measureOnce(stack, target, concurrency, options.durationSec, options.latencyFromMs);
          records.push({
            ...load,
            round,
            latencyMs,
            concurrency,
            target: name,
            cpuUsPerMsg: usage.perProcess,
            cpuUsPerMsgByRole: usage.perRole,
            ownCpuUsPerMsg,
            redisCommandsPerMsg: usage.redisCommands,
            redisCommandStatsPerMsg: usage.commandStats,
            loadAverage,
            gcPauses: gc,
          });
          log(
            `round ${round} upstream ${latencyMs} ms c=${concurrency} ${name.padEnd(9)} ${load.rps.toFixed(0).padStart(6)} req/s p50 ${load.p50.toFixed(2)} ms p99 ${load.p99.toFixed(2)} ms` +
              (load.non2xx + load.errors ? ` non2xx=${load.non2xx} errors=${load.errors} statuses=${JSON.stringify(load.statuses)}` : ''),
          );
          if (stack.crashes.length) throw new Error(`a process crashed:\n${stack.crashes.join('\n')}`);
        }
      }
    }
  }
  await stack.setUpstreamLatency(0);
  return records;
}
