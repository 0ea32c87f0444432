import type { AuditOwner, RouteAnalyticsQuery } from '@gw/audit';

const HOUR_MS = 3_600_000;
/** The longest range one request may ask for: a quarter of hour buckets, past the default 90-day retention. */
export const MAX_RANGE_MS = 93 * 24 * HOUR_MS;

/** `from`/`to`: ISO 8601 or epoch milliseconds. */
function parseTime(name: string, raw: unknown): number | string {
  if (typeof raw !== 'string' || raw.length === 0) return `${name} must be an ISO 8601 time or epoch milliseconds.`;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  return Number.isFinite(ms) ? ms : `${name} must be an ISO 8601 time or epoch milliseconds, not ${JSON.stringify(raw.slice(0, 40))}.`;
}

const single = (value: unknown): unknown => (Array.isArray(value) ? value[value.length - 1] : value);

/**
 * The query of `GET /analytics/routes` of the owner's stack and tenant from its parameters, or what is wrong with them.
 * Defaults: `to` now, `from` 24 hours before `to`, `granularity` hour.
 */
export function parseAnalyticsQuery(owner: AuditOwner, params: Record<string, unknown>, now: number): RouteAnalyticsQuery | string {
  const granularity = single(params.granularity) ?? 'hour';
  if (granularity !== 'hour' && granularity !== 'day') return 'granularity must be hour or day.';
  const rawTo = single(params.to);
  const to = rawTo === undefined ? now : parseTime('to', rawTo);
  if (typeof to === 'string') return to;
  const rawFrom = single(params.from);
  const from = rawFrom === undefined ? to - 24 * HOUR_MS : parseTime('from', rawFrom);
  if (typeof from === 'string') return from;
  if (from >= to) return 'from must be before to.';
  if (to - from > MAX_RANGE_MS) return `from and to may be at most ${MAX_RANGE_MS / (24 * HOUR_MS)} days apart.`;
  const template = single(params.template);
  if (template !== undefined && (typeof template !== 'string' || !/^[^|\s]{1,600}$/.test(template))) return 'template must be a template name or name:language.';
  return { stackId: owner.stackId, tenant: owner.tenant, from, to, granularity, ...(template !== undefined ? { template } : {}) };
}
