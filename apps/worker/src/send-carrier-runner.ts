import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  CARRIER_BEAT,
  CARRIER_BEAT_MS,
  CARRIER_CLOSE,
  CARRIER_DRAIN_MS,
  CARRIER_PLACEHOLDER,
  carrierClaimKey,
  carrierKeys,
  sendCarrierJobSchema,
  type LocalCarriers,
  type SendBatchJob,
} from '@gw/contracts';
import type { Logger } from '@gw/logger';
import type { FailoverGuard } from './failover-guard.ts';
import type { SendSlots } from './send-slots.ts';

/** Runs one batch of a carrier: its sends' answers also go to `resultsKey`. */
export type CarriedBatchRunner = (batchJobId: string, data: SendBatchJob, resultsKey: string) => Promise<unknown>;

export interface SendCarrierRunnerOptions {
  /** The fail-fast command connection; each running carrier also holds a blocking duplicate of it. */
  commands: Redis;
  /**
   * The worker's sends in flight (WORKER_SENDS_IN_FLIGHT): a carrier takes no batch, from Redis or handed
   * over, while the worker could not start a send at once. Waiting batches stay in Redis (memory stays
   * bounded, and a crash strands only the batches the worker was running). Unset: no limit.
   */
  slots?: Pick<SendSlots, 'free' | 'whenFree'>;
  /** Told each batch taken, with its oldest send's arrival at the ingress (the queue-wait metric). */
  onTaken?: (receivedAt: number) => void;
  /** With Sentinels: a batch runs only once its pop is known to survive a failover; unset: nothing to check. */
  failoverGuard?: Pick<FailoverGuard, 'batchIsOurs'>;
  logger: Logger;
}

export interface CarrierSummary {
  batches: number;
  sends: number;
}

/** A carrier running here, as the ingress of this process may hand it batches (LocalCarriers). */
interface Intake {
  id: string;
  take(batchJobId: string, data: SendBatchJob): void;
}

interface CarrierScripts {
  carrierBeat(open: string, results: string, id: string, ttl: number): Promise<number>;
  carrierClose(open: string, pending: string, id: string, force: '0' | '1'): Promise<number>;
}

/** How long a carrier waits for a batch before it tries to close (s). */
const IDLE_SECONDS = 1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The worker side of send carriers (contracts' send-carrier.ts): a carrier job pops each batch pushed for
 * it from its `pending` list (a blocking pop: a batch starts the moment it is pushed) and runs it. It beats every CARRIER_BEAT_MS, and
 * closes after a second without a batch unless one came meanwhile. `stop()` (the worker is shutting down)
 * gives each carrier's mark up, so that new batches go to a new carrier, and lets it finish every batch
 * already pushed for it. A carrier that dies (kill -9) is failed by BullMQ's stalled check; the batches it
 * took are answered worker_lost by their ingress, the ones it had not taken are pushed again (the ingress's
 * SendCarriers).
 *
 * In a process that holds both roles (apps/gateway), a running carrier also takes the batches the ingress of
 * this process hands it in memory (`hand`, LocalCarriers), and closes only after a second without a batch
 * from either. It stops taking them before it tries to close or gives its mark up.
 *
 * Part of the exactly-once answer: docs/architecture.md, "Exactly one answer, never a second send".
 */
export class SendCarrierRunner implements LocalCarriers {
  private stopping = false;
  /** The carriers running here that take batches handed over, by lane. */
  private readonly intakes = new Map<string, Intake>();
  /** Blocking connections of carriers that finished, for the next ones. */
  private readonly idle: Redis[] = [];
  private readonly scripts: CarrierScripts;

  constructor(private readonly options: SendCarrierRunnerOptions) {
    options.commands.defineCommand('carrierBeat', { numberOfKeys: 2, lua: CARRIER_BEAT });
    options.commands.defineCommand('carrierClose', { numberOfKeys: 2, lua: CARRIER_CLOSE });
    this.scripts = options.commands as unknown as CarrierScripts;
  }

  hand(lane: string, batchJobId: string, data: SendBatchJob): string | undefined {
    const intake = this.intakes.get(lane);
    if (!intake || this.options.slots?.free === false) return undefined;
    intake.take(batchJobId, data);
    return intake.id;
  }

  /** The carrier job's processor. */
  async run(job: Job, runBatch: CarriedBatchRunner): Promise<CarrierSummary> {
    const { logger, commands } = this.options;
    const data = sendCarrierJobSchema.safeParse(job.data);
    const summary: CarrierSummary = { batches: 0, sends: 0 };
    if (!data.success) {
      logger.error({ jobId: job.id, issues: data.error.issues }, 'malformed send-carrier job');
      return summary;
    }
    const id = job.id!;
    const { lane } = data.data;
    const keys = carrierKeys(lane, id);
    const blocking = this.idle.pop() ?? this.blockingConnection();
    const batches = new Set<Promise<unknown>>();
    const start = (batchJobId: string, batch: SendBatchJob) => {
      const running = this.runOne(batchJobId, batch, keys.results, runBatch, summary);
      batches.add(running);
      void running.finally(() => batches.delete(running));
    };
    let lastHanded = 0;
    const intake: Intake = {
      id,
      take: (batchJobId, batch) => {
        lastHanded = Date.now();
        start(batchJobId, batch);
      },
    };
    const accept = () => this.intakes.set(lane, intake);
    const refuse = () => {
      if (this.intakes.get(lane) === intake) this.intakes.delete(lane);
    };
    let released = false;
    // No batch is handed over while the carrier tries to close: one that comes is pushed through Redis.
    const release = async (force: boolean) => {
      refuse();
      try {
        released = (await this.scripts.carrierClose(keys.open, keys.pending, id, force ? '1' : '0')) === 1;
      } finally {
        if (!released && !this.stopping) accept();
      }
      return released;
    };
    const beat = () => this.scripts.carrierBeat(keys.open, keys.results, id, data.data.keepSeconds).catch(() => undefined);
    let reported = 0;
    const beats = setInterval(() => {
      void beat();
      if (summary.batches !== reported) {
        reported = summary.batches;
        void job.updateProgress({ ...summary }).catch(() => undefined);
      }
    }, CARRIER_BEAT_MS);
    try {
      // A placeholder makes `results` exist from the start, so that the first beat gives it its TTL: a carrier
      // that dies leaves nothing in Redis for longer than keepSeconds.
      await commands.hset(keys.results, CARRIER_PLACEHOLDER, '');
      await beat();
      if (!this.stopping) accept();
      for (;;) {
        if (this.stopping && !released) await release(true).catch(() => undefined);
        const room = this.options.slots?.whenFree();
        if (room) await room;
        let raw: string | null;
        try {
          // Once released, only a push sent while the mark stood (CARRIER_DIRECT_PUSH_MS) still comes: the carrier
          // takes batches until none came for CARRIER_DRAIN_MS. A wait is never abandoned (a batch it pops would be
          // lost), so a shutdown waits for it.
          raw = (await blocking.blpop(keys.pending, released ? CARRIER_DRAIN_MS / 1000 : IDLE_SECONDS))?.[1] ?? null;
        } catch (error) {
          logger.warn({ jobId: id, err: (error as Error).message }, 'send carrier could not take a batch; retrying');
          await sleep(1000);
          continue;
        }
        if (raw === null) {
          if (!released && Date.now() - lastHanded < IDLE_SECONDS * 1000) continue;
          if (released || (await release(false).catch(() => false))) break;
          continue;
        }
        let popped: { id: string; data: SendBatchJob };
        try {
          popped = JSON.parse(raw) as typeof popped;
        } catch (error) {
          logger.error({ jobId: id, err: error }, 'malformed batch on a send carrier');
          continue;
        }
        // A pop that a failover undid puts the batch back in this list on the promoted replica: it runs once
        // (checked on the connection that popped it, before that connection waits for the next batch).
        if (!(await this.popIsOurs(blocking, lane, popped.id, data.data.keepSeconds))) continue;
        start(popped.id, popped.data);
      }
      await Promise.all(batches);
      // A results hash written again after Redis lost it (a restart) has no TTL until a beat: give it one.
      await commands.expire(keys.results, data.data.keepSeconds).catch(() => undefined);
      return summary;
    } finally {
      refuse();
      clearInterval(beats);
      if (blocking.status === 'ready' && !this.stopping) this.idle.push(blocking);
      else blocking.disconnect();
    }
  }

  /**
   * The worker is shutting down: every running carrier gives its mark up at its next turn (within
   * IDLE_SECONDS) and finishes what was pushed for it (until none came for CARRIER_DRAIN_MS); a carrier
   * started from now on does so at once.
   */
  stop(): void {
    this.stopping = true;
    this.intakes.clear();
    for (const connection of this.idle.splice(0)) connection.disconnect();
  }

  /** Whether this carrier runs a batch it popped: always, unless a failover may have undone the pop (FailoverGuard). */
  private async popIsOurs(connection: Redis, lane: string, batchJobId: string, keepSeconds: number): Promise<boolean> {
    const guard = this.options.failoverGuard;
    if (!guard) return true;
    try {
      if (await guard.batchIsOurs(connection, carrierClaimKey(lane, batchJobId), keepSeconds)) return true;
      this.options.logger.warn({ batchJobId }, 'a Redis failover undid a carried batch’s pop: it already runs here, not again');
    } catch (error) {
      this.options.logger.error({ batchJobId, err: (error as Error).message }, 'could not tell whether a carried batch already runs; not running it again');
    }
    return false;
  }

  /** A connection of its own for a carrier's blocking pops; it reconnects like the one it copies, and the latter reports outages. */
  private blockingConnection(): Redis {
    const connection = this.options.commands.duplicate({ commandTimeout: undefined, maxRetriesPerRequest: null, enableOfflineQueue: true });
    connection.on('error', (error: Error) => this.options.logger.debug({ err: error.message }, 'send carrier connection error'));
    return connection;
  }

  private async runOne(id: string, data: SendBatchJob, resultsKey: string, runBatch: CarriedBatchRunner, summary: CarrierSummary): Promise<void> {
    try {
      summary.batches++;
      summary.sends += data.items.length;
      this.options.onTaken?.(Math.min(...data.items.map((item) => item.receivedAt)));
      await runBatch(id, data, resultsKey);
    } catch (error) {
      this.options.logger.error({ err: error }, 'a send carrier could not run a batch');
    }
  }
}
