import type { Route, RouteReason } from '@gw/contracts';
import type { RouteAnalyticsRow } from '@gw/audit';

/** MM and Cloud sends of one time bucket: one bar of the route-share chart. */
export interface ShareBucket {
  bucket: string;
  mm: number;
  cloud: number;
}

/** One route's totals for a template over the whole window. */
export interface RouteTotals {
  sends: number;
  delivered: number;
  read: number;
  clicked: number;
  failed: number;
  deliveredRate: number;
  readRate: number;
  clickRate: number;
  cost: number | null;
}

export interface TemplateComparison {
  template: string;
  mm: RouteTotals;
  cloud: RouteTotals;
}

export interface DashboardFigures {
  share: ShareBucket[];
  fallbacks: Array<{ reason: RouteReason; count: number }>;
  templates: TemplateComparison[];
  totals: { mm: number; cloud: number };
}

const empty = (): RouteTotals => ({ sends: 0, delivered: 0, read: 0, clicked: 0, failed: 0, deliveredRate: 0, readRate: 0, clickRate: 0, cost: null });

const rate = (count: number, sends: number) => (sends === 0 ? 0 : count / sends);

const side = (comparison: TemplateComparison, route: Route): RouteTotals => (route === 'marketing_messages' ? comparison.mm : comparison.cloud);

/**
 * The dashboard's figures, folded from the same rows `GET /analytics/routes` answers, so what the page
 * shows is what the API says summed over the window.
 */
export function dashboardFigures(rows: readonly RouteAnalyticsRow[], buckets: readonly string[] = []): DashboardFigures {
  // Every bucket of the window gets a bar, empty ones too, so gaps in traffic show as gaps.
  const share = new Map<string, ShareBucket>(buckets.map((bucket) => [bucket, { bucket, mm: 0, cloud: 0 }]));
  const fallbacks = new Map<RouteReason, number>();
  const templates = new Map<string, TemplateComparison>();
  for (const row of rows) {
    const bucket = share.get(row.bucket) ?? { bucket: row.bucket, mm: 0, cloud: 0 };
    if (row.route === 'marketing_messages') bucket.mm += row.sends;
    else bucket.cloud += row.sends;
    share.set(row.bucket, bucket);
    for (const [reason, count] of Object.entries(row.fallbacks) as Array<[RouteReason, number]>) fallbacks.set(reason, (fallbacks.get(reason) ?? 0) + count);
    const comparison = templates.get(row.template) ?? { template: row.template, mm: empty(), cloud: empty() };
    const totals = side(comparison, row.route);
    totals.sends += row.sends;
    totals.delivered += row.delivered;
    totals.read += row.read;
    totals.clicked += row.clicked;
    totals.failed += row.failed;
    if (row.cost !== null) totals.cost = (totals.cost ?? 0) + row.cost;
    templates.set(row.template, comparison);
  }
  for (const comparison of templates.values()) {
    for (const totals of [comparison.mm, comparison.cloud]) {
      totals.deliveredRate = rate(totals.delivered, totals.sends);
      totals.readRate = rate(totals.read, totals.sends);
      totals.clickRate = rate(totals.clicked, totals.sends);
    }
  }
  const shareList = [...share.values()].sort((a, b) => a.bucket.localeCompare(b.bucket));
  return {
    share: shareList,
    fallbacks: [...fallbacks.entries()].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    templates: [...templates.values()].sort((a, b) => a.template.localeCompare(b.template)),
    totals: { mm: shareList.reduce((sum, b) => sum + b.mm, 0), cloud: shareList.reduce((sum, b) => sum + b.cloud, 0) },
  };
}

export interface DashboardWindow {
  from: number;
  to: number;
  granularity: 'hour' | 'day';
  hours: number;
}

/** The window the page shows: the last `hours` (1 to 90 days' worth), hourly bars up to three days, daily beyond. */
export function dashboardWindow(hoursParam: unknown, now: number): DashboardWindow {
  const parsed = typeof hoursParam === 'string' ? Number.parseInt(hoursParam, 10) : Number.NaN;
  const hours = Number.isFinite(parsed) ? Math.min(Math.max(parsed, 1), 24 * 90) : 24;
  const granularity = hours <= 72 ? 'hour' : 'day';
  const unit = granularity === 'hour' ? 3_600_000 : 86_400_000;
  // Whole buckets: the first bar is not a sliver of an hour, the last includes what just happened.
  const to = Math.floor(now / unit) * unit + unit;
  return { from: to - Math.ceil((hours * 3_600_000) / unit) * unit, to, granularity, hours };
}

/** ISO starts of every bucket of the window, oldest first. */
export function windowBuckets(window: DashboardWindow): string[] {
  const unit = window.granularity === 'hour' ? 3_600_000 : 86_400_000;
  const buckets: string[] = [];
  for (let at = window.from; at < window.to; at += unit) buckets.push(new Date(at).toISOString());
  return buckets;
}
