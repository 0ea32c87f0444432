import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { freePort } from '@gw/process-tools';
import { migrateAuditSchema } from '@gw/audit';

export interface BenchPostgres {
  /** The audit database the sink variant writes to. */
  url: string;
  /** Rows the sink wrote, by table: proof that the variant measured was writing. */
  rowCounts(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/** initdb on PATH, or Debian's (its server binaries are not on PATH). */
function findInitdb(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin', 'initdb') : undefined;
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
 * emptied), else a private cluster in a temp dir on a free port (its socket there too), stopped and
 * deleted at the end. As root the cluster belongs to the postgres user: initdb refuses root.
 */
export async function startBenchPostgres(log: (line: string) => void): Promise<BenchPostgres> {
  const given = process.env.AUDIT_DATABASE_URL;
  if (given) {
    await migrate(given);
    log('PostgreSQL sink: AUDIT_DATABASE_URL (migrated; rows the bench writes stay there)');
    return { url: given, rowCounts: () => counts(given), stop: () => Promise.resolve() };
  }
  const initdb = findInitdb();
  if (!initdb) throw new Error('PostgreSQL sink: no initdb (apt-get install -y postgresql), and AUDIT_DATABASE_URL is unset; --no-audit-sink skips the comparison');
  const bin = join(initdb, '..');
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot)
    chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()));
  // No pipes: the server pg_ctl starts would inherit them and execFileSync would wait for it to exit.
  const run = (command: string, args: string[]) =>
    asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'ignore' }) : execFileSync(command, args, { stdio: 'ignore' });
  const port = await freePort();
  run(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust']);
  run(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, 'start']);
  const stop = () => {
    try {
      run(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'fast', 'stop']);
    } catch {
      // Already stopped.
    }
    rmSync(dir, { recursive: true, force: true });
    return Promise.resolve();
  };
  try {
    const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
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
