import type { Route, RouteReason } from '@gw/contracts';
import type { RouteAnalyticsQuery, RouteAnalyticsRow } from './audit-store.ts';
import { bucketStart, parseField } from './buckets.ts';

/** One stored hour bucket: its start and its hash of `route|template|metric` -> count. */
export interface HourBucket {
  hour: number;
  fields: Record<string, string>;
}

/** `name` matches every language of the template; `name:language` one; `(none)` and `(unattributed)` themselves. */
export function templateMatches(template: string, wanted: string | undefined): boolean {
  if (wanted === undefined || template === wanted) return true;
  const colon = template.lastIndexOf(':');
  return !wanted.includes(':') && colon > 0 && template.slice(0, colon) === wanted;
}

const rate = (count: number, sends: number) => (sends > 0 ? Math.round((count / sends) * 10_000) / 10_000 : 0);

/**
 * Sums hour buckets into rows of the query's granularity, one per (bucket, route, template),
 * sorted by bucket, route, template. Rates are of the bucket's sends: statuses are counted in
 * the bucket of the send they belong to, so a rate compares like with like.
 */
export function rowsOf(buckets: HourBucket[], query: Pick<RouteAnalyticsQuery, 'granularity' | 'template'>): RouteAnalyticsRow[] {
  const rows = new Map<string, RouteAnalyticsRow>();
  for (const { hour, fields } of buckets) {
    const start = bucketStart(hour, query.granularity);
    for (const [name, raw] of Object.entries(fields)) {
      const parsed = parseField(name);
      if (!parsed || !templateMatches(parsed.template, query.template)) continue;
      const key = `${start}|${parsed.route}|${parsed.template}`;
      let row = rows.get(key);
      if (!row) {
        row = emptyRow(new Date(start).toISOString(), parsed.route, parsed.template);
        rows.set(key, row);
      }
      add(row, parsed.metric, Number(raw));
    }
  }
  return [...rows.values()].map(withRates).sort((a, b) => a.bucket.localeCompare(b.bucket) || a.route.localeCompare(b.route) || a.template.localeCompare(b.template));
}

function emptyRow(bucket: string, route: Route, template: string): RouteAnalyticsRow {
  return { bucket, route, template, sends: 0, fallbacks: {}, delivered: 0, read: 0, failed: 0, clicked: 0, deliveredRate: 0, readRate: 0, failedRate: 0, clickRate: 0, cost: null };
}

function add(row: RouteAnalyticsRow, metric: string, value: number): void {
  if (!Number.isFinite(value)) return;
  switch (metric) {
    case 'sends':
    case 'delivered':
    case 'read':
    case 'failed':
    case 'clicked':
      row[metric] += value;
      return;
    case 'cost':
      // Float sums (HINCRBYFLOAT) carry binary noise: keep six decimals, finer than any currency.
      row.cost = Math.round(((row.cost ?? 0) + value) * 1e6) / 1e6;
      return;
    default:
      if (metric.startsWith('fb:')) {
        const reason = metric.slice(3) as RouteReason;
        row.fallbacks[reason] = (row.fallbacks[reason] ?? 0) + value;
      }
  }
}

function withRates(row: RouteAnalyticsRow): RouteAnalyticsRow {
  return {
    ...row,
    deliveredRate: rate(row.delivered, row.sends),
    readRate: rate(row.read, row.sends),
    failedRate: rate(row.failed, row.sends),
    clickRate: rate(row.clicked, row.sends),
  };
}
