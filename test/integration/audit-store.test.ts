import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { hourStart, ledgerLine, RedisAuditStore, SendTally, type AuditEvent, type AuditOwner, type SendAuditEvent } from '@gw/audit';
import { redisKeys } from '@gw/contracts';
import { LedgerLookup } from '../../apps/worker/src/webhooks/ledger-lookup.ts';
import { uniquePrefix } from '../support/harness.ts';

/** RedisAuditStore against a real Redis: counting once, the timeline, clicks, and what a message costs in memory. */
let redis: Redis;
const prefix = uniquePrefix();
const keys = redisKeys(prefix);
let store: RedisAuditStore;
const at = Date.parse('2026-03-04T05:06:07Z');
let n = 0;
const newWamid = () => `wamid.AUDIT${Date.now()}${(n += 1)}`;

/** Stored stacks' tenants are their permanent uids. */
const tenantOf = (stackId: string) => `uid-${stackId}`;
const owner = (stackId: string): AuditOwner => ({ stackId, tenant: tenantOf(stackId) });

const send = (over: Partial<SendAuditEvent> = {}): SendAuditEvent => ({
  kind: 'send',
  stackId: 's1',
  tenant: tenantOf(over.stackId ?? 's1'),
  wamid: newWamid(),
  at,
  route: 'marketing_messages',
  reason: 'checked_accepted',
  calls: [{ endpoint: 'marketing_messages', status: 200, durationMs: 123.456 }],
  template: 'promo:en_US',
  ...over,
});
const status = (wamid: string, name: string, extra: Record<string, unknown> = {}, stackId = 's1'): AuditEvent => ({
  kind: 'status',
  stackId,
  tenant: tenantOf(stackId),
  wamid,
  at: at + 1000,
  status: name,
  ...extra,
});
const rows = (stackId = 's1', tenant = tenantOf(stackId)) => store.routes({ stackId, tenant, from: at - 3_600_000, to: at + 3_600_000, granularity: 'hour' });

beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
  store = new RedisAuditStore({ redis, keys, auditRetentionSeconds: 3600, analyticsRetentionSeconds: 7200 });
});

afterAll(async () => {
  const found = await redis.keys(`${prefix}:*`);
  if (found.length) await redis.del(...found);
  redis.disconnect();
});

describe('RedisAuditStore', () => {
  it('counts each (wamid, status) once however Meta repeats or reorders them; read without delivered counts delivered', async () => {
    const a = send();
    const b = send();
    await store.record([a, b]);
    await store.record([status(a.wamid, 'read'), status(a.wamid, 'delivered'), status(a.wamid, 'read'), status(a.wamid, 'sent')]);
    await store.record([status(b.wamid, 'delivered'), status(b.wamid, 'delivered')]);
    // Processed concurrently, as several inbound workers would.
    await Promise.all([store.record([status(b.wamid, 'read')]), store.record([status(b.wamid, 'read')])]);
    const [row] = await rows();
    expect(row).toMatchObject({ route: 'marketing_messages', template: 'promo:en_US', sends: 2, delivered: 2, read: 2, failed: 0, deliveredRate: 1, readRate: 1 });
    const entry = await store.entry(owner('s1'), a.wamid);
    // Each status once, in the order received.
    expect(entry?.statuses.map((s) => s.status)).toEqual(['read', 'delivered', 'sent']);
    expect(entry).toMatchObject({ route: 'marketing_messages', reason: 'checked_accepted', template: 'promo:en_US', sentAt: new Date(at).toISOString() });
    expect(entry?.calls).toEqual([{ endpoint: 'marketing_messages', status: 200, durationMs: 123.5 }]);
  });

  it('keeps failed with its errors, pricing as given, and sums the cost once per message', async () => {
    const stackId = 's-cost';
    const ok = send({ stackId });
    const bad = send({ stackId, route: 'cloud_api', reason: 'checked_fallback', mmErrorCode: 134100, template: 'util:en_US' });
    await store.record([ok, bad]);
    const priced = { pricing: { category: 'marketing_lite', cost: { amount: 0.0125, currency: 'USD' } } };
    await store.record([status(ok.wamid, 'delivered', priced, stackId), status(ok.wamid, 'read', priced, stackId)]);
    const errors = [{ code: 131049, title: 'ecosystem' }];
    await store.record([status(bad.wamid, 'failed', { errors }, stackId), status(bad.wamid, 'failed', { errors }, stackId)]);
    const byRoute = Object.fromEntries((await rows(stackId)).map((r) => [r.route, r]));
    expect(byRoute.marketing_messages).toMatchObject({ sends: 1, delivered: 1, read: 1, cost: 0.0125 });
    expect(byRoute.cloud_api).toMatchObject({ sends: 1, failed: 1, fallbacks: { checked_fallback: 1 }, cost: null, template: 'util:en_US' });
    const failed = await store.entry(owner(stackId), bad.wamid);
    expect(failed?.mmErrorCode).toBe(134100);
    expect(failed?.statuses).toEqual([{ status: 'failed', receivedAt: new Date(at + 1000).toISOString(), errors }]);
    expect((await store.entry(owner(stackId), ok.wamid))?.statuses[0]?.pricing).toEqual(priced.pricing);
  });

  it("answers nothing for another stack's or an unknown wamid, and ignores another stack's statuses", async () => {
    const mine = send({ stackId: 's-mine' });
    await store.record([mine]);
    expect(await store.entry(owner('s-other'), mine.wamid)).toBeUndefined();
    expect(await store.entry(owner('s-mine'), 'wamid.unknown')).toBeUndefined();
    await store.record([status(mine.wamid, 'delivered', {}, 's-other')]);
    expect((await store.entry(owner('s-mine'), mine.wamid))?.statuses).toEqual([]);
    expect((await rows('s-mine'))[0]?.delivered).toBe(0);
  });

  it('counts a click tied to a message on its row once; other clicks on (unattributed), once per click_id', async () => {
    const stackId = 's-click';
    const tied = send({ stackId });
    await store.record([tied]);
    const click = (clickId: string, wamid?: string): AuditEvent => ({
      kind: 'click',
      stackId,
      tenant: tenantOf(stackId),
      at,
      clickId,
      ...(wamid ? { wamid } : {}),
      data: { click_id: clickId, click_component: 'cta' },
    });
    await store.record([click('c1', tied.wamid), click('c1', tied.wamid), click('c2', tied.wamid)]);
    await store.record([click('c3'), click('c3'), click('c4')]);
    const byTemplate = Object.fromEntries((await rows(stackId)).map((r) => [r.template, r]));
    expect(byTemplate['promo:en_US']).toMatchObject({ sends: 1, clicked: 1, clickRate: 1 });
    expect(byTemplate['(unattributed)']).toMatchObject({ route: 'marketing_messages', sends: 0, clicked: 2 });
    expect((await store.entry(owner(stackId), tied.wamid))?.clicks.map((c) => c.clickId)).toEqual(['c1', 'c2']);
  });

  it('a stack deleted and created again under the same id (a new uid) sees no old entry, no old counts, and its statuses of old messages count nowhere', async () => {
    const old = { stackId: 's-re', tenant: 'uid-old' };
    const renewed = { stackId: 's-re', tenant: 'uid-new' };
    const earlier = send(old);
    await store.record([earlier, { ...status(earlier.wamid, 'delivered', {}, 's-re'), ...old }]);
    const click = (who: AuditOwner): AuditEvent => ({ kind: 'click', ...who, at, clickId: 'same-click', data: {} });
    await store.record([click(old)]);
    expect(await store.entry(old, earlier.wamid)).toMatchObject({ statuses: [{ status: 'delivered' }] });
    expect((await rows('s-re', 'uid-old')).map((r) => [r.template, r.sends, r.delivered, r.clicked])).toEqual([
      ['(unattributed)', 0, 0, 1],
      ['promo:en_US', 1, 1, 0],
    ]);
    expect(await store.entry(renewed, earlier.wamid)).toBeUndefined();
    expect(await rows('s-re', 'uid-new')).toEqual([]);
    // The new stack has the old one's phone number: Meta's late statuses of old messages reach it.
    await store.record([{ ...status(earlier.wamid, 'read', {}, 's-re'), ...renewed }, click(renewed)]);
    expect(await store.entry(old, earlier.wamid)).toMatchObject({ statuses: [{ status: 'delivered' }] });
    expect((await rows('s-re', 'uid-old')).find((r) => r.template === 'promo:en_US')).toMatchObject({ read: 0 });
    // Its own click of the same click id counts once, for it (its own count-once flag).
    expect((await rows('s-re', 'uid-new')).map((r) => [r.template, r.sends, r.clicked])).toEqual([['(unattributed)', 0, 1]]);
  });

  it('a webhook reads the send ledger once: one MGET for enrichment and audit, then one count-once script per status (MONITOR)', async () => {
    const a = send();
    const b = send();
    await store.record([a, b]);
    const unknown = newWamid();
    const monitor = await new Redis(inject('redisUrl')).monitor();
    const seen: string[] = [];
    // Commands this test's clients send (a script's own commands show as source "lua": part of one EVALSHA).
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua' && args.some((arg) => arg.startsWith(`${prefix}:`))) seen.push(String(args[0]).toLowerCase());
    });
    try {
      // What the inbound worker does: one read of every wamid the webhook names, handed to record().
      const lines = await new LedgerLookup(redis, keys).read([a.wamid, b.wamid, unknown]);
      await store.record([status(a.wamid, 'sent'), status(a.wamid, 'delivered'), status(b.wamid, 'delivered'), status(unknown, 'delivered')], lines);
      await expect.poll(() => seen.length).toBeGreaterThanOrEqual(4);
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Three statuses of messages sent here: three scripts; the unknown wamid's status: nothing.
      expect(seen.sort()).toEqual(['evalsha', 'evalsha', 'evalsha', 'mget']);
    } finally {
      monitor.disconnect();
    }
    expect((await store.entry(owner('s1'), a.wamid))?.statuses.map((s) => s.status)).toEqual(['sent', 'delivered']);
  });

  it('SendTally writes the sends counted in process on flush, with bucket expiry', async () => {
    const tally = new SendTally({ redis, keys, retentionSeconds: 7200, flushMs: 60_000 });
    for (let i = 0; i < 5; i += 1) tally.count(send({ stackId: 's-tally' }));
    tally.count(send({ stackId: 's-tally', route: 'cloud_api', reason: 'mm_circuit_open' }));
    expect(await rows('s-tally')).toEqual([]);
    await tally.close();
    const byRoute = Object.fromEntries((await rows('s-tally')).map((r) => [r.route, r]));
    expect(byRoute.marketing_messages?.sends).toBe(5);
    expect(byRoute.cloud_api).toMatchObject({ sends: 1, fallbacks: { mm_circuit_open: 1 } });
    const ttl = await redis.ttl(keys.analyticsBucket(tenantOf('s-tally'), hourStart(at)));
    expect(ttl).toBeGreaterThan(7000);
    expect(ttl).toBeLessThanOrEqual(7200);
  });

  it('costs a few hundred bytes of Redis per audited message (MEMORY USAGE)', async () => {
    // A stored stack's tenant: its uuid, written in the line.
    const event = send({
      tenant: '6f1c2f4e-5b7a-4c1e-9d2b-0a1b2c3d4e5f',
      idempotencyKey: 'order-2026-000123',
      calls: [{ endpoint: 'marketing_messages', status: 200, durationMs: 231.4 }],
    });
    const ledgerOnly = newWamid();
    await redis.set(keys.ledger(ledgerOnly), JSON.stringify({ stackId: 's1', route: 'marketing_messages', reason: 'checked_accepted', at }), 'EX', 3600);
    await store.record([event]);
    const pricing = { billable: true, pricing_model: 'PMP', type: 'regular', category: 'marketing_lite' };
    await store.record([
      status(event.wamid, 'sent', { timestamp: '1772600767', pricing, tenant: event.tenant }),
      status(event.wamid, 'delivered', { timestamp: '1772600768', pricing, tenant: event.tenant }),
      status(event.wamid, 'read', { timestamp: '1772600790', tenant: event.tenant }),
    ]);
    const before = Number(await redis.call('MEMORY', 'USAGE', keys.ledger(ledgerOnly)));
    const line = Number(await redis.call('MEMORY', 'USAGE', keys.ledger(event.wamid)));
    const timeline = Number(await redis.call('MEMORY', 'USAGE', keys.auditTimeline(event.wamid)));
    console.log(`audit bytes per message: ledger line ${line} B (was ${before} B before the audit), timeline of sent+delivered+read ${timeline} B, total ${line + timeline} B`);
    expect(ledgerLine(event).length).toBeLessThan(300);
    expect(line + timeline).toBeLessThan(1100);
    expect(await redis.ttl(keys.auditTimeline(event.wamid))).toBeGreaterThan(3500);
  });
});
