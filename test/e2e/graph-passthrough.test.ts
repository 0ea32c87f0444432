import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhatsAppClient } from '@kapso/whatsapp-cloud-api';
import { Redis } from 'ioredis';
import { request } from 'undici';
import {
  get,
  ingressOpsUrl,
  makeStack,
  post,
  readAnswer,
  sendVia,
  startGateway,
  startSimulator,
  templateMessage,
  type Gateway,
  type HttpAnswer,
  type Simulator,
  type TestStack,
} from '../support/harness.ts';
import { callsFor, waitFor } from '../support/assertions.ts';

// Two stacks on ONE Meta token: Meta would let either reach the other's resources, so only the gateway keeps them apart.
const mine = makeStack();
const theirs = makeStack({ accessToken: mine.accessToken });
let sim: Simulator;
let gateway: Gateway;

const auth = (s: TestStack = mine) => ({ authorization: `Bearer ${s.apiKey}` });
const components = [{ type: 'BODY', text: 'Hello {{1}}', example: { body_text: [['Ann']] } }];

async function call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, stack: TestStack = mine, base = gateway.url): Promise<HttpAnswer> {
  return readAnswer(
    await request(`${base}${path}`, {
      method,
      headers: { ...auth(stack), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}
/** Straight to the simulator with the Meta token, as the gateway would call it. */
async function meta(method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpAnswer> {
  return readAnswer(
    await request(`${sim.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${mine.accessToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}
const cached = async () => (await get(`${gateway.url}/templates/categories`, auth())).body.data as Array<{ name: string; language: string; category: string; source: string }>;
const simTemplate = async (wabaId: string, name: string) => {
  const listing = await meta('GET', `/v24.0/${wabaId}/message_templates?name=${name}`);
  return listing.body.data as Array<{ id: string; language: string; status: string; category: string }>;
};
const approved = (wabaId: string, name: string) => waitFor(`${name} approved`, async () => (await simTemplate(wabaId, name)).every((t) => t.status === 'APPROVED'));

beforeAll(async () => {
  sim = await startSimulator({ SIM_TEMPLATE_REVIEW_MS: '50' });
  await sim.control.account(mine);
  await sim.control.account(theirs);
  gateway = await startGateway({ stacks: [mine, theirs], metaUrl: sim.url, env: { GRAPH_PASSTHROUGH_TIMEOUT_MS: '1000', META_APP_SECRET: 'sim-app-secret' } });
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
});

describe('templates through the gateway', () => {
  it('routes a template created through the gateway by its category, without an MM probe', async () => {
    const promo = await call('POST', `/v24.0/${mine.wabaId}/message_templates`, { name: 'gw_promo', language: 'en_US', category: 'MARKETING', components });
    expect(promo.status).toBe(200);
    expect(promo.body).toEqual({ id: expect.any(String), status: 'PENDING', category: 'MARKETING' });
    // The short form names the stack's own WABA.
    const notice = await call('POST', '/message_templates', { name: 'gw_notice', language: 'en_US', category: 'UTILITY', components });
    expect(notice.status).toBe(200);

    // Written when Meta answered, not when a webhook or sync arrives.
    expect(await cached()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'gw_promo', language: 'en_US', category: 'marketing', source: 'api' }),
        expect.objectContaining({ name: 'gw_notice', language: 'en_US', category: 'non_marketing', source: 'api' }),
      ]),
    );
    await approved(mine.wabaId, 'gw_promo');
    await approved(mine.wabaId, 'gw_notice');

    const utility = await sendVia(gateway, mine, templateMessage('gw_notice'));
    expect(utility.status).toBe(200);
    expect(utility.headers['x-gateway-route-reason']).toBe('cached_non_marketing');
    expect(await callsFor(sim.control, 'gw_notice')).toMatchObject({ mm: 0, cloud: 1 });
    const marketing = await sendVia(gateway, mine, templateMessage('gw_promo'));
    expect(marketing.status).toBe(200);
    expect(marketing.headers['x-gateway-route-reason']).toBe('cached_marketing');
    expect(await callsFor(sim.control, 'gw_promo')).toMatchObject({ mm: 1, cloud: 0 });
  });

  it("caches the category Meta's review assigned, not the one the client asked for", async () => {
    await sim.control.templateReview(mine.wabaId, 'gw_disguised', 'MARKETING');
    const created = await call('POST', '/message_templates', { name: 'gw_disguised', language: 'en_US', category: 'UTILITY', components });
    expect(created.body).toMatchObject({ category: 'MARKETING' });
    expect(await cached()).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'gw_disguised', category: 'marketing', source: 'api' })]));
  });

  it('lists the WABA templates as Meta does, with paging links that lead back to the gateway', async () => {
    const page = await call('GET', `/v24.0/${mine.wabaId}/message_templates?fields=name,category,status&limit=1`);
    expect(page.status).toBe(200);
    expect(page.body.data).toHaveLength(1);
    expect(page.body.data[0]).toEqual({ name: expect.any(String), category: expect.any(String), status: expect.any(String), id: expect.any(String) });
    const next = new URL(page.body.paging.next as string);
    expect(`${next.origin}`).toBe(gateway.url);
    const second = await call('GET', `${next.pathname}${next.search}`);
    expect(second.status).toBe(200);
    expect(second.body.data[0].id).not.toBe(page.body.data[0].id);
  });

  it('updates the cache when a category is edited, for a template the gateway had not seen yet', async () => {
    await sim.control.template(mine.wabaId, 'gw_paused', 'MARKETING', { status: 'PAUSED' });
    const [paused] = await simTemplate(mine.wabaId, 'gw_paused');
    const edited = await call('POST', `/v24.0/${paused!.id}`, { category: 'UTILITY' });
    expect(edited).toMatchObject({ status: 200, body: { success: true } });
    expect(await cached()).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'gw_paused', category: 'non_marketing', source: 'api' })]));
    const read = await call('GET', `/v24.0/${paused!.id}?fields=name,category`);
    expect(read.body).toEqual({ name: 'gw_paused', category: 'UTILITY', id: paused!.id });
  });

  it('evicts one language on a delete by hsm_id and every language on a delete by name', async () => {
    for (const language of ['en_US', 'pt_BR']) {
      const created = await call('POST', `/v24.0/${mine.wabaId}/message_templates`, { name: 'gw_multi', language, category: 'MARKETING', components });
      expect(created.status).toBe(200);
    }
    const languagesCached = async () =>
      (await cached())
        .filter((c) => c.name === 'gw_multi')
        .map((c) => c.language)
        .sort();
    expect(await languagesCached()).toEqual(['en_US', 'pt_BR']);
    const pt = (await simTemplate(mine.wabaId, 'gw_multi')).find((t) => t.language === 'pt_BR')!;
    const one = await call('DELETE', `/v24.0/${mine.wabaId}/message_templates?name=gw_multi&hsm_id=${pt.id}`);
    expect(one).toMatchObject({ status: 200, body: { success: true } });
    expect(await languagesCached()).toEqual(['en_US']);
    const all = await call('DELETE', '/message_templates?name=gw_multi');
    expect(all).toMatchObject({ status: 200, body: { success: true } });
    expect(await languagesCached()).toEqual([]);
    expect(await simTemplate(mine.wabaId, 'gw_multi')).toEqual([]);
  });

  it("passes Meta's error answers through unchanged (status and body)", async () => {
    const template = { name: 'gw_promo', language: 'en_US', category: 'MARKETING', components };
    const direct = await meta('POST', `/v24.0/${mine.wabaId}/message_templates`, template);
    const through = await call('POST', `/v24.0/${mine.wabaId}/message_templates`, template);
    expect(direct.status).toBe(400);
    expect(through.status).toBe(direct.status);
    expect(through.headers['content-type']).toBe(direct.headers['content-type']);
    expect(through.body).toEqual({ error: { ...direct.body.error, fbtrace_id: expect.any(String) } });

    await sim.control.fault('business_profile', { outage: true, error: { status: 500, code: 131000, message: 'Something went wrong' }, remaining: 1 });
    const failed = await call('GET', '/whatsapp_business_profile');
    expect(failed.status).toBe(500);
    expect(failed.body.error).toMatchObject({ code: 131000, message: '(#131000) Something went wrong' });
  });
});

describe('a Cloud API SDK pointed at the gateway', () => {
  it('creates, lists and deletes templates and sets the business profile with the stack API key as its token', async () => {
    const client = new WhatsAppClient({ accessToken: mine.apiKey, baseUrl: gateway.url, graphVersion: 'v23.0' });
    const created = await client.templates.create({
      businessAccountId: mine.wabaId,
      name: 'sdk_notice',
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Your order {{1}} shipped', example: { body_text: [['42']] } }],
    });
    expect(created).toMatchObject({ id: expect.any(String), status: 'PENDING', category: 'UTILITY' });
    expect(await cached()).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'sdk_notice', category: 'non_marketing', source: 'api' })]));
    const listed = await client.templates.list({ businessAccountId: mine.wabaId, name: 'sdk_notice' });
    expect(listed.data).toEqual([expect.objectContaining({ id: (created as { id: string }).id, name: 'sdk_notice' })]);

    await client.phoneNumbers.businessProfile.update({ phoneNumberId: mine.phoneNumberId, about: 'Through the SDK', websites: ['https://example.com'] });
    const profile = await client.phoneNumbers.businessProfile.get({ phoneNumberId: mine.phoneNumberId, fields: 'about,websites' });
    expect(profile.data[0]).toMatchObject({ about: 'Through the SDK', websites: ['https://example.com'] });

    expect(await client.templates.delete({ businessAccountId: mine.wabaId, name: 'sdk_notice' })).toMatchObject({ success: true });
    expect((await cached()).filter((c) => c.name === 'sdk_notice')).toEqual([]);
  });
});

describe('business profile and phone number through the gateway', () => {
  it('sets and reads the business profile', async () => {
    const set = await call('POST', `/v24.0/${mine.phoneNumberId}/whatsapp_business_profile`, { messaging_product: 'whatsapp', about: 'Fresh succulents', vertical: 'RETAIL' });
    expect(set).toMatchObject({ status: 200, body: { success: true } });
    const read = await call('GET', '/whatsapp_business_profile?fields=about,vertical');
    expect(read).toMatchObject({ status: 200, body: { data: [{ about: 'Fresh succulents', vertical: 'RETAIL', messaging_product: 'whatsapp' }] } });
  });

  it("reads the stack's phone number and WABA nodes", async () => {
    const phone = await call('GET', `/v24.0/${mine.phoneNumberId}?fields=quality_rating,throughput,whatsapp_business_manager_messaging_limit`);
    expect(phone).toMatchObject({
      status: 200,
      body: { quality_rating: 'GREEN', throughput: { level: 'STANDARD' }, whatsapp_business_manager_messaging_limit: 'TIER_2K', id: mine.phoneNumberId },
    });
    const waba = await call('GET', `/v24.0/${mine.wabaId}?fields=disable_marketing_messages_on_cloud_api`);
    expect(waba).toMatchObject({ status: 200, body: { id: mine.wabaId, disable_marketing_messages_on_cloud_api: false } });
  });

  it('answers 504 in Meta’s format when Meta does not answer in time, and counts the call per route', async () => {
    await sim.control.fault('phone_number', { hang: true, remaining: 1 });
    const started = Date.now();
    const late = await call('GET', `/v24.0/${mine.phoneNumberId}`);
    expect(late.status).toBe(504);
    expect(late.body.error).toMatchObject({ code: 2, type: 'OAuthException', fbtrace_id: expect.any(String) });
    expect(Date.now() - started).toBeLessThan(5_000);
    const metrics = await (await request(`${ingressOpsUrl(gateway.ingresses[0]!)}/metrics`)).body.text();
    expect(metrics).toMatch(/gateway_meta_request_duration_seconds_count\{[^}]*endpoint="graph_phone_number",outcome="timeout"[^}]*\} 1/);
    expect(metrics).toMatch(/gateway_http_request_duration_seconds_count\{[^}]*route="\/:version\/:id"/);
  });
});

describe('tenancy', () => {
  it('refuses every id of another stack with 403, even though Meta would allow it, and logs the attempt', async () => {
    await sim.control.template(theirs.wabaId, 'their_secret', 'MARKETING');
    const [secret] = await meta('GET', `/v24.0/${theirs.wabaId}/message_templates?name=their_secret`).then((a) => a.body.data as Array<{ id: string }>);
    // The other stack lists its templates through the gateway: the id is then known to be theirs.
    expect((await call('GET', '/message_templates', undefined, theirs)).status).toBe(200);
    const before = await sim.control.counters();

    const attempts: Array<[string, 'GET' | 'POST' | 'DELETE', string, unknown?]> = [
      ['waba', 'GET', `/v24.0/${theirs.wabaId}/message_templates`],
      ['waba', 'POST', `/v24.0/${theirs.wabaId}/message_templates`, { name: 'x', language: 'en_US', category: 'UTILITY', components }],
      ['waba', 'DELETE', `/v24.0/${theirs.wabaId}/message_templates?name=their_secret`],
      ['waba', 'GET', `/v24.0/${theirs.wabaId}`],
      ['phone', 'GET', `/v24.0/${theirs.phoneNumberId}`],
      ['phone', 'GET', `/v24.0/${theirs.phoneNumberId}/whatsapp_business_profile`],
      ['phone', 'POST', `/v24.0/${theirs.phoneNumberId}/whatsapp_business_profile`, { messaging_product: 'whatsapp', about: 'pwned' }],
      ['template', 'GET', `/v24.0/${secret!.id}`],
      ['template', 'POST', `/v24.0/${secret!.id}`, { category: 'UTILITY' }],
      ['template', 'DELETE', `/v24.0/${secret!.id}`],
      ['template', 'DELETE', `/v24.0/${mine.wabaId}/message_templates?name=their_secret&hsm_id=${secret!.id}`],
      ['unknown', 'GET', '/v24.0/999999999999'],
    ];
    for (const [, method, path, body] of attempts) {
      const answer = await call(method, path, body);
      expect({ path, method, status: answer.status }).toEqual({ path, method, status: 403 });
      expect(answer.body.error).toMatchObject({ code: 200, type: 'OAuthException', message: '(#200) Permissions error', fbtrace_id: expect.any(String) });
    }
    const after = await sim.control.counters();
    for (const endpoint of ['template_manage', 'template', 'business_profile', 'phone_number', 'waba']) expect(after[endpoint]).toBe(before[endpoint]);
    expect(await simTemplate(theirs.wabaId, 'their_secret')).toMatchObject([{ category: 'MARKETING', status: 'APPROVED' }]);

    // The ingress's log lines arrive over its stdout pipe, a moment after the answers; a chunk of it may hold several lines.
    const refusals = await waitFor('the refusals logged', async () => {
      const lines = gateway.ingresses[0]!.output.join('')
        .split('\n')
        .filter((line) => line.includes('graph call refused'));
      return lines.length >= attempts.length && lines;
    });
    expect(refusals.some((line) => line.includes(secret!.id) && line.includes(mine.id))).toBe(true);
    expect(refusals.join('\n')).not.toContain(mine.apiKey);
    expect(refusals.join('\n')).not.toContain(mine.accessToken);
  });

  it("learns template ids from the worker's warm-up, so the owner's own calls need no extra listing", async () => {
    await sim.control.template(theirs.wabaId, 'their_warm', 'UTILITY');
    const [warm] = (await simTemplate(theirs.wabaId, 'their_warm')) as Array<{ id: string }>;
    const accepted = await post(`${gateway.url}/templates/warmup`, {}, auth(theirs));
    expect(accepted.status).toBe(202);
    await waitFor('warm-up done', async () => (await get(`${gateway.url}/templates/warmup/${accepted.body.id}`, auth(theirs))).body.state === 'completed');
    const redis = new Redis(gateway.redisUrl);
    try {
      expect(JSON.parse((await redis.hget(`${gateway.prefix}:tpl-owners`, warm!.id))!)).toEqual({ w: theirs.wabaId, n: 'their_warm', l: 'en_US' });
    } finally {
      redis.disconnect();
    }
    const listings = (await sim.control.requests({ endpoint: 'message_templates' })).length;
    const read = await call('GET', `/v24.0/${warm!.id}?fields=name`, undefined, theirs);
    expect(read).toMatchObject({ status: 200, body: { name: 'their_warm', id: warm!.id } });
    expect((await sim.control.requests({ endpoint: 'message_templates' })).length).toBe(listings);
    // And still not the other stack's.
    expect((await call('GET', `/v24.0/${warm!.id}`)).status).toBe(403);
  });

  it("learns template ids from Meta's template webhooks, and forgets deleted ones", async () => {
    await sim.control.webhooks({ url: `${gateway.url}/webhooks/meta` });
    const redis = new Redis(gateway.redisUrl);
    const owner = async (id: string) => redis.hget(`${gateway.prefix}:tpl-owners`, id);
    try {
      // Created in Meta directly (WhatsApp Manager, say): the gateway hears of it only by the APPROVED webhook.
      const created = await readAnswer(
        await request(`${sim.url}/v24.0/${theirs.wabaId}/message_templates`, {
          method: 'POST',
          headers: { authorization: `Bearer ${theirs.accessToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'their_hooked', language: 'en_US', category: 'UTILITY', components }),
        }),
      );
      const id = created.body.id as string;
      const learned = await waitFor('the id learned from the webhook', async () => (await owner(id)) ?? undefined);
      expect(JSON.parse(learned)).toEqual({ w: theirs.wabaId, n: 'their_hooked', l: 'en-US' });
      expect((await call('GET', `/v24.0/${id}`)).status).toBe(403);

      expect((await call('DELETE', '/message_templates?name=their_hooked', undefined, theirs)).status).toBe(200);
      await waitFor('the deleted id forgotten', async () => (await owner(id)) === null);
    } finally {
      redis.disconnect();
      await sim.control.webhooks({ url: null });
    }
  });

  it('needs the API key, and refuses a body over 1 MB before Meta sees it', async () => {
    const answer = await post(`${gateway.url}/v24.0/${mine.wabaId}/message_templates`, { name: 'x' });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe(190);
    const before = (await sim.control.counters()).template_manage;
    const big = await call('POST', '/message_templates', { name: 'big', language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'x'.repeat(1_100_000) }] });
    expect(big.status).toBe(413);
    expect(big.body.error).toMatchObject({ code: 100, error_data: { details: expect.stringContaining('1mb') } });
    expect((await sim.control.counters()).template_manage).toBe(before);
  });
});

describe('Meta unreachable', () => {
  let offline: Gateway;
  beforeAll(async () => {
    offline = await startGateway({ stacks: [mine], metaUrl: 'http://127.0.0.1:9', env: { GRAPH_PASSTHROUGH_TIMEOUT_MS: '1000' } });
  });
  afterAll(async () => offline?.stop());

  it('answers 502 in Meta’s format', async () => {
    const answer = await call('GET', '/whatsapp_business_profile', undefined, mine, offline.url);
    expect(answer.status).toBe(502);
    expect(answer.body.error).toMatchObject({ code: 2, type: 'OAuthException', is_transient: true });
  });
});
