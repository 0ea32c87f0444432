import type { Pool, PoolClient } from 'pg';
import { AUDIT_SCHEMA_VERSION, AUDIT_TABLES, VERSION_DDL, dayStart, indexDdl, parentDdl, tenantDdl } from './schema.ts';
import { ensurePartitions } from './partitions.ts';

export interface MigrationReport {
  /** Tables this run created (empty when the schema was already there). */
  createdTables: string[];
  /** Partitions this run created for today and tomorrow. */
  createdPartitions: string[];
  /** `table.column` this run added to an existing table of an earlier schema version. */
  addedColumns: string[];
  version: number;
}

const tablesWithTenant = async (client: PoolClient): Promise<Set<string>> => {
  const { rows } = await client.query<{ table_name: string }>(`SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'tenant'`);
  return new Set(rows.map((row) => row.table_name));
};

const existingTables = async (client: PoolClient): Promise<Set<string>> => {
  const { rows } = await client.query<{ relname: string }>(`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()`);
  return new Set(rows.map((row) => row.relname));
};

/**
 * Creates the sink's schema when missing and upgrades one of an earlier version (version 1: no tenant
 * column); safe to run again (every statement is IF NOT EXISTS) and
 * from several processes at once (an advisory lock serialises them).
 */
export async function migrateAuditSchema(pool: Pool, now = Date.now()): Promise<MigrationReport> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', ['gw_audit_migrate']);
    const before = await existingTables(client);
    const hadTenant = await tablesWithTenant(client);
    await client.query(VERSION_DDL);
    for (const table of AUDIT_TABLES) await client.query(parentDdl(table));
    // A schema of an earlier version gains what it lacks (each statement IF NOT EXISTS).
    for (const ddl of tenantDdl()) await client.query(ddl);
    for (const ddl of indexDdl()) await client.query(ddl);
    await client.query('INSERT INTO audit_schema_version (version) VALUES ($1) ON CONFLICT DO NOTHING', [AUDIT_SCHEMA_VERSION]);
    const createdTables = ['audit_schema_version', ...AUDIT_TABLES].filter((table) => !before.has(table));
    const addedColumns = AUDIT_TABLES.filter((table) => before.has(table) && !hadTenant.has(table)).map((table) => `${table}.tenant`);
    const today = dayStart(now);
    // Everything on the one locked connection: a pool of one must not wait for a second.
    const createdPartitions = await ensurePartitions(client, [today, today + 86_400_000]);
    return { createdTables, createdPartitions, addedColumns, version: AUDIT_SCHEMA_VERSION };
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', ['gw_audit_migrate']).catch(() => undefined);
    client.release();
  }
}
