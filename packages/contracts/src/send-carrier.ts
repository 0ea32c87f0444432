import { z } from 'zod';
import type { SendBatchJob } from './send-job.ts';

/**
 * Send carriers (SEND_CARRIERS, docs/architecture.md "Send carriers"): an ingress's send batches go onto one of
 * its lanes, and one long-lived BullMQ job at a time, the lane's carrier, runs what is pushed for it. A lone
 * send then costs a handful of Redis commands instead of a BullMQ job's ~70.
 *
 * Every key of a lane shares one hash tag, so the scripts below touch one Redis Cluster slot. Per lane:
 * - `open`: the id of the carrier batches are pushed for, with a TTL its carrier keeps refreshing (a
 *   carrier that stops beating lapses within CARRIER_MARK_MS and the next push opens a new one);
 * - per carrier: `pending` (batches pushed for it, which it pops one by one; the push that creates it gives
 *   it its TTL) and `results` (each send's answer, for an ingress whose reply was lost; a placeholder field
 *   makes it exist from the carrier's first beat, which gives it its TTL).
 */
export interface CarrierKeys {
  open: string;
  pending: string;
  results: string;
}

/**
 * The send carriers running in this process (apps/gateway, both roles in one): the ingress hands a batch for
 * a lane whose carrier runs here over in memory, where it would push it through Redis. Such a batch lives and
 * dies with the process that holds both its client and its carrier, as a pushed one would with it.
 */
export interface LocalCarriers {
  /** Starts the batch on the carrier of `lane` that runs here and returns that carrier's id; undefined when none runs here or it has no room now. */
  hand(lane: string, batchJobId: string, data: SendBatchJob): string | undefined;
}

/** The lane's `open` key and each carrier's keys. */
export const carrierKeys = (lane: string, carrierId: string): CarrierKeys => ({
  open: `${lane}:open`,
  pending: `${lane}:pending:${carrierId}`,
  results: `${lane}:results:${carrierId}`,
});

/** Claimed by the carrier that runs a batch, when no replica confirmed its pop (Sentinels: FailoverGuard). */
export const carrierClaimKey = (lane: string, batchJobId: string): string => `${lane}:claimed:${batchJobId}`;

/** The data of a carrier job: the lane it serves, and how long its lists and results outlive it (its ingress's SEND_TIMEOUT_MS, twice, at least 60 s). */
export const sendCarrierJobSchema = z.object({ lane: z.string().min(1), keepSeconds: z.number().int().positive() });
export type SendCarrierJob = z.infer<typeof sendCarrierJobSchema>;

/** A running carrier refreshes its mark this often... */
export const CARRIER_BEAT_MS = 500;
/** ...and a mark lapses this long after its carrier's last beat. */
export const CARRIER_MARK_MS = 2000;
/** A mark of a carrier whose job no worker has started yet lasts this long. */
export const CARRIER_OPENING_MS = 10_000;
/**
 * A push sent within this long after a push that found its lane's carrier open goes straight onto that
 * carrier's list (`RPUSH` and `EXPIRE`, without the script's look at the mark): a carrier closes when idle
 * only a second after it took its last batch, and one that gives its mark up (its worker shutting down) keeps
 * taking batches for CARRIER_DRAIN_MS after, so it still takes such a push. A batch that still misses its
 * carrier is taken back by the ingress's check, as from a carrier that died.
 */
export const CARRIER_DIRECT_PUSH_MS = 500;
/** How long a carrier that gave its mark up keeps waiting for batches (twice CARRIER_DIRECT_PUSH_MS). */
export const CARRIER_DRAIN_MS = 2 * CARRIER_DIRECT_PUSH_MS;
/** The field `results` holds from its carrier's start. */
export const CARRIER_PLACEHOLDER = '-';

/**
 * The ingress's push. KEYS: open. ARGV: lane, a new carrier id, the batch, the lists' TTL (s).
 * Pushes the batch for the open carrier, or opens the new one; returns [carrier id, 1 if opened].
 */
export const CARRIER_PUSH = `
local id = redis.call('GET', KEYS[1])
local opened = 0
if not id then
  id = ARGV[2]
  redis.call('SET', KEYS[1], id, 'PX', ${CARRIER_OPENING_MS})
  opened = 1
end
local pending = ARGV[1] .. ':pending:' .. id
if redis.call('RPUSH', pending, ARGV[3]) == 1 then redis.call('EXPIRE', pending, ARGV[4]) end
return {id, opened}`;

/**
 * A carrier's beat. KEYS: open, results. ARGV: carrier id, the results' TTL (s).
 * Returns 1 while the lane's mark is this carrier's (refreshed), 0 once it is not.
 */
export const CARRIER_BEAT = `
redis.call('EXPIRE', KEYS[2], ARGV[2])
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ${CARRIER_MARK_MS})
  return 1
end
return 0`;

/**
 * A carrier that found nothing to take closes, unless a batch came meanwhile. KEYS: open, pending.
 * ARGV: carrier id, '1' to give the mark up even with batches still pending (a worker shutting down).
 * Returns 1 when the mark is no longer this carrier's (nothing more will be pushed for it).
 */
export const CARRIER_CLOSE = `
if ARGV[2] ~= '1' and redis.call('LLEN', KEYS[2]) > 0 then return 0 end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;
