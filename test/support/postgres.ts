import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/** A database this test file created; `drop()` removes it and nothing else. */
export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

const LOCAL_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

const answers = async (url: string): Promise<boolean> => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 500 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
};

/**
 * Which PostgreSQL server the tests may create databases on: the global setup's (PG_ADMIN_URL, or a
 * private cluster it started where initdb is installed); else a local server on 5432 that lets
 * `postgres` in without a password; else none, and the PostgreSQL tests say they skipped.
 */
export async function postgresAdminUrl(): Promise<string | undefined> {
  const provided = inject('pgAdminUrl');
  if (provided) return provided;
  return (await answers(LOCAL_ADMIN_URL)) ? LOCAL_ADMIN_URL : undefined;
}

export const NO_POSTGRES =
  'Skipping the PostgreSQL tests: install PostgreSQL (apt-get install -y postgresql: the tests start a private cluster), set PG_ADMIN_URL, or run a local PostgreSQL on 5432 with trust auth for postgres.';

const withDatabase = (adminUrl: string, name: string): string => {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

/** Creates a uniquely named database (`gw_test_<random>`) for one test file. */
export async function createTestDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `gw_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(adminUrl, name),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        // Only the database this helper created, by the exact name it made; FORCE ends leftover sessions.
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Ends a pool and waits until each of its connections has closed. `pool.end()` resolves as soon as it
 * has asked them to: a database dropped right after (`WITH (FORCE)`) would cut a connection still
 * closing, and the pool, ended and without an 'error' listener, would throw that in the test process.
 */
export async function endPool(pool: pg.Pool): Promise<void> {
  let open = pool.totalCount;
  const closed = new Promise<void>((resolve) => {
    if (open === 0) return resolve();
    pool.on('remove', () => {
      if (--open === 0) resolve();
    });
  });
  await pool.end();
  await closed;
}
