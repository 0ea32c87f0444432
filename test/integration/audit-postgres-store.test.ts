import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PostgresAuditStore, dayStart, migrateAuditSchema, type AuditEvent } from '@gw/audit';
import { NO_POSTGRES, createTestDatabase, endPool, postgresAdminUrl, type TestDatabase } from '../support/postgres.ts';

const adminUrl = await postgresAdminUrl();
if (!adminUrl) console.warn(NO_POSTGRES);

const DAY = 86_400_000;
const silent = { warn: () => undefined, info: () => undefined };
const T0 = Date.UTC(2026, 11, 2, 10, 15);
/** Stored stacks' tenants are uuids (their permanent uid). */
const TENANT_A = '6f1c2f4e-5b7a-4c1e-9d2b-0a1b2c3d4e5f';
const A = { stackId: 'stack-a', tenant: TENANT_A };

const send = (wamid: string, over: Partial<Extract<AuditEvent, { kind: 'send' }>> = {}): AuditEvent => ({
  kind: 'send',
  stackId: 'stack-a',
  tenant: TENANT_A,
  wamid,
  at: T0,
  route: 'marketing_messages',
  reason: 'cached_marketing',
  calls: [{ endpoint: 'marketing_messages', status: 200, durationMs: 12 }],
  template: 'promo:en_US',
  ...over,
});
const status = (wamid: string, value: string, at: number, over: Partial<Extract<AuditEvent, { kind: 'status' }>> = {}): AuditEvent => ({
  kind: 'status',
  stackId: 'stack-a',
  tenant: TENANT_A,
  wamid,
  at,
  status: value,
  timestamp: String(Math.floor(at / 1000)),
  ...over,
});

let db: TestDatabase;
let store: PostgresAuditStore;

describe.skipIf(!adminUrl)('PostgresAuditStore against a real PostgreSQL', () => {
  beforeAll(async () => {
    db = await createTestDatabase(adminUrl!);
    // A pool of one: the migration must do everything on the connection that holds its lock.
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    await migrateAuditSchema(pool, T0);
    await endPool(pool);
    store = new PostgresAuditStore({ connectionString: db.url, logger: silent, flushIntervalMs: 50 });
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('the migration is idempotent: a second run creates nothing and keeps the data', async () => {
    await store.record([send('wamid.migrate')]);
    await store.flush();
    const pool = new pg.Pool({ connectionString: db.url });
    try {
      const again = await migrateAuditSchema(pool, T0);
      expect(again.createdTables).toEqual([]);
      expect(again.createdPartitions).toEqual([]);
      expect(again.addedColumns).toEqual([]);
      expect(again.version).toBe(2);
    } finally {
      await endPool(pool);
    }
    expect((await store.entry(A, 'wamid.migrate'))?.route).toBe('marketing_messages');
  });

  it('record() answers at once and the batch appears after the flush interval, without a flush call', async () => {
    const started = performance.now();
    await store.record([send('wamid.timer')]);
    expect(performance.now() - started).toBeLessThan(5);
    await expect.poll(() => store.entry(A, 'wamid.timer'), { timeout: 3000 }).toMatchObject({ wamid: 'wamid.timer' });
  });

  it('an entry holds the send, each status once in the order received, pricing, errors and clicks; another stack gets nothing', async () => {
    const wamid = 'wamid.entry';
    await store.record([
      send(wamid, {
        route: 'cloud_api',
        reason: 'checked_fallback',
        mmErrorCode: 131055,
        idempotencyKey: 'key-1',
        calls: [
          { endpoint: 'marketing_messages', status: 400, durationMs: 30, errorCode: 131055 },
          { endpoint: 'messages', status: 200, durationMs: 20 },
        ],
      }),
      status(wamid, 'sent', T0 + 1000, { pricing: { category: 'marketing', cost: 0.0125, pricing_model: 'PMP' } }),
      status(wamid, 'sent', T0 + 1500),
      status(wamid, 'read', T0 + 2000),
      status(wamid, 'delivered', T0 + 3000),
      status(wamid, 'read', T0 + 4000),
      { kind: 'click', stackId: 'stack-a', tenant: TENANT_A, at: T0 + 5000, wamid, clickId: 'c1', data: { tracking_token: 't' } },
    ]);
    await store.flush();
    const entry = await store.entry(A, wamid);
    expect(entry).toMatchObject({
      wamid,
      stackId: 'stack-a',
      route: 'cloud_api',
      reason: 'checked_fallback',
      mmErrorCode: 131055,
      idempotencyKey: 'key-1',
      template: 'promo:en_US',
      sentAt: new Date(T0).toISOString(),
    });
    expect(entry!.calls).toHaveLength(2);
    expect(entry!.statuses.map((s) => s.status)).toEqual(['sent', 'read', 'delivered']);
    expect(entry!.statuses[0]!.pricing).toEqual({ category: 'marketing', cost: 0.0125, pricing_model: 'PMP' });
    expect(entry!.statuses[1]!.receivedAt).toBe(new Date(T0 + 2000).toISOString());
    expect(entry!.clicks).toEqual([{ receivedAt: new Date(T0 + 5000).toISOString(), clickId: 'c1', data: { tracking_token: 't' } }]);
    expect(await store.entry({ stackId: 'stack-b', tenant: TENANT_A }, wamid)).toBeUndefined();
    expect(await store.entry(A, 'wamid.unknown')).toBeUndefined();
  });

  it('route analytics count each message once per outcome, across batches and orderings, MM and Cloud apart', async () => {
    const stackId = 'stack-r';
    const tenant = 'uid-r';
    const at = Date.UTC(2026, 11, 3, 9, 5);
    const ev = (e: AuditEvent): AuditEvent => ({ ...e, stackId, tenant });
    // Statuses before their send (the webhook beat the worker's flush), repeats across two batches.
    await store.record([ev(status('r.mm1', 'read', at + 100)), ev(status('r.mm1', 'delivered', at + 50))]);
    await store.flush();
    await store.record([
      ev(send('r.mm1', { at })),
      ev(send('r.mm2', { at: at + 10 })),
      ev(send('r.cl1', { at: at + 20, route: 'cloud_api', reason: 'checked_fallback', mmErrorCode: 131055 })),
      ev(send('r.cl2', { at: at + 30, route: 'cloud_api', reason: 'mm_circuit_open' })),
      ev(send('r.other', { at: at + 40, route: 'cloud_api', reason: 'not_template', template: undefined })),
      ev(send('r.late', { at: at + 3_600_000, template: 'welcome:en' })),
    ]);
    await store.record([
      ev(status('r.mm1', 'read', at + 200, { pricing: { cost: 0.02 } })),
      ev(status('r.mm1', 'delivered', at + 300, { pricing: { cost: 0.02 } })),
      ev(status('r.mm2', 'failed', at + 60, { errors: [{ code: 131026 }] })),
      ev(status('r.cl1', 'delivered', at + 70, { pricing: { cost: 0.01 } })),
      ev(status('r.cl1', 'delivered', at + 80)),
      { kind: 'click', stackId, tenant, at: at + 90, wamid: 'r.mm1', data: {} },
      { kind: 'click', stackId, tenant, at: at + 95, wamid: 'r.mm1', data: {} },
      // Clicks tied to no message: the MM row `(unattributed)`, once per click id.
      { kind: 'click', stackId, tenant, at: at + 96, clickId: 'u1', data: {} },
      { kind: 'click', stackId, tenant, at: at + 97, clickId: 'u1', data: {} },
      { kind: 'click', stackId, tenant, at: at + 98, data: {} },
      // A cost as {amount, currency} (2026 max-price sends): the first status carrying one counts.
      ev(status('r.mm2', 'sent', at + 55, { pricing: { cost: { amount: '0.03', currency: 'USD' } } })),
    ]);
    await store.flush();

    const rows = await store.routes({ stackId, tenant, from: at - 1000, to: at + 2 * 3_600_000, granularity: 'hour' });
    const hour = new Date(Date.UTC(2026, 11, 3, 9)).toISOString();
    expect(rows.map((r) => [r.bucket, r.route, r.template])).toEqual([
      [hour, 'cloud_api', '(none)'],
      [hour, 'cloud_api', 'promo:en_US'],
      [hour, 'marketing_messages', '(unattributed)'],
      [hour, 'marketing_messages', 'promo:en_US'],
      [new Date(Date.UTC(2026, 11, 3, 10)).toISOString(), 'marketing_messages', 'welcome:en'],
    ]);
    expect(rows[2]).toMatchObject({ sends: 0, clicked: 2, clickRate: 0, cost: null });
    const mm = rows[3]!;
    expect(mm).toMatchObject({ sends: 2, delivered: 1, read: 1, failed: 1, clicked: 1, deliveredRate: 0.5, readRate: 0.5, failedRate: 0.5, clickRate: 0.5, fallbacks: {} });
    expect(mm.cost).toBe(0.05);
    const cloud = rows[1]!;
    expect(cloud).toMatchObject({ sends: 2, delivered: 1, read: 0, failed: 0, clicked: 0, fallbacks: { checked_fallback: 1, mm_circuit_open: 1 } });
    expect(cloud.cost).toBeCloseTo(0.01);
    expect(rows[0]).toMatchObject({ sends: 1, fallbacks: {}, cost: null });

    const byDay = await store.routes({ stackId, tenant, from: at - 1000, to: at + 2 * 3_600_000, granularity: 'day', template: 'promo' });
    expect(byDay.map((r) => [r.bucket, r.route, r.sends])).toEqual([
      [new Date(dayStart(at)).toISOString(), 'cloud_api', 2],
      [new Date(dayStart(at)).toISOString(), 'marketing_messages', 2],
    ]);
    expect(await store.routes({ stackId, tenant, from: at - 1000, to: at + 2 * 3_600_000, granularity: 'day', template: 'welcome:en' })).toHaveLength(1);
    expect(await store.routes({ stackId: 'stack-b', tenant, from: at - 1000, to: at + 2 * 3_600_000, granularity: 'day' })).toEqual([]);
  });

  it('a stack deleted and created again under the same id (a new uid) sees none of the old one: no entry, no analytics, no click', async () => {
    const at = Date.UTC(2026, 11, 4, 8, 5);
    const old = { stackId: 'stack-re', tenant: 'uid-old' };
    const renewed = { stackId: 'stack-re', tenant: 'uid-new' };
    const range = { from: at - 1000, to: at + 3_600_000, granularity: 'hour' as const };
    await store.record([
      send('re.1', { ...old, at }),
      status('re.1', 'delivered', at + 100, old),
      { kind: 'click', ...old, at: at + 200, wamid: 're.1', clickId: 'rc1', data: {} },
      { kind: 'click', ...old, at: at + 300, clickId: 'rc2', data: {} },
    ]);
    await store.flush();
    expect(await store.entry(old, 're.1')).toMatchObject({ wamid: 're.1', statuses: [{ status: 'delivered' }], clicks: [{ clickId: 'rc1' }] });
    expect((await store.routes({ ...old, ...range })).map((r) => [r.template, r.sends, r.delivered, r.clicked])).toEqual([
      ['(unattributed)', 0, 0, 1],
      ['promo:en_US', 1, 1, 1],
    ]);
    expect(await store.entry(renewed, 're.1')).toBeUndefined();
    expect(await store.routes({ ...renewed, ...range })).toEqual([]);
    // A late status of the old message reaches the new stack (same phone number): it counts for neither.
    await store.record([status('re.1', 'read', at + 400, renewed), send('re.2', { ...renewed, at: at + 500 })]);
    await store.flush();
    expect(await store.entry(renewed, 're.1')).toBeUndefined();
    expect((await store.routes({ ...renewed, ...range })).map((r) => [r.template, r.sends, r.read])).toEqual([['promo:en_US', 1, 0]]);
    expect((await store.routes({ ...old, ...range })).find((r) => r.template === 'promo:en_US')).toMatchObject({ sends: 1, read: 0 });
  });

  it('the migration upgrades a version-1 schema (no tenant column) in place: old rows are the tenant stack_id only', async () => {
    const v1 = await createTestDatabase(adminUrl!);
    const pool = new pg.Pool({ connectionString: v1.url, max: 1 });
    try {
      // The version-1 DDL as it shipped, and a row written by it.
      await pool.query('CREATE TABLE audit_schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      await pool.query(
        `CREATE TABLE audit_sends (seq bigserial, stack_id text NOT NULL, wamid text NOT NULL, at timestamptz NOT NULL, route text NOT NULL, reason text NOT NULL,
         mm_error_code integer, calls jsonb NOT NULL, idempotency_key text, template text) PARTITION BY RANGE (at)`,
      );
      await pool.query(
        `CREATE TABLE audit_statuses (seq bigserial, stack_id text NOT NULL, wamid text NOT NULL, at timestamptz NOT NULL, status text NOT NULL, meta_timestamp text,
         errors jsonb, pricing jsonb, cost numeric) PARTITION BY RANGE (at)`,
      );
      await pool.query(
        'CREATE TABLE audit_clicks (seq bigserial, stack_id text NOT NULL, wamid text, at timestamptz NOT NULL, click_id text, data jsonb NOT NULL) PARTITION BY RANGE (at)',
      );
      await pool.query('INSERT INTO audit_schema_version (version) VALUES (1)');
      await pool.query(`CREATE TABLE audit_sends_p20261202 PARTITION OF audit_sends FOR VALUES FROM ('2026-12-02T00:00:00Z') TO ('2026-12-03T00:00:00Z')`);
      await pool.query(`INSERT INTO audit_sends (stack_id, wamid, at, route, reason, calls) VALUES ('file-stack', 'v1.a', $1, 'cloud_api', 'not_template', '[]')`, [new Date(T0)]);

      const report = await migrateAuditSchema(pool, T0);
      expect(report).toMatchObject({ createdTables: [], addedColumns: ['audit_sends.tenant', 'audit_statuses.tenant', 'audit_clicks.tenant'], version: 2 });
      const columns = await pool.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.columns WHERE column_name = 'tenant' AND table_name LIKE 'audit_%' ORDER BY 1`,
      );
      expect(columns.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['audit_clicks', 'audit_sends', 'audit_sends_p20261202', 'audit_statuses']));
      expect((await pool.query('SELECT version FROM audit_schema_version ORDER BY 1')).rows).toEqual([{ version: 1 }, { version: 2 }]);
      // Again: nothing to do, nothing lost.
      expect(await migrateAuditSchema(pool, T0)).toMatchObject({ createdTables: [], createdPartitions: [], addedColumns: [], version: 2 });

      const upgraded = new PostgresAuditStore({ connectionString: v1.url, logger: silent, flushIntervalMs: 50 });
      try {
        // A stack without a uid (its tenant is its id) keeps its old rows; a stored stack of that id (a uid) never sees them.
        expect(await upgraded.entry({ stackId: 'file-stack', tenant: 'file-stack' }, 'v1.a')).toMatchObject({ route: 'cloud_api' });
        expect(await upgraded.entry({ stackId: 'file-stack', tenant: 'uid-1' }, 'v1.a')).toBeUndefined();
        await upgraded.record([send('v2.a', { stackId: 'file-stack', tenant: 'uid-1' })]);
        await upgraded.flush();
        expect(await upgraded.entry({ stackId: 'file-stack', tenant: 'uid-1' }, 'v2.a')).toMatchObject({ route: 'marketing_messages' });
        expect((await upgraded.routes({ stackId: 'file-stack', tenant: 'file-stack', from: T0 - 1000, to: T0 + 1000, granularity: 'hour' })).map((r) => r.sends)).toEqual([1]);
      } finally {
        await upgraded.close();
      }
    } finally {
      await endPool(pool);
      await v1.drop();
    }
  });

  it('creates a partition per day as events arrive and drops whole days after the retention', async () => {
    const old = T0 - 5 * DAY;
    await store.record([send('wamid.old', { at: old }), status('wamid.old', 'delivered', old + 1000)]);
    await store.flush();
    expect(await store.entry(A, 'wamid.old')).toBeDefined();
    const pool = new pg.Pool({ connectionString: db.url });
    try {
      const names = async () => (await pool.query<{ relname: string }>(`SELECT relname FROM pg_class WHERE relname LIKE 'audit_sends_p%' ORDER BY 1`)).rows.map((r) => r.relname);
      expect(await names()).toContain('audit_sends_p20261127');
      // Three days of retention at T0: the day five days back goes, T0's day stays. Another process
      // (a second worker) runs the step, so this store still believes the old day's partition exists.
      const janitor = new PostgresAuditStore({ connectionString: db.url, logger: silent });
      const dropped = await janitor.dropExpired(3 * 86_400, T0).finally(() => janitor.close());
      expect(dropped).toEqual(expect.arrayContaining(['audit_sends_p20261127', 'audit_statuses_p20261127']));
      expect(await names()).not.toContain('audit_sends_p20261127');
      expect(await names()).toContain('audit_sends_p20261202');
      expect(await store.entry(A, 'wamid.old')).toBeUndefined();
      expect(await store.entry(A, 'wamid.entry')).toBeDefined();
      // Writing to a day again after its partition was dropped recreates it.
      await store.record([send('wamid.again', { at: old })]);
      await store.flush();
      expect(await store.entry(A, 'wamid.again')).toBeDefined();
    } finally {
      await endPool(pool);
    }
  });

  it('costs under 1.5 KB per template message with sent, delivered and read (rows and indexes, measured)', async () => {
    const stackId = 'stack-size';
    const day = Date.UTC(2026, 11, 20, 12);
    const n = 5000;
    const pricing = { billable: true, pricing_model: 'PMP', type: 'regular', category: 'marketing_lite' };
    const events: AuditEvent[] = [];
    for (let i = 0; i < n; i++) {
      const wamid = `wamid.HBgLMTU1NTAwMDEyMzQVAgARGBI${String(i).padStart(20, '0')}`;
      events.push(send(wamid, { stackId, tenant: TENANT_A, at: day + i, route: 'marketing_messages', reason: 'cached_marketing', idempotencyKey: `order-${i}` }));
      for (const [k, value] of ['sent', 'delivered', 'read'].entries()) events.push(status(wamid, value, day + i + 1000 * (k + 1), { stackId, tenant: TENANT_A, pricing }));
    }
    await store.record(events);
    await store.flush();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('VACUUM ANALYZE');
      const { rows } = await client.query<{ bytes: string }>(
        `SELECT sum(pg_total_relation_size(c.oid)) AS bytes FROM pg_class c WHERE c.relname IN ('audit_sends_p20261220', 'audit_statuses_p20261220')`,
      );
      const perMessage = Number(rows[0]!.bytes) / n;
      console.log(`PostgreSQL audit sink: ${perMessage.toFixed(0)} bytes per message (send + sent, delivered, read with pricing; rows and indexes)`);
      expect(perMessage).toBeLessThan(1536);
    } finally {
      await client.end();
    }
  });

  it('a database that is down costs nothing to record(): batches are dropped and counted, never thrown', async () => {
    const warnings: string[] = [];
    const down = new PostgresAuditStore({
      connectionString: 'postgres://postgres@127.0.0.1:1/none',
      logger: { warn: (_f, m) => warnings.push(m), info: () => undefined },
      flushIntervalMs: 10,
      bufferCapacity: 3,
    });
    await down.record([send('d1'), send('d2'), send('d3'), send('d4')]);
    expect(down.stats()).toMatchObject({ dropped: 1, pending: 3 });
    await down.flush();
    expect(down.stats()).toMatchObject({ dropped: 4, failedBatches: 1, written: 0, pending: 0 });
    expect(warnings).toEqual(['audit sink: a batch could not be written to PostgreSQL']);
    await down.close();
  });
});
