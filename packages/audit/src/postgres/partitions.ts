import type { Pool, PoolClient } from 'pg';
import { AUDIT_TABLES, expiredPartitions, partitionDdl, partitionName } from './schema.ts';

/** duplicate_table, and the catalog race two concurrent CREATE ... IF NOT EXISTS can still lose. */
const ALREADY_THERE = new Set(['42P07', '23505']);

const isAlreadyThere = (error: unknown): boolean => typeof error === 'object' && error !== null && ALREADY_THERE.has(String((error as { code?: unknown }).code));

/** Creates the partitions of every table for these days; answers the names it created. */
export async function ensurePartitions(pool: Pool | PoolClient, days: Iterable<number>): Promise<string[]> {
  const { rows } = await pool.query<{ relname: string }>(`SELECT relname FROM pg_class WHERE relname LIKE 'audit\\_%\\_p%' AND relkind = 'r'`);
  const present = new Set(rows.map((row) => row.relname));
  const created: string[] = [];
  for (const day of new Set(days)) {
    for (const table of AUDIT_TABLES) {
      const name = partitionName(table, day);
      if (present.has(name)) continue;
      try {
        await pool.query(partitionDdl(table, day));
        created.push(name);
      } catch (error) {
        // Another process created it between our look and our CREATE: that is what we wanted.
        if (!isAlreadyThere(error)) throw error;
      }
    }
  }
  return created;
}

/** Drops every partition whose day ended before the retention; answers the names dropped. */
export async function dropExpiredPartitions(pool: Pool, retentionSeconds: number, now = Date.now()): Promise<string[]> {
  const { rows } = await pool.query<{ relname: string }>(
    `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = ANY($1::text[])`,
    [AUDIT_TABLES],
  );
  const expired = expiredPartitions(
    rows.map((row) => row.relname),
    now,
    retentionSeconds,
  );
  for (const name of expired) await pool.query(`DROP TABLE IF EXISTS ${name}`);
  return expired;
}
