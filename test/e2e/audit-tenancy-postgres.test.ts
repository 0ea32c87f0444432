import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { NO_POSTGRES, createTestDatabase, postgresAdminUrl } from '../support/postgres.ts';

/**
 * The same end-to-end tenancy suite as audit-tenancy.test.ts (a stack deleted and re-created under
 * the same id through the admin API), with the PostgreSQL sink: the audit and analytics answers come
 * from PostgreSQL rows, which carry the sending stack's tenant.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const adminUrl = await postgresAdminUrl();
if (!adminUrl) console.warn(NO_POSTGRES);

if (adminUrl) {
  const db = await createTestDatabase(adminUrl);
  afterAll(async () => {
    delete process.env.AUDIT_DATABASE_URL;
    await db.drop();
  });
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/audit-migrate.ts'], { cwd: ROOT, env: { ...process.env, AUDIT_DATABASE_URL: db.url }, encoding: 'utf8' });

  // Before the suite's beforeAll starts the gateway: its processes inherit this environment.
  process.env.AUDIT_DATABASE_URL = db.url;
  await import('./audit-tenancy.test.ts');

  describe('with the PostgreSQL sink', () => {
    it('the answers above came from PostgreSQL: two sends of one stack id under two tenants', async () => {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ stack_id: string; tenant: string | null; n: string }>(
          'SELECT stack_id, tenant, count(*) AS n FROM audit_sends GROUP BY stack_id, tenant ORDER BY min(at)',
        );
        expect(rows).toHaveLength(2);
        expect(rows[0]!.stack_id).toBe(rows[1]!.stack_id);
        expect(rows.map((r) => Number(r.n))).toEqual([1, 1]);
        expect(rows[0]!.tenant).toMatch(/^[0-9a-f-]{36}$/);
        expect(rows[1]!.tenant).toMatch(/^[0-9a-f-]{36}$/);
        expect(rows[0]!.tenant).not.toBe(rows[1]!.tenant);
      } finally {
        await client.end();
      }
    });
  });
} else {
  describe.skip('the tenancy suite with the PostgreSQL sink (no PostgreSQL)', () => {
    it('needs PostgreSQL', () => undefined);
  });
}
