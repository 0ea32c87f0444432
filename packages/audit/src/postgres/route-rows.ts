import type { Route, RouteReason } from '@gw/contracts';
import type { RouteAnalyticsRow } from '../audit-store.ts';
import { isFallback, templateLabel } from '../fallback-reasons.ts';

/** One (bucket, route, template, reason) group as the analytics query counts it. */
export interface ReasonGroup {
  bucket: Date;
  route: Route;
  template: string | null;
  reason: RouteReason;
  sends: number;
  delivered: number;
  read: number;
  failed: number;
  clicked: number;
  /** Summed cost of the group's messages that had one; null when none did. */
  cost: number | null;
}

const rate = (count: number, sends: number): number => (sends === 0 ? 0 : count / sends);

/** Folds reason groups into the API's rows (one per bucket, route and template), sorted by bucket, route, template. */
export function toRouteRows(groups: readonly ReasonGroup[]): RouteAnalyticsRow[] {
  const rows = new Map<string, RouteAnalyticsRow>();
  for (const group of groups) {
    const bucket = group.bucket.toISOString();
    const template = templateLabel(group.template);
    const key = `${bucket}\u0000${group.route}\u0000${template}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        bucket,
        route: group.route,
        template,
        sends: 0,
        fallbacks: {},
        delivered: 0,
        read: 0,
        failed: 0,
        clicked: 0,
        deliveredRate: 0,
        readRate: 0,
        failedRate: 0,
        clickRate: 0,
        cost: null,
      };
      rows.set(key, row);
    }
    row.sends += group.sends;
    row.delivered += group.delivered;
    row.read += group.read;
    row.failed += group.failed;
    row.clicked += group.clicked;
    if (group.cost !== null) row.cost = (row.cost ?? 0) + group.cost;
    if (isFallback(group.route, group.reason)) row.fallbacks[group.reason] = (row.fallbacks[group.reason] ?? 0) + group.sends;
  }
  const out = [...rows.values()].map((row) => ({
    ...row,
    deliveredRate: rate(row.delivered, row.sends),
    readRate: rate(row.read, row.sends),
    failedRate: rate(row.failed, row.sends),
    clickRate: rate(row.clicked, row.sends),
  }));
  return out.sort((a, b) => a.bucket.localeCompare(b.bucket) || a.route.localeCompare(b.route) || a.template.localeCompare(b.template));
}
