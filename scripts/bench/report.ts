import type { ColdBurstResult } from './cold-burst.ts';
import type { RunRecord, TargetName } from './matrix.ts';
import { median, round } from './stats.ts';

const TARGETS: TargetName[] = ['direct', 'proxy', 'gateway'];

export interface TargetSummary {
  rps: number;
  p50: number;
  p99: number;
  ownCpuUsPerMsg: number;
  cpuUsPerMsgByRole: Record<string, number>;
  cpuUsPerMsgByProcess: Record<string, number>;
  redisCpuUsPerMsg: number;
  redisCommandsPerMsg: number;
  redisCommandStatsPerMsg: Record<string, number>;
  failures: number;
}

export interface CellSummary {
  latencyMs: number;
  concurrency: number;
  targets: Partial<Record<TargetName, TargetSummary>>;
  /** Medians of per-round ratios (each round's runs are neighbours in time). */
  gatewayVsDirect: number;
  gatewayVsProxy: number;
  proxyVsDirect: number;
  gatewayAddedP50: number;
  gatewayAddedP99: number;
  proxyAddedP50: number;
  proxyAddedP99: number;
}

function medianOf(records: RunRecord[], pick: (r: RunRecord) => number | undefined): number {
  return median(records.map((r) => pick(r) ?? NaN));
}

function medianMap(records: RunRecord[], pick: (r: RunRecord) => Record<string, number>): Record<string, number> {
  const names = new Set(records.flatMap((r) => Object.keys(pick(r))));
  return Object.fromEntries([...names].sort().map((n) => [n, round(median(records.map((r) => pick(r)[n] ?? 0)), 3)]));
}

function pairedMedian(records: RunRecord[], a: TargetName, b: TargetName, f: (x: RunRecord, y: RunRecord) => number): number {
  const rounds = new Set(records.map((r) => r.round));
  const values: number[] = [];
  for (const n of rounds) {
    const x = records.find((r) => r.round === n && r.target === a);
    const y = records.find((r) => r.round === n && r.target === b);
    if (x && y) values.push(f(x, y));
  }
  return median(values);
}

export function summarise(records: RunRecord[]): CellSummary[] {
  const cells: CellSummary[] = [];
  const keys = [...new Set(records.map((r) => `${r.latencyMs}/${r.concurrency}`))];
  for (const key of keys) {
    const [latencyMs, concurrency] = key.split('/').map(Number) as [number, number];
    const mine = records.filter((r) => r.latencyMs === latencyMs && r.concurrency === concurrency);
    const targets: CellSummary['targets'] = {};
    for (const name of TARGETS) {
      const runs = mine.filter((r) => r.target === name);
      if (!runs.length) continue;
      targets[name] = {
        rps: round(medianOf(runs, (r) => r.rps), 0),
        p50: round(medianOf(runs, (r) => r.p50), 3),
        p99: round(medianOf(runs, (r) => r.p99), 3),
        ownCpuUsPerMsg: round(medianOf(runs, (r) => r.ownCpuUsPerMsg), 1),
        cpuUsPerMsgByRole: medianMap(runs, (r) => r.cpuUsPerMsgByRole),
        cpuUsPerMsgByProcess: medianMap(runs, (r) => r.cpuUsPerMsg),
        redisCpuUsPerMsg: round(medianOf(runs, (r) => r.cpuUsPerMsgByRole.redis), 1),
        redisCommandsPerMsg: round(medianOf(runs, (r) => r.redisCommandsPerMsg), 2),
        redisCommandStatsPerMsg: medianMap(runs, (r) => r.redisCommandStatsPerMsg),
        failures: runs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
      };
    }
    cells.push({
      latencyMs,
      concurrency,
      targets,
      gatewayVsDirect: round(pairedMedian(mine, 'gateway', 'direct', (g, d) => g.rps / d.rps), 3),
      gatewayVsProxy: round(pairedMedian(mine, 'gateway', 'proxy', (g, p) => g.rps / p.rps), 3),
      proxyVsDirect: round(pairedMedian(mine, 'proxy', 'direct', (p, d) => p.rps / d.rps), 3),
      gatewayAddedP50: round(pairedMedian(mine, 'gateway', 'direct', (g, d) => g.p50 - d.p50), 3),
      gatewayAddedP99: round(pairedMedian(mine, 'gateway', 'direct', (g, d) => g.p99 - d.p99), 3),
      proxyAddedP50: round(pairedMedian(mine, 'proxy', 'direct', (p, d) => p.p50 - d.p50), 3),
      proxyAddedP99: round(pairedMedian(mine, 'proxy', 'direct', (p, d) => p.p99 - d.p99), 3),
    });
  }
  return cells;
}

export interface TargetVerdict {
  target: string;
  goal: string;
  measured: string;
  met: boolean;
}

export function verdicts(cells: CellSummary[], bursts: ColdBurstResult[]): TargetVerdict[] {
  const out: TargetVerdict[] = [];
  const loaded = cells.filter((c) => c.concurrency > 1);
  if (loaded.length) {
    const worst = loaded.reduce((a, b) => (b.gatewayVsProxy < a.gatewayVsProxy ? b : a));
    out.push({
      target: 'throughput vs plain proxy',
      goal: '>= 1.00x at every concurrency > 1',
      measured: loaded.map((c) => `${c.latencyMs} ms/c${c.concurrency}: ${c.gatewayVsProxy.toFixed(2)}x`).join(', '),
      met: worst.gatewayVsProxy >= 1,
    });
  }
  const single = cells.filter((c) => c.concurrency === 1);
  for (const c of single) {
    out.push({
      target: `added latency at c=1, upstream ${c.latencyMs} ms`,
      goal: 'p50 <= 1.5 ms, p99 <= 5 ms over direct',
      measured: `p50 +${c.gatewayAddedP50.toFixed(2)} ms, p99 +${c.gatewayAddedP99.toFixed(2)} ms`,
      met: c.gatewayAddedP50 <= 1.5 && c.gatewayAddedP99 <= 5,
    });
  }
  // Capacity is what Redis spends per message when it is busiest: the highest concurrency, best upstream case.
  const top = Math.max(...cells.map((c) => c.concurrency));
  const busiest = cells
    .filter((c) => c.targets.gateway && c.concurrency === top)
    .reduce<CellSummary | undefined>((a, b) => (!a || b.targets.gateway!.redisCpuUsPerMsg < a.targets.gateway!.redisCpuUsPerMsg ? b : a), undefined);
  if (busiest) {
    const us = busiest.targets.gateway!.redisCpuUsPerMsg;
    out.push({
      target: 'Redis CPU per message',
      goal: 'one Redis core carries >= 5,000 msg/s (<= 200 µs/msg)',
      measured: `${us.toFixed(0)} µs/msg at ${busiest.latencyMs} ms/c${busiest.concurrency} -> ${Math.round(1e6 / us)} msg/s per Redis core`,
      met: us <= 200,
    });
  }
  if (bursts.length) {
    out.push({
      target: 'cold burst',
      goal: 'one MM call in total',
      measured: bursts.map((b) => `${b.sends} sends @${b.latencyMs} ms: MM ${b.mmCalls}, Cloud ${b.cloudCalls}`).join('; '),
      met: bursts.every((b) => b.mmCalls === 1),
    });
  }
  return out;
}

const fmt = (v: number | undefined, digits = 2) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

export function markdown(cells: CellSummary[], bursts: ColdBurstResult[], meta: Record<string, unknown>): string {
  const lines: string[] = [];
  lines.push(
    `Command: \`${meta.command}\`. Processes: gateway ${meta.ingresses} ingress + ${meta.workers} worker, proxy ${meta.proxies}; ${meta.rounds} interleaved round(s) of ${meta.durationSec} s; medians. ` +
      `Machine: ${(meta.host as { cpus: number }).cpus} cores, median load average ${meta.loadAverage} before the runs.`,
    '',
  );
  lines.push('| upstream | conc. | target | req/s | p50 ms | p99 ms | vs direct | vs proxy | +p50 ms | +p99 ms | own CPU µs/msg | Redis CPU µs/msg | Redis cmds/msg |');
  lines.push('|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const c of cells) {
    for (const name of TARGETS) {
      const t = c.targets[name];
      if (!t) continue;
      const vsDirect = name === 'gateway' ? c.gatewayVsDirect : name === 'proxy' ? c.proxyVsDirect : 1;
      const vsProxy = name === 'gateway' ? fmt(c.gatewayVsProxy) : name === 'proxy' ? '1.00' : '';
      const addedP50 = name === 'gateway' ? c.gatewayAddedP50 : name === 'proxy' ? c.proxyAddedP50 : undefined;
      const addedP99 = name === 'gateway' ? c.gatewayAddedP99 : name === 'proxy' ? c.proxyAddedP99 : undefined;
      const gw = name === 'gateway';
      lines.push(
        `| ${c.latencyMs} ms | ${c.concurrency} | ${name}${t.failures ? ` (${t.failures} failed)` : ''} | ${t.rps} | ${fmt(t.p50)} | ${fmt(t.p99)} | ${fmt(vsDirect)} | ${vsProxy} | ${addedP50 === undefined ? '' : fmt(addedP50)} | ${addedP99 === undefined ? '' : fmt(addedP99)} | ${fmt(t.ownCpuUsPerMsg, 0)} | ${gw ? fmt(t.redisCpuUsPerMsg, 0) : ''} | ${gw ? fmt(t.redisCommandsPerMsg, 1) : ''} |`,
      );
    }
  }
  lines.push('', 'CPU per message per process (µs, gateway runs; ingress/worker/redis are the gateway, simulator and loadgen are shared):', '');
  const processNames = [...new Set(cells.flatMap((c) => Object.keys(c.targets.gateway?.cpuUsPerMsgByProcess ?? {})))].sort();
  lines.push(`| upstream | conc. | ${processNames.join(' | ')} |`);
  lines.push(`|---:|---:|${processNames.map(() => '---:').join('|')}|`);
  for (const c of cells) {
    const by = c.targets.gateway?.cpuUsPerMsgByProcess ?? {};
    lines.push(`| ${c.latencyMs} ms | ${c.concurrency} | ${processNames.map((n) => fmt(by[n], 0)).join(' | ')} |`);
  }
  const busiest = cells.filter((c) => c.targets.gateway).at(-1);
  if (busiest?.targets.gateway) {
    const stats = Object.entries(busiest.targets.gateway.redisCommandStatsPerMsg)
      .filter(([, v]) => v >= 0.01)
      .sort((a, b) => b[1] - a[1]);
    lines.push('', `Redis commands per message (gateway, upstream ${busiest.latencyMs} ms, c=${busiest.concurrency}): ${stats.map(([n, v]) => `${n} ${v.toFixed(2)}`).join(', ')}`);
  }
  if (bursts.length) {
    lines.push('', '| cold burst | upstream | sends | MM calls | Cloud calls | statuses | reasons | wall ms |', '|---:|---:|---:|---:|---:|---|---|---:|');
    for (const b of bursts) {
      lines.push(`| ${b.round} | ${b.latencyMs} ms | ${b.sends} | ${b.mmCalls} | ${b.cloudCalls} | ${JSON.stringify(b.statuses)} | ${JSON.stringify(b.reasons)} | ${b.wallMs.toFixed(0)} |`);
    }
  }
  const v = verdicts(cells, bursts);
  lines.push('', '| target | goal | measured | met |', '|---|---|---|---|');
  for (const x of v) lines.push(`| ${x.target} | ${x.goal} | ${x.measured} | ${x.met ? 'yes' : 'no'} |`);
  return lines.join('\n');
}
