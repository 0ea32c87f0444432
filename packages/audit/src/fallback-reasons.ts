import type { Route, RouteReason } from '@gw/contracts';

/**
 * Reasons of a Cloud send that a marketing template would have taken through MM had MM not refused,
 * failed or been known to fail: the ones `fallbacks` counts. Both stores use this one list so their
 * analytics agree.
 */
export const FALLBACK_REASONS: ReadonlySet<RouteReason> = new Set<RouteReason>([
  'checked_fallback',
  'stale_fallback',
  'mm_unavailable_fallback',
  'invalid_parameter_fallback',
  'mm_waba_unavailable',
  'mm_circuit_open',
  'template_syncing',
]);

export const isFallback = (route: Route, reason: RouteReason): boolean => route === 'cloud_api' && FALLBACK_REASONS.has(reason);

/** Statuses that imply the message reached the phone: a `read` without its `delivered` still counts as delivered. */
export const DELIVERED_STATUSES: readonly string[] = ['delivered', 'read'];

/** The template label of a row: `name:language`, or `(none)` for a non-template send. */
export const templateLabel = (template: string | undefined | null): string => template ?? '(none)';

/** Whether a send's template matches the query's `name` or `name:language`. */
export const templateMatches = (template: string | undefined | null, wanted: string | undefined): boolean =>
  wanted === undefined || (template != null && (template === wanted || (!wanted.includes(':') && template.startsWith(`${wanted}:`))));
