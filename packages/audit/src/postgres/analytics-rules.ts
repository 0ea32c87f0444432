import type { Route, RouteReason } from '@gw/contracts';

/*
 * The counting rules of the route analytics, as the Redis store applies them (packages/audit/src/
 * buckets.ts and status-counts.ts on the audit branch), restated for the SQL side so both stores
 * answer the same rows for the same events.
 */

/** Cloud sends that stand for an MM send that did not happen: the `fallbacks` of a row. */
const FALLBACK_REASONS: ReadonlySet<RouteReason> = new Set<RouteReason>([
  'checked_fallback',
  'stale_fallback',
  'mm_unavailable_fallback',
  'mm_waba_unavailable',
  'mm_circuit_open',
  'template_syncing',
  'mm_timeout',
  'invalid_parameter_fallback',
]);

export const isFallbackSend = (route: Route, reason: RouteReason, hasMmError: boolean): boolean => route === 'cloud_api' && (FALLBACK_REASONS.has(reason) || hasMmError);

/** Template of a row whose sends were not templates. */
export const NO_TEMPLATE_LABEL = '(none)';
/** Template of the MM row of clicks tied to no message of the stack. */
export const UNATTRIBUTED_LABEL = '(unattributed)';

/** `name` matches every language of the template; `name:language` one. */
export function templateMatches(template: string, wanted: string | undefined): boolean {
  if (wanted === undefined) return true;
  return wanted.includes(':') ? template === wanted : template.slice(0, template.lastIndexOf(':')) === wanted;
}

/** Rates to four decimals, as the API answers them. */
export const roundedRate = (count: number, sends: number): number => (sends > 0 ? Math.round((count / sends) * 10_000) / 10_000 : 0);

/** Costs to six decimals: finer than any currency, without float noise. */
export const roundedCost = (cost: number): number => Math.round(cost * 1e6) / 1e6;

/**
 * `pricing.cost` as a number: a number, a numeric string, or `{amount, currency}` (2026 max-price
 * sends). A message's cost is taken once, from the first status that carries one.
 */
export function costOf(pricing: Record<string, unknown> | undefined): number | undefined {
  const cost = pricing?.cost;
  const amount = typeof cost === 'object' && cost !== null ? (cost as { amount?: unknown }).amount : cost;
  const value = typeof amount === 'string' ? Number(amount) : amount;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
