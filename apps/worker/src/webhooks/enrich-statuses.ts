import type { Route } from '@gw/contracts';
import { eachChange, isObject, valueOf, type Envelope, type Json } from './envelope.ts';

/** The statuses whose pricing the product promises as `marketing_lite` for MM sends. */
const PRICED_STATUSES = new Set(['sent', 'delivered', 'read']);

export interface LedgerRoute {
  route: Route;
}

function pricedStatuses(envelope: Envelope): Json[] {
  const found: Json[] = [];
  for (const { change } of eachChange(envelope)) {
    const statuses = valueOf(change)?.statuses;
    if (!Array.isArray(statuses)) continue;
    for (const status of statuses) {
      if (isObject(status) && typeof status.id === 'string' && typeof status.status === 'string' && PRICED_STATUSES.has(status.status)) {
        found.push(status);
      }
    }
  }
  return found;
}

/** wamids of sent/delivered/read statuses, to read from the send ledger in one MGET. */
export function statusWamids(envelope: Envelope): string[] {
  return [...new Set(pricedStatuses(envelope).map((s) => s.id as string))];
}

/**
 * For statuses of messages the gateway sent through the MM API, makes sure
 * `pricing.category` is `marketing_lite`: Meta's pricing is kept when present;
 * when Meta sent none (Graph v24 `read`), `pricing: {category: "marketing_lite"}`
 * is added and nothing else, since inventing `billable` or `pricing_model` on a
 * read would suggest a second charge. Everything else is left as Meta sent it.
 * Returns how many statuses were changed.
 */
export function enrichStatuses(envelope: Envelope, ledger: ReadonlyMap<string, LedgerRoute | null>): number {
  let changed = 0;
  for (const status of pricedStatuses(envelope)) {
    if (ledger.get(status.id as string)?.route !== 'marketing_messages') continue;
    if (status.pricing === undefined) {
      status.pricing = { category: 'marketing_lite' };
      changed += 1;
    } else if (isObject(status.pricing) && status.pricing.category === undefined) {
      status.pricing.category = 'marketing_lite';
      changed += 1;
    }
  }
  return changed;
}
