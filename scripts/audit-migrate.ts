/**
 * `pnpm audit:migrate`: creates the PostgreSQL audit sink's schema at AUDIT_DATABASE_URL (tables
 * partitioned by day, their indexes, today's and tomorrow's partitions), or upgrades one of an earlier
 * version in place (version 2: the tenant column). Idempotent: run it on every
 * deploy. Exit 0 when the schema is in place, 1 when it could not be made, 2 when the URL is missing.
 */
import pg from 'pg';
import { migrateAuditSchema } from '@gw/audit';

async function main(): Promise<number> {
  const url = process.env.AUDIT_DATABASE_URL;
  if (!url) {
    console.error('AUDIT_DATABASE_URL is not set: nothing to migrate (the audit lives in Redis without it).');
    return 2;
  }
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    const report = await migrateAuditSchema(pool);
    const database = new URL(url).pathname.slice(1) || '(default)';
    console.log(`audit schema version ${report.version} in database ${database}`);
    if (report.createdTables.length > 0) console.log(`created tables: ${report.createdTables.join(', ')}`);
    else if (report.addedColumns.length > 0) console.log(`tables: already present, upgraded from an earlier version: added ${report.addedColumns.join(', ')}`);
    else console.log('tables: already present, nothing changed');
    console.log(report.createdPartitions.length > 0 ? `created partitions: ${report.createdPartitions.join(', ')}` : 'partitions for today and tomorrow: already present');
    return 0;
  } catch (error) {
    // The message only: the error object of a failed connection can carry the URL with its password.
    console.error(`audit migration failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await pool.end();
  }
}

process.exitCode = await main();
