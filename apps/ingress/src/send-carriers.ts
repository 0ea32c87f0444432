import { randomUUID } from 'node:crypto';
import { Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  batchJobIdOf,
  CARRIER_CLOSE,
  CARRIER_DIRECT_PUSH_MS,
  CARRIER_PUSH,
  carrierKeys,
  enqueue,
  JOBS,
  type LocalCarriers,
  type RedisKeys,
  type SendBatchJob,
  type SendResult,
} from '@gw/contracts';
import type { Logger } from '@gw/logger';
import { withTimeout } from './with-timeout.ts';

export interface SendCarriersOptions {
  /** The `send` queue, on a fail-fast connection (carrier jobs are added to it). */
  queue: Queue;
  /** Fail-fast command connection. */
  commands: Redis;
  keys: RedisKeys;
  ingressId: string;
  /** How many lanes (each with one carrier at a time) this ingress spreads its batches over. */
  lanes: number;
  sendTimeoutMs: number;
  /** How often batches still waiting are checked against their carrier (default 1 s). */
  checkMs?: number;
  /** The carriers running in this process (apps/gateway): a batch for one of them is handed over in memory. */
  local?: LocalCarriers;
  logger?: Logger;
}

/**
 * Whether a command written now reaches Redis, as ioredis itself judges it: the connection is ready and (a single
 * Redis) its socket still writable. Once Redis closes the connection, the socket stops being writable at once, but
 * ioredis's status says `ready` until the socket's `close` event, which comes after the event loop's check phase:
 * a batch flushed there (setImmediate) would otherwise be handed over while Redis is gone. A Cluster (typed as
 * Redis here) has no socket of its own; its status alone tells.
 */
function reachesRedis(commands: Redis): boolean {
  const { stream } = commands as { stream?: Redis['stream'] };
  return commands.status === 'ready' && stream?.writable !== false;
}

/** The batch was taken back from Redis before any worker took it: none of its sends was made. */
export class NotQueued extends Error {
  constructor(cause: unknown) {
    super(`the send carrier's job could not be added: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

interface CarriedBatch {
  lane: string;
  carrierId: string;
  /** The batch as pushed: LREM takes it back by this exact string ('' when handed over in memory). */
  raw: string;
  /** Handed over in memory to a carrier in this process, which runs it (it is never in Redis). */
  local: boolean;
  /** Its sends not answered yet. */
  waiting: Set<string>;
  createdAt: number;
  pushedAt: number;
  /** Taken by a carrier that died: its sends' outcome is unknown. */
  lost: boolean;
  /** Taken back from a carrier that will not run it, and not pushed again yet. */
  unqueued: boolean;
}

/** A lane's carrier as a push found it open (or opened it), and when that push was sent. */
interface OpenCarrier {
  id: string;
  sentAt: number;
}

interface CarrierScripts {
  carrierPush(open: string, lane: string, candidate: string, batch: string, keepSeconds: number): Promise<[string, number]>;
  carrierClose(open: string, pending: string, id: string, force: '0' | '1'): Promise<number>;
}

/**
 * The ingress side of send carriers (SEND_CARRIERS; contracts' send-carrier.ts): each batch is pushed for
 * the open carrier of one of this ingress's lanes, and a carrier job is added when a push opens one. A push
 * goes through the script, which reads the lane's mark, unless one did less than CARRIER_DIRECT_PUSH_MS
 * before: then it goes straight onto the list of the carrier that push found (2 commands instead of 4). The
 * batches whose sends are still waiting are checked every `checkMs`: while their carrier's mark stands,
 * nothing is done (one GET per lane); once it is gone (the carrier closed, lapsed or died), a batch still
 * on that carrier's list is taken back (LREM: it either removes the batch, which then no carrier can take,
 * or finds that a carrier took it) and pushed again; a batch its carrier took is lost only when BullMQ
 * fails that carrier as stalled. A send is thus run by at most one carrier, and answered once.
 *
 * In a process that holds both roles (apps/gateway), a batch goes first to a lane whose carrier runs in this
 * process and takes it now (LocalCarriers): handed over in memory, it costs Redis nothing and needs no check.
 *
 * Part of the exactly-once answer: docs/architecture.md, "Exactly one answer, never a second send".
 */
export class SendCarriers {
  private readonly laneNames: string[];
  private next = 0;
  private readonly batches = new Map<string, CarriedBatch>();
  /** Adds of carrier jobs this ingress opened and that are not done yet: a batch for it waits for its add. */
  private readonly opening = new Map<string, Promise<unknown>>();
  /** Each lane's carrier as the last push through the script found it: pushes soon after go straight to it. */
  private readonly confirmed = new Map<string, OpenCarrier>();
  private readonly scripts: CarrierScripts;
  private readonly keepSeconds: number;
  private readonly timer: NodeJS.Timeout;
  private checking = false;

  constructor(private readonly options: SendCarriersOptions) {
    this.laneNames = Array.from({ length: options.lanes }, (_, i) => options.keys.sendLane(options.ingressId, i));
    options.commands.defineCommand('carrierPush', { numberOfKeys: 1, lua: CARRIER_PUSH });
    options.commands.defineCommand('carrierClose', { numberOfKeys: 2, lua: CARRIER_CLOSE });
    this.scripts = options.commands as unknown as CarrierScripts;
    this.keepSeconds = Math.max(60, Math.ceil((2 * options.sendTimeoutMs) / 1000));
    this.timer = setInterval(() => void this.check(), options.checkMs ?? 1000).unref();
  }

  /**
   * Pushes a batch for a carrier. Resolves once it is in Redis and its carrier's job exists; rejects with
   * NotQueued when it was taken back (nothing was sent), or with Redis's error (it may be in Redis).
   */
  async push(batchJobId: string, data: SendBatchJob): Promise<void> {
    const batch: CarriedBatch = {
      lane: '',
      carrierId: '',
      raw: '',
      local: false,
      waiting: new Set(data.items.map((item) => item.id)),
      createdAt: Date.now(),
      pushedAt: Date.now(),
      lost: false,
      unqueued: false,
    };
    // Known before the push: a reply may arrive before the push's own answer.
    this.batches.set(batchJobId, batch);
    if (this.handLocally(batch, batchJobId, data)) return;
    batch.lane = this.laneNames[this.next++ % this.laneNames.length]!;
    batch.raw = JSON.stringify({ id: batchJobId, data });
    try {
      await this.pushFor(batch);
    } catch (error) {
      this.batches.delete(batchJobId);
      throw error;
    }
  }

  /** A send's answer as its carrier stored it, 'lost' when its carrier died with it, else 'pending'; undefined when Redis cannot say. */
  async outcome(itemId: string): Promise<SendResult | 'lost' | 'pending' | undefined> {
    const batch = this.batches.get(batchJobIdOf(itemId));
    if (!batch || batch.local) return 'pending';
    try {
      const stored = await withTimeout(this.options.commands.hget(carrierKeys(batch.lane, batch.carrierId).results, itemId), 1000);
      if (stored) return JSON.parse(stored) as SendResult;
    } catch {
      return undefined;
    }
    return batch.lost ? 'lost' : 'pending';
  }

  /** The send has its answer: its batch is forgotten once all of its sends have theirs. */
  answered(itemId: string): void {
    const id = batchJobIdOf(itemId);
    const batch = this.batches.get(id);
    if (!batch) return;
    batch.waiting.delete(itemId);
    if (batch.waiting.size === 0) this.batches.delete(id);
  }

  close(): void {
    clearInterval(this.timer);
  }

  /**
   * Hands the batch to the first of this ingress's lanes whose carrier runs in this process and takes it now.
   * Only while this ingress's connection to Redis is up: a batch handed over while Redis is down would wait in
   * its carrier for pacing and could reach Meta after its client was answered; pushed, it fails at once (503).
   */
  private handLocally(batch: CarriedBatch, batchJobId: string, data: SendBatchJob): boolean {
    const { local, commands } = this.options;
    if (!local || !reachesRedis(commands)) return false;
    for (const lane of this.laneNames) {
      const carrierId = local.hand(lane, batchJobId, data);
      if (carrierId === undefined) continue;
      Object.assign(batch, { lane, carrierId, local: true });
      return true;
    }
    return false;
  }

  private async pushFor(batch: CarriedBatch): Promise<void> {
    const { commands } = this.options;
    const known = this.confirmed.get(batch.lane);
    if (known && Date.now() - known.sentAt < CARRIER_DIRECT_PUSH_MS) {
      // Its carrier was open when the script's push was sent, so it takes this batch (CARRIER_DIRECT_PUSH_MS).
      batch.carrierId = known.id;
      const pending = carrierKeys(batch.lane, known.id).pending;
      const [pushed] = (await commands.pipeline().rpush(pending, batch.raw).expire(pending, this.keepSeconds).exec()) ?? [];
      if (pushed?.[0]) throw pushed[0];
    } else {
      const sentAt = Date.now();
      const candidate = `carrier-${randomUUID()}`;
      const [carrierId, opened] = await this.scripts.carrierPush(carrierKeys(batch.lane, '').open, batch.lane, candidate, batch.raw, this.keepSeconds);
      batch.carrierId = carrierId;
      if (!known || known.sentAt < sentAt) this.confirmed.set(batch.lane, { id: carrierId, sentAt });
      if (opened === 1) this.add(batch.lane, carrierId);
    }
    await this.added(batch);
  }

  /** Adds the job of a carrier a push opened: batches pushed for it wait for the add. */
  private add(lane: string, carrierId: string): void {
    const { queue, sendTimeoutMs } = this.options;
    const adding = enqueue(queue, JOBS.sendCarrier, { lane, keepSeconds: this.keepSeconds }, { sendTimeoutMs }, { jobId: carrierId });
    this.opening.set(carrierId, adding);
    void adding.then(
      () => this.opening.delete(carrierId),
      () => {
        this.forget(lane, carrierId);
        setTimeout(() => this.opening.delete(carrierId), sendTimeoutMs).unref();
      },
    );
  }

  /** Resolves once the job of the batch's carrier exists; when it could not be added, takes the batch back. */
  private async added(batch: CarriedBatch): Promise<void> {
    const { commands } = this.options;
    const carrierId = batch.carrierId;
    const adding = this.opening.get(carrierId);
    if (!adding) return;
    try {
      await adding;
    } catch (error) {
      // No job runs this carrier: give its mark up, and take the batch back.
      const keys = carrierKeys(batch.lane, carrierId);
      await this.scripts.carrierClose(keys.open, keys.pending, carrierId, '1').catch(() => undefined);
      if ((await commands.lrem(keys.pending, 1, batch.raw)) === 1) throw new NotQueued(error);
      throw error;
    }
  }

  /** The lane's carrier is no longer taken to be open: the next push asks the script. */
  private forget(lane: string, carrierId: string): void {
    if (this.confirmed.get(lane)?.id === carrierId) this.confirmed.delete(lane);
  }

  /** Batches waiting longer than a check, whose carrier's mark is gone: taken back and pushed again, or found lost. */
  private async check(): Promise<void> {
    if (this.checking || this.batches.size === 0) return;
    this.checking = true;
    try {
      const now = Date.now();
      const due = now - (this.options.checkMs ?? 1000);
      // Every send of a batch this old has had its answer, a timeout at the latest.
      const expired = now - this.options.sendTimeoutMs - 2 * (this.options.checkMs ?? 1000);
      const marks = new Map<string, string | null>();
      const failed = new Map<string, boolean>();
      for (const [id, batch] of this.batches) {
        if (batch.createdAt < expired) {
          this.batches.delete(id);
          continue;
        }
        if (batch.local || batch.lost || batch.pushedAt > due) continue;
        if (batch.unqueued) {
          await this.repush(batch);
          continue;
        }
        const keys = carrierKeys(batch.lane, batch.carrierId);
        if (!marks.has(batch.lane)) marks.set(batch.lane, await this.options.commands.get(keys.open));
        if (marks.get(batch.lane) === batch.carrierId || this.opening.has(batch.carrierId)) continue;
        this.forget(batch.lane, batch.carrierId);
        if ((await this.options.commands.lrem(keys.pending, 1, batch.raw)) === 1) {
          batch.unqueued = true;
          await this.repush(batch);
          continue;
        }
        // Its carrier took it (and may be finishing it after closing): lost only if that carrier died.
        if (!failed.has(batch.carrierId)) failed.set(batch.carrierId, Boolean((await Job.fromId(this.options.queue, batch.carrierId))?.failedReason));
        if (failed.get(batch.carrierId)) batch.lost = true;
      }
    } catch (error) {
      this.options.logger?.warn({ err: (error as Error).message }, 'could not check the batches waiting on send carriers');
    } finally {
      this.checking = false;
    }
  }

  private async repush(batch: CarriedBatch): Promise<void> {
    try {
      await this.pushFor(batch);
      batch.unqueued = false;
      batch.pushedAt = Date.now();
    } catch (error) {
      // Still not in Redis (NotQueued) or unknown: tried again at the next check, until its sends time out.
      if (!(error instanceof NotQueued)) batch.unqueued = false;
      this.options.logger?.warn({ err: (error as Error).message }, 'could not push a batch again for a new send carrier');
    }
  }
}
