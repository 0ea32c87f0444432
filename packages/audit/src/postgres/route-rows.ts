import type { Route, RouteReason } from '@gw/contracts';
import type { RouteAnalyticsRow } from '../audit-store.ts';
import { NO_TEMPLATE, isFallback, roundedCost, roundedRate, templateMatches } from './analytics-rules.ts';

/** One (bucket, route, template, reason, MM error or not) group as the analytics query counts it. */
export interface ReasonGroup {
  bucket: Date;
  route: Route;
  /** null for a non-template send; a label such as `(unattributed)` for rows that are not sends. */
  template: string | null;
  /** null for rows that are not sends (unattributed clicks). */
  reason: RouteReason | null;
  hasMmError: boolean;
  sends: number;
  delivered: number;
  read: number;
  failed: number;
  clicked: number;
  /** Summed cost of the group's messages that had one; null when none did. */
  cost: number | null;
}

/**
 * Folds reason groups into the API's rows (one per bucket, route and template) of the templates the
 * query wants, sorted by bucket, route, template.
 */
export function toRouteRows(groups: readonly ReasonGroup[], wanted: string | undefined): RouteAnalyticsRow[] {
  const rows = new Map<string, RouteAnalyticsRow>();
  for (const group of groups) {
    const bucket = group.bucket.toISOString();
    const template = group.template ?? NO_TEMPLATE;
    if (!templateMatches(template, wanted)) continue;
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
    if (group.cost !== null) row.cost = roundedCost((row.cost ?? 0) + group.cost);
    if (group.reason !== null && isFallback(group.route, group.reason, group.hasMmError ? 0 : undefined))
      row.fallbacks[group.reason] = (row.fallbacks[group.reason] ?? 0) + group.sends;
  }
  const out = [...rows.values()].map((row) => ({
    ...row,
    deliveredRate: roundedRate(row.delivered, row.sends),
    readRate: roundedRate(row.read, row.sends),
    failedRate: roundedRate(row.failed, row.sends),
    clickRate: roundedRate(row.clicked, row.sends),
  }));
  return out.sort((a, b) => a.bucket.localeCompare(b.bucket) || a.route.localeCompare(b.route) || a.template.localeCompare(b.template));
}
