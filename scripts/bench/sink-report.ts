import type { CellSummary } from './report.ts';

/** The variant that runs the gateway with the PostgreSQL audit sink on. */
export const SINK_VARIANT = 'pgsink';
const SINK_TARGET = `gateway+${SINK_VARIANT}`;

export interface SinkComparison {
  latencyMs: number;
  concurrency: number;
  off: { rps: number; p50: number; p99: number };
  on: { rps: number; p50: number; p99: number };
  /** on / off: throughput (1 = same), p50 and p99 (1 = same). */
  rpsRatio: number;
  p50Ratio: number;
  p99Ratio: number;
}

const ratio = (on: number, off: number) => (off > 0 ? Math.round((on / off) * 1000) / 1000 : Number.NaN);

/** The sink's cost cell by cell: the gateway with it on against off, measured interleaved in one run. */
export function sinkComparisons(cells: CellSummary[]): SinkComparison[] {
  return cells.flatMap((cell) => {
    const off = cell.targets.gateway;
    const on = cell.targets[SINK_TARGET];
    if (!off || !on) return [];
    return [
      {
        latencyMs: cell.latencyMs,
        concurrency: cell.concurrency,
        off: { rps: off.rps, p50: off.p50, p99: off.p99 },
        on: { rps: on.rps, p50: on.p50, p99: on.p99 },
        rpsRatio: ratio(on.rps, off.rps),
        p50Ratio: ratio(on.p50, off.p50),
        p99Ratio: ratio(on.p99, off.p99),
      },
    ];
  });
}

/** Within 5 %: throughput at least 95 % and p50 at most 105 % of the gateway without the sink. */
export const withinTarget = (c: SinkComparison): boolean => c.rpsRatio >= 0.95 && c.p50Ratio <= 1.05;

const fmt = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : '–');

export function sinkMarkdown(comparisons: SinkComparison[], rows: Record<string, number> | undefined): string {
  if (comparisons.length === 0) return '';
  const lines = [
    'PostgreSQL audit sink on (AUDIT_DATABASE_URL) against off (the Redis audit), interleaved in this run; target: within 5 % (throughput ratio >= 0.95, p50 ratio <= 1.05):',
    '',
    '| upstream | conc. | off req/s | on req/s | req/s on/off | off p50 | on p50 | p50 on/off | off p99 | on p99 | p99 on/off | within 5 % |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...comparisons.map(
      (c) =>
        `| ${c.latencyMs} ms | ${c.concurrency} | ${c.off.rps} | ${c.on.rps} | ${fmt(c.rpsRatio, 3)} | ${fmt(c.off.p50)} | ${fmt(c.on.p50)} | ${fmt(c.p50Ratio, 3)} | ${fmt(c.off.p99)} | ${fmt(c.on.p99)} | ${fmt(c.p99Ratio, 3)} | ${withinTarget(c) ? 'yes' : 'no'} |`,
    ),
  ];
  if (rows)
    lines.push(
      '',
      `Rows the sink wrote: ${Object.entries(rows)
        .map(([table, n]) => `${table} ${n}`)
        .join(', ')}.`,
    );
  lines.push('');
  return lines.join('\n');
}
