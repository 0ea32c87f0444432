import type { ColdBurstResult } from './cold-burst.ts';
import type { RunRecord, TargetName } from './matrix.ts';
import { median, round } from './stats.ts';

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
  /** Medians of per-round ratios and differences (each round's runs are neighbours in time). */
  vsDirect: number;
  vsProxy: number;
  addedP50: number;
  addedP99: number;
}

export interface CellSummary {
  latencyMs: number;
  concurrency: number;
  targets: Record<TargetName, TargetSummary>;
}

const isGateway = (name: string) => name.startsWith('gateway');
const orderOf = (name: string) => (name === 'direct' ? 0 : name === 'proxy' ? 1 : name === 'gateway' ? 2 : 3);

function medianOf(records: RunRecord[], pick: (r: RunRecord) => number | undefined): number {
  return median(records.map((r) => pick(r) ?? NaN));
}

function medianMap(records: RunRecord[], pick: (r: RunRecord) => Record<string, number>): Record<string, number> {
  const names = new Set(records.flatMap((r) => Object.keys(pick(r))));
  return Object.fromEntries([...names].sort().map((n) => [n, round(median(records.map((r) => pick(r)[n] ?? 0)), 3)]));
}

function pairedMedian(records: RunRecord[], a: TargetName, b: TargetName, f: (x: RunRecord, y: RunRecord) => number): number {
  const values: number[] = [];
  for (const n of new Set(records.map((r) => r.round))) {
    const x = records.find((r) => r.round === n && r.target === a);
    const y = records.find((r) => r.round === n && r.target === b);
    if (x && y) values.push(f(x, y));
  }
  return median(values);
}

export function summarise(records: RunRecord[]): CellSummary[] {
  const cells: CellSummary[] = [];
  for (const key of [...new Set(records.map((r) => `${r.latencyMs}/${r.concurrency}`))]) {
    const [latencyMs, concurrency] = key.split('/').map(Number) as [number, number];
    const mine = records.filter((r) => r.latencyMs === latencyMs && r.concurrency === concurrency);
    const names = [...new Set(mine.map((r) => r.target))].sort((a, b) => orderOf(a) - orderOf(b) || a.localeCompare(b));
    const targets: CellSummary['targets'] = {};
    for (const name of names) {
      const runs = mine.filter((r) => r.target === name);
      targets[name] = {
        rps: round(
          medianOf(runs, (r) => r.rps),
          0,
        ),
        p50: round(
          medianOf(runs, (r) => r.p50),
          3,
        ),
        p99: round(
          medianOf(runs, (r) => r.p99),
          3,
        ),
        ownCpuUsPerMsg: round(
          medianOf(runs, (r) => r.ownCpuUsPerMsg),
          1,
        ),
        cpuUsPerMsgByRole: medianMap(runs, (r) => r.cpuUsPerMsgByRole),
        cpuUsPerMsgByProcess: medianMap(runs, (r) => r.cpuUsPerMsg),
        redisCpuUsPerMsg: round(
          medianOf(runs, (r) => r.cpuUsPerMsgByRole.redis),
          1,
        ),
        redisCommandsPerMsg: round(
          medianOf(runs, (r) => r.redisCommandsPerMsg),
          2,
        ),
        redisCommandStatsPerMsg: medianMap(runs, (r) => r.redisCommandStatsPerMsg),
        failures: runs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
        vsDirect: round(
          pairedMedian(mine, name, 'direct', (x, d) => x.rps / d.rps),
          3,
        ),
        vsProxy: round(
          pairedMedian(mine, name, 'proxy', (x, p) => x.rps / p.rps),
          3,
        ),
        addedP50: round(
          pairedMedian(mine, name, 'direct', (x, d) => x.p50 - d.p50),
          3,
        ),
        addedP99: round(
          pairedMedian(mine, name, 'direct', (x, d) => x.p99 - d.p99),
          3,
        ),
      };
    }
    cells.push({ latencyMs, concurrency, targets });
  }
  return cells;
}

export interface TargetVerdict {
  target: string;
  goal: string;
  measured: string;
  met: boolean;
}

/** Where the main gateway stands against the issue's targets. */
export function verdicts(cells: CellSummary[], bursts: ColdBurstResult[], gateway = 'gateway'): TargetVerdict[] {
  const out: TargetVerdict[] = [];
  const mine = cells.filter((c) => c.targets[gateway]);
  const loaded = mine.filter((c) => c.concurrency > 1);
  if (loaded.length) {
    out.push({
      target: 'throughput vs plain proxy',
      goal: '>= 1.00x at every concurrency > 1',
      measured: loaded.map((c) => `${c.latencyMs} ms/c${c.concurrency}: ${c.targets[gateway]!.vsProxy.toFixed(2)}x`).join(', '),
      met: loaded.every((c) => c.targets[gateway]!.vsProxy >= 1),
    });
  }
  for (const c of mine.filter((x) => x.concurrency === 1)) {
    const t = c.targets[gateway]!;
    out.push({
      target: `added latency at c=1, upstream ${c.latencyMs} ms`,
      goal: 'p50 <= 1.5 ms, p99 <= 5 ms over direct',
      measured: `p50 +${t.addedP50.toFixed(2)} ms, p99 +${t.addedP99.toFixed(2)} ms`,
      met: t.addedP50 <= 1.5 && t.addedP99 <= 5,
    });
  }
  // Capacity is what Redis spends per message when it is busiest: the highest concurrency, best upstream case.
  const top = Math.max(...mine.map((c) => c.concurrency));
  const busiest = mine
    .filter((c) => c.concurrency === top)
    .reduce<CellSummary | undefined>((a, b) => (!a || b.targets[gateway]!.redisCpuUsPerMsg < a.targets[gateway]!.redisCpuUsPerMsg ? b : a), undefined);
  if (busiest) {
    const us = busiest.targets[gateway]!.redisCpuUsPerMsg;
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
      measured: `${bursts.length} bursts of ${bursts[0]!.sends}: MM calls ${bursts.map((b) => b.mmCalls).join(', ')}; Cloud calls ${bursts.map((b) => b.cloudCalls).join(', ')}`,
      met: bursts.every((b) => b.mmCalls === 1),
    });
  }
  return out;
}

const fmt = (v: number | undefined, digits = 2) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

export function markdown(cells: CellSummary[], bursts: ColdBurstResult[], meta: Record<string, unknown>): string {
  const lines: string[] = [];
  lines.push(
    `Command: \`${String(meta.command)}\`. Processes: gateway ${String(meta.ingresses)} ingress + ${String(meta.workers)} worker, proxy ${String(meta.proxies)}; ${String(meta.rounds)} interleaved round(s) of ${String(meta.durationSec)} s; medians. ` +
      `Machine: ${(meta.host as { cpus: number }).cpus} cores, median load average ${String(meta.loadAverage)} before the runs.`,
    '',
  );
  lines.push('| upstream | conc. | target | req/s | p50 ms | p99 ms | vs direct | vs proxy | +p50 ms | +p99 ms | own CPU µs/msg | Redis CPU µs/msg | Redis cmds/msg |');
  lines.push('|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const c of cells) {
    for (const [name, t] of Object.entries(c.targets)) {
      const direct = name === 'direct';
      const gw = isGateway(name);
      lines.push(
        `| ${c.latencyMs} ms | ${c.concurrency} | ${name}${t.failures ? ` (${t.failures} failed)` : ''} | ${t.rps} | ${fmt(t.p50)} | ${fmt(t.p99)} | ${fmt(t.vsDirect)} | ${direct ? '' : fmt(t.vsProxy)} | ${direct ? '' : fmt(t.addedP50)} | ${direct ? '' : fmt(t.addedP99)} | ${fmt(t.ownCpuUsPerMsg, 0)} | ${gw ? fmt(t.redisCpuUsPerMsg, 0) : ''} | ${gw ? fmt(t.redisCommandsPerMsg, 1) : ''} |`,
      );
    }
  }
  lines.push('', 'CPU per message per process (µs) in the runs of each gateway; the simulator and the load generator (loadgen) are shared by all targets:', '');
  for (const gateway of [...new Set(cells.flatMap((c) => Object.keys(c.targets).filter(isGateway)))]) {
    const own = (name: string) => name === 'redis' || name === 'simulator' || name === 'loadgen' || /^(ingress|worker)-/.test(name);
    const names = [...new Set(cells.flatMap((c) => Object.keys(c.targets[gateway]?.cpuUsPerMsgByProcess ?? {})))]
      .filter(own)
      .filter((n) =>
        gateway === 'gateway'
          ? /^(ingress|worker)-\d+$/.test(n) || !/^(ingress|worker)-/.test(n)
          : n.includes(`-${gateway.slice('gateway+'.length)}-`) || !/^(ingress|worker)-/.test(n),
      )
      .sort();
    lines.push(`| ${gateway} | conc. | ${names.join(' | ')} |`, `|---:|---:|${names.map(() => '---:').join('|')}|`);
    for (const c of cells) {
      const by = c.targets[gateway]?.cpuUsPerMsgByProcess ?? {};
      lines.push(`| ${c.latencyMs} ms | ${c.concurrency} | ${names.map((n) => fmt(by[n], 0)).join(' | ')} |`);
    }
    lines.push('');
  }
  const top = cells.filter((c) => c.targets.gateway).at(-1);
  if (top) {
    for (const name of Object.keys(top.targets).filter(isGateway)) {
      const stats = Object.entries(top.targets[name]!.redisCommandStatsPerMsg)
        .filter(([, v]) => v >= 0.01)
        .sort((a, b) => b[1] - a[1]);
      lines.push(`Redis commands per message (${name}, upstream ${top.latencyMs} ms, c=${top.concurrency}): ${stats.map(([n, v]) => `${n} ${v.toFixed(2)}`).join(', ')}`, '');
    }
  }
  if (bursts.length) {
    lines.push('| cold burst | upstream | sends | MM calls | Cloud calls | statuses | reasons | wall ms |', '|---:|---:|---:|---:|---:|---|---|---:|');
    for (const b of bursts) {
      lines.push(
        `| ${b.round} | ${b.latencyMs} ms | ${b.sends} | ${b.mmCalls} | ${b.cloudCalls} | ${JSON.stringify(b.statuses)} | ${JSON.stringify(b.reasons)} | ${b.wallMs.toFixed(0)} |`,
      );
    }
    lines.push('');
  }
  lines.push('| target | goal | measured | met |', '|---|---|---|---|');
  for (const x of verdicts(cells, bursts)) lines.push(`| ${x.target} | ${x.goal} | ${x.measured} | ${x.met ? 'yes' : 'no'} |`);
  return lines.join('\n');
}
