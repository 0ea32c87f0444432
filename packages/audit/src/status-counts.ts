import type { SendAuditEvent } from './audit-store.ts';
import { isFallback, type Metric } from './buckets.ts';

/** A metric counted at most once per message: the flag on the message that marks it counted. */
export interface CountOnce {
  flag: string;
  metric: Metric;
}

/**
 * What one status of a message counts, each at most once per message however often Meta
 * repeats it: `read` implies `delivered` (Meta skips `delivered` when both happen at once),
 * so a `read` first counts both and a later `delivered` counts nothing. `sent` counts
 * nothing: sends are counted when the gateway sends.
 */
export function statusCounts(status: string): CountOnce[] {
  switch (status) {
    case 'delivered':
      return [{ flag: 'c:delivered', metric: 'delivered' }];
    case 'read':
      return [
        { flag: 'c:delivered', metric: 'delivered' },
        { flag: 'c:read', metric: 'read' },
      ];
    case 'failed':
      return [{ flag: 'c:failed', metric: 'failed' }];
    default:
      return [];
  }
}

/** A click tied to a message counts once per message (a second click on it is in its timeline, not in the count). */
export const CLICK_COUNT: CountOnce = { flag: 'c:clicked', metric: 'clicked' };

/**
 * `pricing.cost` as a number: Meta gives `{amount, currency}` (max-price sends, 2026) on
 * `delivered` and `read`; the message's cost is summed once, from the first status carrying it.
 */
export function costOf(pricing: Record<string, unknown> | undefined): number | undefined {
  const cost = pricing?.cost;
  const amount = typeof cost === 'object' && cost !== null ? (cost as { amount?: unknown }).amount : cost;
  const value = typeof amount === 'string' ? Number(amount) : amount;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The counters one finished send adds to its hour bucket: its send and, for a Cloud fallback, its reason. */
export function sendMetrics(event: Pick<SendAuditEvent, 'route' | 'reason' | 'mmErrorCode'>): Metric[] {
  return isFallback(event.route, event.reason, event.mmErrorCode) ? ['sends', `fb:${event.reason}`] : ['sends'];
}
