import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { StackDirectory } from '@gw/config';
import { redisKeys, type SendItem } from '@gw/contracts';
import { createLogger } from '@gw/logger';
import { createMetaClient, type MetaClient } from '@gw/meta-client';
import { CategoryCache } from '../../packages/category-cache/src/category-cache.ts';
import { KeyedCircuitBreaker } from '../../packages/routing/src/index.ts';
import { createSimulator, type Simulator } from '../../apps/meta-simulator/src/index.ts';
import { SendService } from '../../apps/worker/src/send-service.ts';
import { ProbeCoordinator } from '../../apps/worker/src/probe-coordinator.ts';
import { Pacer } from '../../apps/worker/src/pacer.ts';
import { uniquePrefix } from '../support/harness.ts';

/**
 * The worker's send service, probe coordinator and category cache in process,
 * against a real Redis and the Meta simulator over HTTP (a real Meta client):
 * what each Meta answer makes the service do and remember.
 */
const PHONE = '1700000000001';
const WABA = '2700000000002';
const TOKEN = 'meta-token-service-test';
const log = createLogger({ name: 'send-service-test', level: 'silent' });
let redis: Redis;
let sim: Simulator;
let meta: MetaClient;
let simUrl: string;

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'));
  sim = createSimulator({
    seed: { accounts: [{ phoneNumberId: PHONE, wabaId: WABA, accessToken: TOKEN, marketingLimited: ['15550009999'] }] },
    appSecret: 'unused',
    logger: log,
  });
  simUrl = (await sim.listen(0, '127.0.0.1')).url;
  meta = createMetaClient({ baseUrl: simUrl, version: 'v24.0', timeoutMs: 2000 });
});

afterAll(async () => {
  await meta?.close();
  await sim?.close();
  redis?.disconnect();
});

function build(options: { timeoutPolicy?: 'fail' | 'fallback'; phoneNumberId?: string; wabaId?: string } = {}) {
  const keys = redisKeys(uniquePrefix());
  const categories = new CategoryCache({ redis, keys, ttlSeconds: 60, localTtlMs: 0 });
  const probes = new ProbeCoordinator({ redis, keys, probeTimeoutMs: 3000, outcomeTtlMs: 500, pollMs: 5 });
  const breaker = new KeyedCircuitBreaker({ failureThreshold: 3, openMs: 10_000 });
  const stacks = new StackDirectory([
    {
      id: 's1',
      apiKey: 'k'.repeat(20),
      phoneNumberId: options.phoneNumberId ?? PHONE,
      wabaId: options.wabaId ?? WABA,
      accessToken: TOKEN,
      mmRouting: true,
      messagesPerSecond: 1000,
    },
  ]);
  const service = new SendService({
    stacks,
    meta,
    categories,
    probes,
    breaker,
    pacer: new Pacer({ redis, keys, maxWaitMs: 1000, backoffMs: 100 }),
    timeoutPolicy: options.timeoutPolicy ?? 'fail',
    wabaCooldownSeconds: 60,
    syncingRetrySeconds: 5,
  });
  return { keys, categories, probes, breaker, service };
}

let n = 0;
const item = (payload: Record<string, unknown>, endpoint: SendItem['endpoint'] = 'messages'): SendItem => ({
  id: `job.${++n}`,
  stackId: 's1',
  endpoint,
  payload,
  receivedAt: Date.now(),
});
const template = (name: string, to = '+15550001234', extra: Record<string, unknown> = {}) => ({
  messaging_product: 'whatsapp',
  to,
  type: 'template',
  template: { name, language: { code: 'en_US' } },
  ...extra,
});
const calls = (name: string) => {
  const mine = sim.state.log.query({}).filter((r) => (r.body as { template?: { name?: string } } | null)?.template?.name === name);
  return { mm: mine.filter((r) => r.endpoint === 'marketing_messages'), cloud: mine.filter((r) => r.endpoint === 'messages') };
};

beforeEach(() => {
  sim.state.faults.clear();
});

describe('SendService carries out the failure policy', () => {
  it('learns marketing from an accepted probe and routes the next send from the cache', async () => {
    const { service, categories } = build();
    sim.state.templates.upsert({ wabaId: WABA, name: 'svc_promo', language: 'en_US', category: 'MARKETING' });
    expect((await service.send(item(template('svc_promo')), log)).reason).toBe('checked_accepted');
    expect(await categories.read(WABA, { name: 'svc_promo', language: 'en_US' })).toBe('marketing');
    expect((await service.send(item(template('svc_promo')), log)).reason).toBe('cached_marketing');
  });

  it('answers a 131049 on a probe as Meta gave it, labelled mm_pass_through, and leaves no probe outcome behind', async () => {
    const { service, categories, keys } = build();
    sim.state.templates.upsert({ wabaId: WABA, name: 'svc_limit', language: 'en_US', category: 'MARKETING' });
    const result = await service.send(item(template('svc_limit', '+15550009999')), log);
    expect(result).toMatchObject({ status: 400, route: 'marketing_messages', reason: 'mm_pass_through', mmErrorCode: 131049 });
    expect(calls('svc_limit')).toMatchObject({ mm: [expect.anything()], cloud: [] });
    expect(await categories.read(WABA, { name: 'svc_limit', language: 'en_US' })).toBe('unknown');
    expect(await redis.exists(keys.probe(WABA, 'svc_limit', 'en_US'))).toBe(0);
  });

  it("falls back on code 100 for the Cloud API's own answer and learns nothing", async () => {
    const { service, categories, breaker } = build();
    sim.state.templates.upsert({ wabaId: WABA, name: 'svc_bad', language: 'en_US', category: 'MARKETING' });
    const bad = template('svc_bad');
    (bad.template as Record<string, unknown>).components = [{ type: 'body', parameters: [{ type: 'text' }] }];
    const result = await service.send(item(bad), log);
    expect(result).toMatchObject({ status: 400, route: 'cloud_api', reason: 'invalid_parameter_fallback', mmErrorCode: 100 });
    expect(await categories.read(WABA, { name: 'svc_bad', language: 'en_US' })).toBe('unknown');
    expect(breaker.state(WABA)).toBe('closed');
  });

  it('sends a max-price template to MM only, with no Cloud call when MM fails', async () => {
    const { service } = build();
    sim.state.templates.upsert({ wabaId: WABA, name: 'svc_bid', language: 'en_US', category: 'MARKETING' });
    sim.state.faults.set('marketing_messages', { outage: true });
    const result = await service.send(item(template('svc_bid', undefined, { bid_spec: { per_message_bid_multiplier: 1.1 } })), log);
    expect(result).toMatchObject({ status: 500, route: 'marketing_messages', reason: 'max_price' });
    expect(calls('svc_bid')).toMatchObject({ mm: [expect.anything()], cloud: [] });
  });

  it('removes MM-only fields before the Cloud fallback and keeps the rest', async () => {
    const { service } = build();
    sim.state.templates.upsert({ wabaId: WABA, name: 'svc_util', language: 'en_US', category: 'UTILITY' });
    const payload = template('svc_util', undefined, { product_policy: 'STRICT', message_activity_sharing: false, biz_opaque_callback_data: 'k' });
    const result = await service.send(item(payload), log);
    expect(result).toMatchObject({ status: 200, route: 'cloud_api', reason: 'checked_fallback', mmErrorCode: 134100 });
    const { cloud } = calls('svc_util');
    expect(cloud[0]!.body).toEqual(template('svc_util', undefined, { biz_opaque_callback_data: 'k' }));
  });

  it('learns Cloud marketing off (and that the template is marketing) from a 131063, then stops falling back', async () => {
    const offWaba = '2700000000099';
    const offPhone = '1700000000099';
    const { service: offService, categories, keys } = build({ phoneNumberId: offPhone, wabaId: offWaba });
    sim.state.upsertAccount({ phoneNumberId: offPhone, wabaId: offWaba, accessToken: TOKEN, cloudMarketingOff: true });
    sim.state.templates.upsert({ wabaId: offWaba, name: 'svc_off', language: 'en_US', category: 'MARKETING' });
    sim.state.faults.set('marketing_messages', { outage: true });
    const first = await offService.send(item(template('svc_off')), log);
    expect(first).toMatchObject({ status: 400, route: 'cloud_api', reason: 'checked_fallback' });
    expect(await redis.exists(keys.cloudMarketingOff(offWaba))).toBe(1);
    expect(await categories.read(offWaba, { name: 'svc_off', language: 'en_US' })).toBe('marketing');
    const second = await offService.send(item(template('svc_off')), log);
    expect(second).toMatchObject({ status: 500, route: 'marketing_messages', reason: 'cloud_marketing_off' });
    expect(calls('svc_off').cloud).toHaveLength(1);
  });

  it('passes mark-as-read, group sends and encrypted sends without any MM call or cache read', async () => {
    const { service } = build();
    const id = `wamid.svc${Date.now()}`;
    sim.state.rememberMessage(id);
    expect(await service.send(item({ messaging_product: 'whatsapp', status: 'read', message_id: id }), log)).toMatchObject({
      status: 200,
      body: { success: true },
      reason: 'status_update',
    });
    sim.state.templates.upsert({ wabaId: WABA, name: 'svc_group', language: 'en_US', category: 'MARKETING' });
    expect(await service.send(item({ ...template('svc_group', '120363025246125486@g.us'), recipient_type: 'group' }), log)).toMatchObject({
      status: 200,
      route: 'cloud_api',
      reason: 'not_individual',
    });
    expect(calls('svc_group').mm).toHaveLength(0);
    expect(await service.send(item({ messaging_product: 'whatsapp', encrypted_contents: 'a.b.c' }, 'messages_encrypted'), log)).toMatchObject({
      status: 200,
      route: 'cloud_api',
      reason: 'encrypted',
    });
  });
});

describe('ProbeCoordinator against a real Redis', () => {
  const ref = { name: 'coord', language: 'en_US' };

  it('runs one probe for concurrent sends across two coordinators (two worker processes); the others follow its outcome', async () => {
    const keys = redisKeys(uniquePrefix());
    const a = new ProbeCoordinator({ redis, keys, probeTimeoutMs: 2000, outcomeTtlMs: 1000, pollMs: 5 });
    const b = new ProbeCoordinator({ redis, keys, probeTimeoutMs: 2000, outcomeTtlMs: 1000, pollMs: 5 });
    let probes = 0;
    const probe = async () => {
      probes += 1;
      await new Promise((r) => setTimeout(r, 100));
      return { result: 'probed', outcome: 'non_marketing' as const };
    };
    const runs = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).run('w1', ref, probe)));
    expect(probes).toBe(1);
    expect(runs.filter((r) => r.kind === 'probed')).toHaveLength(1);
    expect(runs.filter((r) => r.kind === 'waited').every((r) => r.kind === 'waited' && r.outcome === 'non_marketing')).toBe(true);
    expect(await redis.get(keys.probe('w1', ref.name, ref.language))).toBe('done:non_marketing');
  });

  it('lets every waiter probe for itself when the probe taught nothing (an answer about its own request)', async () => {
    const keys = redisKeys(uniquePrefix());
    const a = new ProbeCoordinator({ redis, keys, probeTimeoutMs: 2000, outcomeTtlMs: 1000, pollMs: 5 });
    const b = new ProbeCoordinator({ redis, keys, probeTimeoutMs: 2000, outcomeTtlMs: 1000, pollMs: 5 });
    let probes = 0;
    const probe = async () => {
      probes += 1;
      await new Promise((r) => setTimeout(r, 50));
      return { result: probes, outcome: probes === 1 ? undefined : ('marketing' as const) };
    };
    const runs = await Promise.all([a.run('w1', ref, probe), a.run('w1', ref, probe), b.run('w1', ref, probe)]);
    expect(runs[0]!.kind).toBe('probed');
    expect(probes).toBeGreaterThanOrEqual(2);
    expect(runs.some((r) => r.kind === 'waited' && r.outcome === undefined)).toBe(false);
  });

  it('leaves a pending probe key that expires, so a dead prober never blocks sends for long', async () => {
    const keys = redisKeys(uniquePrefix());
    const c = new ProbeCoordinator({ redis, keys, probeTimeoutMs: 300, outcomeTtlMs: 1000, pollMs: 5 });
    await redis.set(keys.probe('w2', ref.name, ref.language), 'pending', 'PX', 200);
    const started = Date.now();
    const run = await c.run('w2', ref, async () => ({ result: 'mine', outcome: 'marketing' as const }));
    expect(run).toEqual({ kind: 'probed', result: 'mine' });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('CategoryCache against a real Redis', () => {
  const ref = { name: 'cached', language: 'en-US' };

  it('shares what one worker learned with another, under the TTL, in both language spellings', async () => {
    const keys = redisKeys(uniquePrefix());
    const one = new CategoryCache({ redis, keys, ttlSeconds: 30, localTtlMs: 1000 });
    const two = new CategoryCache({ redis, keys, ttlSeconds: 30, localTtlMs: 0 });
    expect(await two.read('w', ref)).toBe('unknown');
    await one.write('w', ref, 'marketing', 'learned');
    expect(await two.read('w', { name: 'cached', language: 'en_US' })).toBe('marketing');
    const ttl = await redis.ttl(keys.category('w', 'cached', 'en_US'));
    expect(ttl).toBeGreaterThan(25);
    expect(ttl).toBeLessThanOrEqual(30);
    expect(await two.list('w')).toEqual([expect.objectContaining({ name: 'cached', language: 'en_US', category: 'marketing', source: 'learned' })]);
  });

  it('answers unavailable for a value it did not write', async () => {
    const keys = redisKeys(uniquePrefix());
    const cache = new CategoryCache({ redis, keys, ttlSeconds: 30, localTtlMs: 0 });
    await redis.set(keys.category('w', 'junk', 'en_US'), 'not json');
    expect(await cache.read('w', { name: 'junk', language: 'en_US' })).toBe('unavailable');
  });

  it("keeps the WABA's Cloud-marketing-off flag in Redis, set by one and cleared by another", async () => {
    const keys = redisKeys(uniquePrefix());
    const one = new CategoryCache({ redis, keys, ttlSeconds: 30, localTtlMs: 0 });
    const two = new CategoryCache({ redis, keys, ttlSeconds: 30, localTtlMs: 0 });
    expect(await two.isCloudMarketingOff('w')).toBe(false);
    await one.setCloudMarketingOff('w', true);
    expect(await two.isCloudMarketingOff('w')).toBe(true);
    expect(await redis.ttl(keys.cloudMarketingOff('w'))).toBeGreaterThan(25);
    await two.setCloudMarketingOff('w', false);
    expect(await one.isCloudMarketingOff('w')).toBe(false);
  });

  it('remembers a WABA the MM API refused for the cooldown only', async () => {
    const keys = redisKeys(uniquePrefix());
    const cache = new CategoryCache({ redis, keys, ttlSeconds: 30, localTtlMs: 0 });
    await cache.markMmUnavailable('w', 1);
    expect(await cache.isMmUnavailable('w')).toBe(true);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await cache.isMmUnavailable('w')).toBe(false);
  });
});
