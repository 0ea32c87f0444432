import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@gw/process-tools';
import { measureOnce } from './matrix.ts';
import type { BenchOptions } from './options.ts';
import { nodeOptionsImporting } from './preload.ts';
import { summariseProfile } from './profile-summary.ts';
import type { BenchStack } from './stack.ts';

export const PROFILE_DIR = join(REPO_ROOT, 'bench-results', 'profiles', new Date().toISOString().replace(/[:.]/g, '-'));

/** Environment that makes the gateway's processes profile on SIGUSR2. */
export function profilingEnv(): Record<string, string> {
  mkdirSync(PROFILE_DIR, { recursive: true });
  return { NODE_OPTIONS: nodeOptionsImporting('profile-preload.mjs'), BENCH_PROFILE_DIR: PROFILE_DIR };
}

/** One gateway run of `options.profileCell` (Meta's latency, client connections) with every ingress and worker profiled. */
export async function runProfile(stack: BenchStack, options: BenchOptions, log: (line: string) => void): Promise<number> {
  const target = stack.targets.gateway;
  const { latencyMs, concurrency } = options.profileCell;
  await stack.setUpstreamLatency(latencyMs, options.tail);
  await measureOnce(stack, target, concurrency, options.warmupSec);
  const pids = target.processes.map((p) => p.pid);
  for (const pid of pids) process.kill(pid, 'SIGUSR2');
  const { load, usage } = await measureOnce(stack, target, concurrency, options.durationSec);
  for (const pid of pids) process.kill(pid, 'SIGUSR2');
  await new Promise((r) => setTimeout(r, 1500));
  log(`profiled run (Meta at ${latencyMs} ms, c=${concurrency}): ${load.rps.toFixed(0)} req/s, p50 ${load.p50.toFixed(2)} ms; CPU µs/msg ${JSON.stringify(usage.perRole)}`);
  for (const file of readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.cpuprofile'))) console.log(summariseProfile(join(PROFILE_DIR, file), 30), '\n');
  log(`profiles in ${PROFILE_DIR} (open them in Chrome DevTools or speedscope)`);
  return 0;
}
