import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startPrivatePostgres, type PrivatePostgres } from '@gw/process-tools';
import { migrateAuditSchema } from '@gw/audit';

export interface BenchPostgres {
  /** The audit database the sink variant writes to. */
  url: string;
  /** Rows the sink wrote, by table: proof that the variant measured was writing. */
  rowCounts(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

const counts = async (url: string): Promise<Record<string, number>> => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const out: Record<string, number> = {};
    for (const table of ['audit_sends', 'audit_statuses', 'audit_clicks'])
      out[table] = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
    return out;
  } finally {
    await client.end();
  }
};

const migrate = async (url: string) => {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await migrateAuditSchema(pool);
  } finally {
    await pool.end();
  }
};

/**
 * The sink's PostgreSQL for the bench: AUDIT_DATABASE_URL when given (migrated, written to, never
 * emptied), else a private cluster (startPrivatePostgres), stopped and deleted at the end.
 */
export async function startBenchPostgres(log: (line: string) => void): Promise<BenchPostgres> {
  const given = process.env.AUDIT_DATABASE_URL;
  if (given) {
    await migrate(given);
    log('PostgreSQL sink: AUDIT_DATABASE_URL (migrated; rows the bench writes stay there)');
    return { url: given, rowCounts: () => counts(given), stop: () => Promise.resolve() };
  }
  let cluster: PrivatePostgres;
  try {
    cluster = await startPrivatePostgres();
  } catch (error) {
    throw new Error(`PostgreSQL sink: ${(error as Error).message}, and AUDIT_DATABASE_URL is unset; --no-audit-sink skips the comparison`);
  }
  const { adminUrl: admin, port, stop } = cluster;
  try {
    const name = `gw_bench_${randomBytes(4).toString('hex')}`;
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query(`CREATE DATABASE ${name}`);
    await client.end();
    const url = `postgres://postgres@127.0.0.1:${port}/${name}`;
    await migrate(url);
    log(`PostgreSQL sink: private cluster on port ${port}`);
    return { url, rowCounts: () => counts(url), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
