import { runLoad } from './load.ts';
import { loadSpec } from './matrix.ts';
import type { BenchOptions } from './options.ts';
import { rssBytes } from './procfs.ts';
import { redisSnapshot } from './redis-info.ts';
import { PREFIX, type BenchStack } from './stack.ts';
import { median, round } from './stats.ts';

interface Sample {
  atSec: number;
  rss: Record<string, number>;
  redisUsedMemory: number;
  redisKeys: number;
  completedJobs: number;
}

const MB = 1024 * 1024;
const GROWTH_LIMIT = 0.1;

function inWindow(samples: Sample[], from: number, to: number): Sample[] {
  const end = samples.at(-1)?.atSec ?? 0;
  return samples.filter((s) => s.atSec >= from * end && s.atSec <= to * end);
}

/** Median of the samples whose time falls in [from, to] of the run, as fractions. */
function windowMedian(samples: Sample[], from: number, to: number, pick: (s: Sample) => number | undefined): number {
  return median(inWindow(samples, from, to).map((s) => pick(s) ?? NaN));
}

/**
 * Lowest value in the window: a Node process's RSS is a saw (tens of MB between
 * major GCs), and a leak shows as a rising floor, not as a higher median.
 */
function windowFloor(samples: Sample[], from: number, to: number, pick: (s: Sample) => number | undefined): number {
  return Math.min(...inWindow(samples, from, to).map((s) => pick(s) ?? Infinity));
}

async function sampleKeyBytes(stack: BenchStack, pattern: string): Promise<number> {
  const [, keys] = await stack.redisClient.scan('0', 'MATCH', pattern, 'COUNT', 1000);
  const sizes: number[] = [];
  for (const key of keys.slice(0, 20)) sizes.push(Number(await stack.redisClient.memory('USAGE', key)) || 0);
  return median(sizes);
}

/**
 * Half of the measured capacity for --minutes: memory of every process and of
 * Redis must stay flat and no send may fail. Exit 1 otherwise.
 */
export async function runSoak(stack: BenchStack, options: BenchOptions, log: (line: string) => void, write: (data: unknown) => void): Promise<number> {
  const gateway = stack.targets.gateway;
  const ledgerRetention = options.gatewayEnv.LEDGER_RETENTION_SECONDS ?? '(default)';
  let rate = options.soakRate;
  let capacity: number | undefined;
  if (!rate) {
    await runLoad(loadSpec(gateway, 128, options.warmupSec));
    await stack.settle();
    capacity = (await runLoad(loadSpec(gateway, 128, Math.max(5, options.durationSec)))).rps;
    rate = Math.max(1, Math.round(capacity / 2));
    log(`measured capacity ${capacity.toFixed(0)} msg/s (c=128); soaking at ${rate} msg/s`);
  }
  await stack.settle();
  const durationSec = Math.round(options.soakMinutes * 60);
  const samples: Sample[] = [];
  const started = Date.now();
  const take = async () => {
    const rss: Record<string, number> = {};
    for (const { name, pid } of stack.processes()) rss[name] = rssBytes(pid) ?? NaN;
    const redis = await redisSnapshot(stack.redisClient);
    const completedJobs = await stack.redisClient.zcard(`${PREFIX}:send:completed`);
    samples.push({ atSec: (Date.now() - started) / 1000, rss, redisUsedMemory: redis.usedMemory, redisKeys: redis.keys, completedJobs });
  };
  await take();
  const sampler = setInterval(
    () => {
      void take().then(() => {
        const last = samples.at(-1)!;
        const gw = Object.entries(last.rss).filter(([n]) => /^(ingress|worker)/.test(n));
        log(
          `soak ${last.atSec.toFixed(0)}/${durationSec} s: ${gw.map(([n, b]) => `${n} ${(b / MB).toFixed(0)} MB`).join(', ')}, redis ${(last.redisUsedMemory / MB).toFixed(1)} MB, keys ${last.redisKeys}, completed jobs ${last.completedJobs}`,
        );
      });
    },
    Math.min(10_000, Math.max(2_000, (durationSec * 1000) / 60)),
  );
  const spec = loadSpec(gateway, Math.min(128, Math.max(8, Math.ceil(rate / 50))), durationSec, rate);
  const load = await runLoad(spec);
  clearInterval(sampler);
  await stack.settle();

  const processes = Object.keys(samples[0]!.rss).filter((n) => !['proxy'].some((p) => n.startsWith(p)));
  const memory = processes.map((name) => {
    const baseline = windowFloor(samples, 0.25, 0.5, (s) => s.rss[name]);
    const final = windowFloor(samples, 0.75, 1, (s) => s.rss[name]);
    const growth = final / baseline - 1;
    // The gateway's own processes: separate ingresses and workers, or processes holding both roles (GATEWAY_PROCESSES).
    const judged = /^(ingress|worker|gateway)-/.test(name);
    return { name, baselineMB: round(baseline / MB, 1), finalMB: round(final / MB, 1), growthPct: round(growth * 100, 1), judged, ok: !judged || growth < GROWTH_LIMIT };
  });

  const ledgerBytes = await sampleKeyBytes(stack, `${PREFIX}:ledger:*`);
  const jobBytes = await sampleKeyBytes(stack, `${PREFIX}:send:*-*-*`);
  const last = samples.at(-1)!;
  const ledgerKeys = Math.max(0, last.redisKeys - last.completedJobs);
  // Retention windows (finished jobs, the ledger at the soak's LEDGER_RETENTION_SECONDS) fill up
  // first; bounded means flat over the second half.
  const redisBaseline = windowMedian(samples, 0.5, 0.6, (s) => s.redisUsedMemory);
  const redisFinal = windowMedian(samples, 0.9, 1, (s) => s.redisUsedMemory);
  const redisGrowth = redisFinal / redisBaseline - 1;
  const failures = load.non2xx + load.errors + load.timeouts;
  const redis = {
    usedMemoryMB: round(last.redisUsedMemory / MB, 1),
    keys: last.redisKeys,
    completedJobs: last.completedJobs,
    bytesPerRetainedJob: jobBytes,
    ledgerKeysEstimate: ledgerKeys,
    bytesPerLedgerKey: ledgerBytes,
    secondHalfBaselineMB: round(redisBaseline / MB, 1),
    secondHalfFinalMB: round(redisFinal / MB, 1),
    secondHalfGrowthPct: round(redisGrowth * 100, 1),
    ok: redisGrowth < GROWTH_LIMIT,
  };
  const ok = memory.every((m) => m.ok) && redis.ok && failures === 0 && stack.crashes.length === 0;

  const lines = [
    `Soak: ${options.soakMinutes} min at ${rate} msg/s${capacity ? ` (half of ${capacity.toFixed(0)} measured)` : ''}: ${load.ok} sent, ${failures} failed, p50 ${load.p50.toFixed(2)} ms, p99 ${load.p99.toFixed(2)} ms.`,
    '',
    '| process | RSS floor at 25-50% MB | RSS floor at 75-100% MB | growth | judged |',
    '|---|---:|---:|---:|---|',
    ...memory.map((m) => `| ${m.name} | ${m.baselineMB} | ${m.finalMB} | ${m.growthPct}% | ${m.judged ? (m.ok ? 'ok' : 'FAIL') : 'info'} |`),
    '',
    `Redis: used_memory ${redis.usedMemoryMB} MB, ${redis.keys} keys: ${redis.completedJobs} retained completed jobs${redis.completedJobs > 0 ? ` (~${redis.bytesPerRetainedJob} B each)` : ''} and ~${redis.ledgerKeysEstimate} ledger keys (~${redis.bytesPerLedgerKey} B each, LEDGER_RETENTION_SECONDS=${ledgerRetention}).`,
    `Redis used_memory over the second half (50-60% -> 90-100%): ${redis.secondHalfBaselineMB} -> ${redis.secondHalfFinalMB} MB (${redis.secondHalfGrowthPct}%): ${redis.ok ? 'ok' : 'FAIL'}.`,
    stack.crashes.length ? `Crashes:\n${stack.crashes.join('\n')}` : '',
    `Verdict: ${ok ? 'PASS' : 'FAIL'}`,
  ];
  console.log(`\n${lines.join('\n')}\n`);
  write({
    meta: {
      command: `pnpm bench ${process.argv
        .slice(2)
        .filter((a) => a !== '--')
        .join(' ')}`.trim(),
      date: new Date().toISOString(),
      options,
    },
    rate,
    capacity,
    load,
    memory,
    redis,
    crashes: stack.crashes,
    ok,
    samples,
  });
  return ok ? 0 : 1;
}
