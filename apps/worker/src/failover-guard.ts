import type { Redis } from 'ioredis';
import type { ReplicaAck } from '@gw/config';

/**
 * With Sentinels, replication is asynchronous: a send's start (its batch job moved to active, its batch popped by
 * a send carrier) that the primary acknowledged but had not replicated when it died is undone on the promoted
 * replica, which hands the send out again. Meta is called only once the start is known to survive a failover: a
 * replica confirmed it (WAIT on the connection that made it), or, when none could (no replica online, a
 * failover in between, a replica that lags), the current primary shows that the send is this worker's alone.
 *
 * Part of the exactly-once answer: docs/architecture.md, "Exactly one answer, never a second send".
 */
export class FailoverGuard {
  constructor(private readonly ack: ReplicaAck) {}

  /**
   * A batch job (`jobKey`, its hash): a replica has its start, or the current primary still holds it under this
   * worker's lock, or does not have it at all (the failover undid its add too, so no other worker can take it;
   * a finished job is kept for at least a minute, so a missing one was never there).
   */
  async jobIsOurs(connection: Redis, jobKey: string, token: string | undefined): Promise<boolean> {
    if (await this.confirmed(connection)) return true;
    if (token !== undefined && (await connection.get(`${jobKey}:lock`)) === token) return true;
    return (await connection.exists(jobKey)) === 0;
  }

  /**
   * A batch a carrier popped: a replica has the pop, or this pop is the first to claim the batch on the current
   * primary (a pop that a failover undid puts the batch back in the carrier's list, and the carrier pops it again).
   */
  async batchIsOurs(connection: Redis, claimKey: string, keepSeconds: number): Promise<boolean> {
    if (await this.confirmed(connection)) return true;
    return (await connection.set(claimKey, '1', 'EX', keepSeconds, 'NX')) === 'OK';
  }

  /** A connection that failed (its primary died) confirms nothing: the current primary is asked instead. */
  private confirmed(connection: Redis): Promise<boolean> {
    return this.ack.confirm(connection).catch(() => false);
  }
}
