import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { NO_POSTGRES, createTestDatabase, postgresAdminUrl } from '../support/postgres.ts';
import { makeStack, sendVia, startGateway, startSimulator, templateMessage, workerOpsUrl } from '../support/harness.ts';
import { metricSum, scrape } from '../support/metrics.ts';
import { waitFor } from '../support/assertions.ts';

/**
 * The same end-to-end suite as audit-analytics.test.ts (real ingress and worker processes, the
 * simulator's webhooks out of order, repeats), with the PostgreSQL sink: AUDIT_DATABASE_URL set on
 * both processes, so every send and status goes to PostgreSQL and the audit and analytics routes
 * read it there. The schema is made by the real `pnpm audit:migrate` script, run twice.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const adminUrl = await postgresAdminUrl();
if (!adminUrl) console.warn(NO_POSTGRES);

const migrate = (url: string) =>
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/audit-migrate.ts'], { cwd: ROOT, env: { ...process.env, AUDIT_DATABASE_URL: url }, encoding: 'utf8' });

if (adminUrl) {
  const db = await createTestDatabase(adminUrl);
  // Registered before the suite's own afterAll: hooks run last-registered first, so the gateway stops before the drop.
  afterAll(async () => {
    delete process.env.AUDIT_DATABASE_URL;
    await db.drop();
  });

  describe('the audit migration command', () => {
    it('creates the schema once and changes nothing when run again', () => {
      expect(migrate(db.url)).toMatch(/created tables: audit_schema_version, audit_sends, audit_statuses, audit_clicks/);
      expect(migrate(db.url)).toMatch(/tables: already present, nothing changed/);
    });
  });

  // Before the suite's beforeAll starts the gateway: its processes inherit this environment.
  process.env.AUDIT_DATABASE_URL = db.url;
  await import('./audit-analytics.test.ts');

  describe('with the PostgreSQL sink', () => {
    it('the answers above came from PostgreSQL: it holds the sends and each distinct status', async () => {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const sends = await client.query<{ route: string; n: string }>('SELECT route, count(*) AS n FROM audit_sends GROUP BY route ORDER BY route');
        expect(Object.fromEntries(sends.rows.map((r) => [r.route, Number(r.n)]))).toEqual({ cloud_api: 2, marketing_messages: 2 });
        const statuses = await client.query<{ n: string }>("SELECT count(DISTINCT (wamid, status)) AS n FROM audit_statuses WHERE status IN ('sent', 'delivered', 'read')");
        expect(Number(statuses.rows[0]!.n)).toBeGreaterThanOrEqual(6);
      } finally {
        await client.end();
      }
    });

    it("the worker's /metrics counts what the sink wrote and dropped", async () => {
      const stack = makeStack();
      const sim = await startSimulator();
      await sim.control.account(stack);
      await sim.control.template(stack.wabaId, 'sink_metric', 'MARKETING');
      const gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, workers: 1, env: { AUDIT_DATABASE_URL: db.url } });
      try {
        for (let i = 0; i < 3; i++) expect((await sendVia(gateway, stack, templateMessage('sink_metric'))).status).toBe(200);
        const url = workerOpsUrl(gateway.workers[0]!);
        await waitFor('three sends written', async () => metricSum(await scrape(url), 'gateway_audit_sink_events', { state: 'written' }) === 3);
        expect(metricSum(await scrape(url), 'gateway_audit_sink_events', { state: 'dropped' })).toBe(0);
      } finally {
        await gateway.stop();
        await sim.stop();
      }
    });
  });
} else {
  describe.skip('audit and analytics with the PostgreSQL sink (no PostgreSQL)', () => {
    it('skipped', () => undefined);
  });
}
