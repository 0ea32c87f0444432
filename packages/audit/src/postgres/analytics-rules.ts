/*
 * The counting rules of the route analytics are the Redis store's (buckets.ts, rows.ts,
 * status-counts.ts), reused here so both stores answer the same rows for the same events.
 */
export { isFallback, NO_TEMPLATE, UNATTRIBUTED } from '../buckets.ts';
export { templateMatches } from '../rows.ts';
export { costOf } from '../status-counts.ts';

/** Rates to four decimals, as the Redis store answers them. */
export const roundedRate = (count: number, sends: number): number => (sends > 0 ? Math.round((count / sends) * 10_000) / 10_000 : 0);

/** Costs to six decimals: finer than any currency, without float noise. */
export const roundedCost = (cost: number): number => Math.round(cost * 1e6) / 1e6;
