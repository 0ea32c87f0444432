import type { CategoryLookup } from '@gw/category-cache';
import type { GatewayMetrics } from '@gw/metrics';

/** The category cache's onLookup: hits and misses by source and tier. */
export function categoryLookupObserver(metrics: Pick<GatewayMetrics, 'categoryLookups'>) {
  return (lookup: CategoryLookup) => metrics.categoryLookups.inc({ result: lookup.result, source: lookup.source ?? 'none', tier: lookup.tier });
}
