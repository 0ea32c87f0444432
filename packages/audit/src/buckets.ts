import type { Route, RouteReason } from '@gw/contracts';
import type { Granularity } from './audit-store.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Template of a row whose sends were not templates. */
export const NO_TEMPLATE = '(none)';
/** Template of clicks Meta's payload ties to no message (its documented click carries no wamid). */
export const UNATTRIBUTED = '(unattributed)';

/** Start (epoch ms) of the UTC hour holding `ms`: analytics are stored in hour buckets. */
export const hourStart = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;

/** Start of the UTC hour or day holding `ms`. */
export const bucketStart = (ms: number, granularity: Granularity): number =>
  Math.floor(ms / (granularity === 'day' ? DAY_MS : HOUR_MS)) * (granularity === 'day' ? DAY_MS : HOUR_MS);

/** Every hour bucket overlapping [from, to). */
export function hoursBetween(from: number, to: number): number[] {
  const hours: number[] = [];
  for (let hour = hourStart(from); hour < to; hour += HOUR_MS) hours.push(hour);
  return hours;
}

/**
 * Cloud sends that stand for an MM send that did not happen (the template was, or may have
 * been, marketing): the "fallbacks" of the analytics. Cloud sends by design (not a template,
 * a utility template, routing off) are not fallbacks.
 */
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

export const isFallback = (route: Route, reason: RouteReason, mmErrorCode?: number): boolean =>
  route === 'cloud_api' && (FALLBACK_REASONS.has(reason) || mmErrorCode !== undefined);

export type Metric = 'sends' | 'delivered' | 'read' | 'failed' | 'clicked' | 'cost' | `fb:${RouteReason}`;

/** `route|template|` : the prefix of every field of one row in a bucket hash. Template names and language codes hold no `|`. */
export const rowPrefix = (route: Route, template: string | undefined): string => `${route}|${template ?? NO_TEMPLATE}|`;

export const field = (route: Route, template: string | undefined, metric: Metric): string => `${rowPrefix(route, template)}${metric}`;

/** Splits a bucket hash field; undefined for a field this version does not know. */
export function parseField(name: string): { route: Route; template: string; metric: string } | undefined {
  const first = name.indexOf('|');
  const last = name.lastIndexOf('|');
  if (first < 0 || last === first) return undefined;
  const route = name.slice(0, first);
  if (route !== 'marketing_messages' && route !== 'cloud_api') return undefined;
  return { route, template: name.slice(first + 1, last), metric: name.slice(last + 1) };
}
