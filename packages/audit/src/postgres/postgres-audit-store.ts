import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { AuditEntry, AuditEvent, AuditOwner, AuditStore, RouteAnalyticsQuery, RouteAnalyticsRow } from '../audit-store.ts';
import { COPY_COLUMNS, toCopyBatch } from './copy-rows.ts';
import { dropExpiredPartitions, ensurePartitions } from './partitions.ts';
import { queryEntry, queryReasonGroups } from './queries.ts';
import { toRouteRows } from './route-rows.ts';
import type { AuditTable } from './schema.ts';
import { WriteBuffer, type WriteBufferStats } from './write-buffer.ts';

/** The little of a logger the sink needs (pino's shape). */
export interface AuditSinkLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

export interface PostgresAuditStoreOptions {
  /** postgres://... (never logged: it may hold a password). */
  connectionString: string;
  logger: AuditSinkLogger;
  /** Events held in memory at most while PostgreSQL is slow or down; beyond it they are dropped and counted. */
  bufferCapacity?: number;
  /** Events per COPY. */
  batchSize?: number;
  flushIntervalMs?: number;
  /** Connections; writes use one at a time, reads the rest. */
  poolSize?: number;
  /**
   * Answers for a message the sink has not written yet (it writes in batches, ~200 ms late): the Redis
   * store, whose ledger line the worker writes before it answers the send, so a client that asks
   * right after its send finds the entry, as it does without the sink.
   */
  recent?: Pick<AuditStore, 'entry'>;
}

/**
 * The optional PostgreSQL sink (AUDIT_DATABASE_URL). record() only appends to a bounded buffer; a
 * background writer COPYs batches into day partitions. Reads fold repeated and reordered statuses so
 * they count once, giving the same answers as the Redis store.
 */
export class PostgresAuditStore implements AuditStore {
  readonly pool: pg.Pool;
  private readonly buffer: WriteBuffer<AuditEvent>;
  private readonly knownDays = new Set<number>();

  constructor(private readonly options: PostgresAuditStoreOptions) {
    this.pool = new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 4, idleTimeoutMillis: 30_000 });
    // An idle client's error (the server restarted) must not crash the process; the next query reconnects.
    this.pool.on('error', (error) => options.logger.warn({ err: error.message }, 'audit sink: idle PostgreSQL connection failed'));
    this.buffer = new WriteBuffer<AuditEvent>({
      capacity: options.bufferCapacity ?? 100_000,
      batchSize: options.batchSize ?? 2_000,
      flushIntervalMs: options.flushIntervalMs ?? 200,
      write: (batch) => this.write(batch),
      onError: (error, lost) =>
        options.logger.warn({ err: error instanceof Error ? error.message : String(error), lost }, 'audit sink: a batch could not be written to PostgreSQL'),
    });
  }

  /** Statuses need no ledger line here (the reads join them to their sends), so `known` is not used. */
  record(events: AuditEvent[]): Promise<void> {
    this.buffer.push(events);
    return Promise.resolve();
  }

  /** Writes what is buffered; tests and shutdown call it, sends never do. */
  flush(): Promise<void> {
    return this.buffer.flush();
  }

  stats(): WriteBufferStats {
    return this.buffer.stats();
  }

  async entry(owner: AuditOwner, wamid: string): Promise<AuditEntry | undefined> {
    return (await queryEntry(this.pool, owner, wamid)) ?? this.options.recent?.entry(owner, wamid);
  }

  async routes(query: RouteAnalyticsQuery): Promise<RouteAnalyticsRow[]> {
    return toRouteRows(await queryReasonGroups(this.pool, query), query.template);
  }

  /** The retention step: drops day partitions older than the retention. */
  async dropExpired(retentionSeconds: number, now = Date.now()): Promise<string[]> {
    const dropped = await dropExpiredPartitions(this.pool, retentionSeconds, now);
    this.knownDays.clear();
    if (dropped.length > 0) this.options.logger.info({ dropped }, 'audit sink: dropped expired partitions');
    return dropped;
  }

  async close(): Promise<void> {
    await this.buffer.close();
    await this.pool.end();
  }

  private async write(events: AuditEvent[]): Promise<void> {
    const batch = toCopyBatch(events);
    await this.ensureDays([...batch.days].filter((day) => !this.knownDays.has(day)));
    try {
      await this.copy(batch.csv);
    } catch (error) {
      // 23514: no partition for a row. Another process's retention step dropped a day this one thought it
      // had: look again and retry once (the failed COPY rolled back, so nothing is written twice).
      if ((error as { code?: unknown }).code !== '23514') throw error;
      this.knownDays.clear();
      await this.ensureDays([...batch.days]);
      await this.copy(batch.csv);
    }
  }

  private async ensureDays(days: number[]): Promise<void> {
    if (days.length === 0) return;
    await ensurePartitions(this.pool, days);
    for (const day of days) this.knownDays.add(day);
  }

  private async copy(csvByTable: Partial<Record<AuditTable, string>>): Promise<void> {
    const client = await this.pool.connect();
    try {
      // One transaction: a batch lands whole or not at all.
      await client.query('BEGIN');
      for (const [table, csv] of Object.entries(csvByTable) as Array<[AuditTable, string]>) {
        const sink = client.query(copyFrom(`COPY ${table} (${COPY_COLUMNS[table].join(', ')}) FROM STDIN WITH (FORMAT csv)`));
        await pipeline(Readable.from([csv]), sink);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
