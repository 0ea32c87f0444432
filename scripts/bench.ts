/**
 * `pnpm bench`: the gateway against a direct call to the simulator and against a
 * plain Express + undici proxy, on one machine, in one run. Starts its own Redis,
 * simulator, gateway and proxy processes and stops them at the end.
 * `pnpm bench -- --help` lists the options; `--soak` runs the soak instead.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '@gw/process-tools';
import { coldBurst, type ColdBurstResult } from './bench/cold-burst.ts';
import { runMatrix, type RunRecord } from './bench/matrix.ts';
import { parseOptions, type BenchOptions } from './bench/options.ts';
import { markdown, summarise, verdicts } from './bench/report.ts';
import { profilingEnv, runProfile } from './bench/profile.ts';
import { median } from './bench/stats.ts';
import { runSoak } from './bench/soak.ts';
import { startBenchStack, type BenchStack } from './bench/stack.ts';
import { warmCategory } from './bench/warm.ts';

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

function resultFile(options: BenchOptions, kind: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return options.out ?? join(REPO_ROOT, 'bench-results', `${kind}-${stamp}.json`);
}

function writeJson(file: string, data: unknown) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(data, null, 2));
  log(`wrote ${file}`);
}

async function benchmark(stack: BenchStack, options: BenchOptions): Promise<number> {
  const started = Date.now();
  const records = await runMatrix(stack, options, log);
  const bursts: ColdBurstResult[] = [];
  if (options.coldBurst > 0) {
    for (let round = 1; round <= Math.min(options.rounds, 3); round++) {
      for (const latencyMs of options.latenciesMs) {
        const burst = await coldBurst(stack, options.coldBurst, round, latencyMs);
        log(`cold burst ${round} upstream ${latencyMs} ms: MM ${burst.mmCalls}, Cloud ${burst.cloudCalls}, statuses ${JSON.stringify(burst.statuses)}`);
        bursts.push(burst);
      }
    }
  }
  const cells = summarise(records);
  const meta = {
    command: `pnpm bench ${process.argv
      .slice(2)
      .filter((a) => a !== '--')
      .join(' ')}`.trim(),
    date: new Date().toISOString(),
    host: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    ingresses: options.ingresses,
    workers: options.workers,
    proxies: options.proxies,
    rounds: options.rounds,
    durationSec: options.durationSec,
    options,
    elapsedSec: Math.round((Date.now() - started) / 1000),
    /** Median 1-minute load average before each run: above the core count, other work shared the machine. */
    loadAverage: Math.round(median(records.map((r) => r.loadAverage)) * 100) / 100,
  };
  const table = markdown(cells, bursts, meta);
  console.log(`\n${table}\n`);
  writeJson(resultFile(options, 'bench'), { meta, summary: cells, verdicts: verdicts(cells, bursts), coldBursts: bursts, runs: records });
  return 0;
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  if (options.render) {
    const saved = JSON.parse(readFileSync(options.render, 'utf8')) as { meta: Record<string, unknown>; runs: RunRecord[]; coldBursts: ColdBurstResult[] };
    console.log(markdown(summarise(saved.runs), saved.coldBursts ?? [], saved.meta));
    return;
  }
  if (options.profile) options.gatewayEnv = { ...profilingEnv(), ...options.gatewayEnv };
  // The send ledger is kept for LEDGER_RETENTION_SECONDS (30 days by default) on purpose: it grows with
  // traffic x retention, which is capacity planning, not a leak. The soak keeps it a minute so that what
  // it judges (Redis memory flat once retention windows are full) is the rest. --env overrides it.
  if (options.soak) options.gatewayEnv = { LEDGER_RETENTION_SECONDS: '60', ...options.gatewayEnv };
  log(`starting Redis, simulator, ${options.ingresses} ingress + ${options.workers} worker, ${options.proxies} proxy process(es)`);
  const stack = await startBenchStack(options);
  let code = 1;
  const stop = async () => {
    await stack.stop();
  };
  process.once('SIGINT', () => void stop().finally(() => process.exit(130)));
  try {
    await warmCategory(stack);
    if (options.soak) code = await runSoak(stack, options, log, (data) => writeJson(resultFile(options, 'soak'), data));
    else if (options.profile) code = await runProfile(stack, options, log);
    else code = await benchmark(stack, options);
  } catch (error) {
    log(`failed: ${(error as Error).stack ?? String(error)}`);
    code = 1;
  } finally {
    await stop();
  }
  process.exit(code);
}

void main();
