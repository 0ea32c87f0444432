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
import { runCampaign, type CampaignResult } from './bench/campaign.ts';
import { coldBurst, type ColdBurstResult } from './bench/cold-burst.ts';
import { measureMemory, type MemoryResult } from './bench/memory.ts';
import { runMatrix, type RunRecord } from './bench/matrix.ts';
import { parseOptions, type BenchOptions } from './bench/options.ts';
import { describeLayout, markdown, summarise, verdicts } from './bench/report.ts';
import { profilingEnv, runProfile } from './bench/profile.ts';
import { median } from './bench/stats.ts';
import { runSoak } from './bench/soak.ts';
import { startBenchStack, type BenchStack } from './bench/stack.ts';
import { warmCategory } from './bench/warm.ts';
import { startBenchPostgres, type BenchPostgres } from './bench/postgres.ts';
import { SINK_VARIANT, sinkComparisons, sinkMarkdown } from './bench/sink-report.ts';

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

async function benchmark(stack: BenchStack, options: BenchOptions, sink: BenchPostgres | undefined): Promise<number> {
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
  const campaigns: CampaignResult[] = [];
  if (options.campaign > 0) {
    for (const target of stack.gateways()) {
      log(`campaign: ${options.campaign} sends to one number at ${options.campaignRate} msg/s, Meta at ${options.campaignLatencyMs} ms (${target.name})`);
      const result = await runCampaign(stack, target, options);
      log(
        `campaign ${target.name}: ${result.msgPerSec} msg/s sustained, ${result.failures} failed, Meta saw ${result.metaSends}, answers ${JSON.stringify(result.statuses)}, p50 ${result.p50} ms p99 ${result.p99} ms`,
      );
      campaigns.push(result);
    }
  }
  const memory: MemoryResult[] = [];
  if (options.memory > 0) {
    // The proxy too: what a send costs a process that only forwards it.
    for (const target of [...stack.gateways(), stack.targets.proxy]) {
      const result = await measureMemory(stack, target, options);
      log(
        `memory ${target.name}: ${result.inFlight} sends in flight (${result.rps} msg/s, ${result.failures} failed), RSS ${JSON.stringify(result.rssMb)}, heap KB per send ${JSON.stringify(result.heapKbPerSend)}`,
      );
      memory.push(result);
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
    layout: options.layout,
    proxies: options.proxies,
    rounds: options.rounds,
    durationSec: options.durationSec,
    options,
    elapsedSec: Math.round((Date.now() - started) / 1000),
    /** Median 1-minute load average before each run: above the core count, other work shared the machine. */
    loadAverage: Math.round(median(records.map((r) => r.loadAverage)) * 100) / 100,
  };
  const extras = { campaigns, memory };
  const auditSink = sink ? { comparisons: sinkComparisons(cells), rows: await sink.rowCounts() } : undefined;
  const table = markdown(cells, bursts, meta, extras) + (auditSink ? `\n${sinkMarkdown(auditSink.comparisons, auditSink.rows)}` : '');
  console.log(`\n${table}\n`);
  writeJson(resultFile(options, 'bench'), { meta, summary: cells, verdicts: verdicts(cells, bursts, extras), auditSink, coldBursts: bursts, campaigns, memory, runs: records });
  return 0;
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  if (options.render) {
    const saved = JSON.parse(readFileSync(options.render, 'utf8')) as {
      meta: Record<string, unknown>;
      runs: RunRecord[];
      coldBursts: ColdBurstResult[];
      campaigns?: CampaignResult[];
      memory?: MemoryResult[];
    };
    console.log(markdown(summarise(saved.runs), saved.coldBursts ?? [], saved.meta, { campaigns: saved.campaigns ?? [], memory: saved.memory ?? [] }));
    return;
  }
  if (options.profile) options.gatewayEnv = { ...profilingEnv(), ...options.gatewayEnv };
  // The send ledger is kept for LEDGER_RETENTION_SECONDS (30 days by default) on purpose: it grows with
  // traffic x retention, which is capacity planning, not a leak. The soak keeps it a minute so that what
  // it judges (Redis memory flat once retention windows are full) is the rest. --env overrides it.
  if (options.soak) options.gatewayEnv = { LEDGER_RETENTION_SECONDS: '60', ...options.gatewayEnv };
  // The PostgreSQL audit sink on against off: one more gateway, interleaved with the main one in every cell.
  const sink = options.auditSink && !options.soak && !options.profile ? await startBenchPostgres(log) : undefined;
  if (sink) options.variants = { ...options.variants, [SINK_VARIANT]: { AUDIT_DATABASE_URL: sink.url } };
  log(`starting Redis, simulator, the gateway (${describeLayout(options.layout)}), ${options.proxies} proxy process(es)`);
  const stack = await startBenchStack(options).catch(async (error: unknown) => {
    await sink?.stop();
    throw error;
  });
  let code = 1;
  const stop = async () => {
    await stack.stop();
    await sink?.stop();
  };
  process.once('SIGINT', () => void stop().finally(() => process.exit(130)));
  try {
    await warmCategory(stack);
    if (options.soak) code = await runSoak(stack, options, log, (data) => writeJson(resultFile(options, 'soak'), data));
    else if (options.profile) code = await runProfile(stack, options, log);
    else code = await benchmark(stack, options, sink);
  } catch (error) {
    log(`failed: ${(error as Error).stack ?? String(error)}`);
    code = 1;
  } finally {
    await stop();
  }
  process.exit(code);
}

void main();
