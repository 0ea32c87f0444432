import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, makeStack, sendVia, startGateway, startSimulator, templateMessage, textMessage, type Gateway, type HttpAnswer, type Simulator } from '../support/harness.ts';
import { waitFor } from '../support/assertions.ts';
import { envelope, postToMetaWebhook, statusChange, webhookEnv, webhookSecrets } from '../support/webhooks.ts';

/**
 * Per-message audit and route analytics (issue #14) through the real processes: sends routed
 * by checked routing, the simulator's status webhooks (out of order), repeats posted again.
 */
const secrets = webhookSecrets();
const stack = makeStack();
const other = makeStack();
let sim: Simulator;
let gateway: Gateway;
const startedAt = Date.now();

const auth = (s = stack) => ({ authorization: `Bearer ${s.apiKey}` });
const audit = (wamid: string, s = stack) => get(`${gateway.url}/messages/${encodeURIComponent(wamid)}`, auth(s));
const analytics = (query: Record<string, string>, headers: Record<string, string> = {}) =>
  get(`${gateway.url}/analytics/routes?${new URLSearchParams({ from: new Date(startedAt - 3_600_000).toISOString(), ...query })}`, { ...auth(), ...headers });
const statusesOf = (answer: HttpAnswer) => (answer.body?.statuses ?? []).map((s: { status: string }) => s.status);
const rowOf = async (template: string, route: string) => {
  const answer = await analytics({ template, granularity: 'day' });
  expect(answer.status).toBe(200);
  return (answer.body.data as Array<Record<string, unknown>>).find((r) => r.route === route);
};

beforeAll(async () => {
  sim = await startSimulator();
  for (const s of [stack, other]) await sim.control.account(s);
  await sim.control.templates([
    { wabaId: stack.wabaId, name: 'aud_promo', language: 'en_US', category: 'MARKETING' },
    { wabaId: stack.wabaId, name: 'aud_util', language: 'en_US', category: 'UTILITY' },
    { wabaId: stack.wabaId, name: 'aud_fail', language: 'en_US', category: 'MARKETING' },
  ]);
  gateway = await startGateway({ stacks: [stack, other], metaUrl: sim.url, env: webhookEnv(secrets) });
  // Meta does not guarantee order: here read arrives first, then delivered, then sent.
  await sim.control.webhooks({
    url: `${gateway.url}/webhooks/meta`,
    appSecret: secrets.appSecret,
    inOrder: false,
    statuses: { read: { delayMs: 20 }, delivered: { delayMs: 250 }, sent: { delayMs: 500 } },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
});

describe('per-message audit and route analytics', () => {
  let mmWamid: string;
  let cloudWamid: string;

  it('audits a checked MM send and its checked fallback to the Cloud API, with every call to Meta and the statuses as they came', async () => {
    const mm = await sendVia(gateway, stack, templateMessage('aud_promo'), '/messages', { 'idempotency-key': 'order-17' });
    expect([mm.headers['x-gateway-route'], mm.headers['x-gateway-route-reason']]).toEqual(['marketing_messages', 'checked_accepted']);
    const cloud = await sendVia(gateway, stack, templateMessage('aud_util'));
    expect([cloud.headers['x-gateway-route'], cloud.headers['x-gateway-route-reason']]).toEqual(['cloud_api', 'checked_fallback']);
    mmWamid = mm.body.messages[0].id;
    cloudWamid = cloud.body.messages[0].id;

    for (const wamid of [mmWamid, cloudWamid]) await waitFor(`three statuses of ${wamid}`, async () => statusesOf(await audit(wamid)).length === 3);
    const mmEntry = await audit(mmWamid);
    expect(mmEntry.status).toBe(200);
    expect(mmEntry.body).toMatchObject({
      wamid: mmWamid,
      stackId: stack.id,
      route: 'marketing_messages',
      reason: 'checked_accepted',
      idempotencyKey: 'order-17',
      template: 'aud_promo:en_US',
      calls: [{ endpoint: 'marketing_messages', status: 200, durationMs: expect.any(Number) }],
      clicks: [],
    });
    expect(mmEntry.body.mmErrorCode).toBeUndefined();
    expect(Date.parse(mmEntry.body.sentAt)).toBeGreaterThanOrEqual(startedAt);
    expect(statusesOf(mmEntry)).toEqual(['read', 'delivered', 'sent']);
    // Pricing as the client received it (marketing_lite for an MM send).
    const delivered = mmEntry.body.statuses.find((s: { status: string }) => s.status === 'delivered');
    expect(delivered).toMatchObject({ timestamp: expect.any(String), receivedAt: expect.any(String), pricing: { category: 'marketing_lite' } });

    const cloudEntry = await audit(cloudWamid);
    expect(cloudEntry.body).toMatchObject({ route: 'cloud_api', reason: 'checked_fallback', mmErrorCode: 134100, template: 'aud_util:en_US' });
    expect(cloudEntry.body.idempotencyKey).toBeUndefined();
    expect(cloudEntry.body.calls.map((c: { endpoint: string; status: number; errorCode?: number }) => [c.endpoint, c.status, c.errorCode])).toEqual([
      ['marketing_messages', 400, 134100],
      ['messages', 200, undefined],
    ]);
    expect(statusesOf(cloudEntry)).toEqual(['read', 'delivered', 'sent']);
  });

  it('counts MM and Cloud apart, the fallback by its reason, each status once when Meta repeats them', async () => {
    // Meta re-delivers: the same statuses again, in another order, and a delivered after read.
    const again = envelope(stack.wabaId, [
      statusChange(stack, [
        { id: mmWamid, status: 'delivered', timestamp: '1780000001', recipient_id: '15550001234' },
        { id: mmWamid, status: 'read', timestamp: '1780000002', recipient_id: '15550001234' },
        { id: cloudWamid, status: 'read', timestamp: '1780000002', recipient_id: '15550001234' },
        { id: cloudWamid, status: 'delivered', timestamp: '1780000001', recipient_id: '15550001234' },
      ]),
    ]);
    for (let i = 0; i < 2; i += 1) expect((await postToMetaWebhook(gateway, again, secrets.appSecret)).status).toBe(200);

    // Send counters are written about every second; the statuses as the webhooks are processed.
    const mm = await waitFor('the MM row', async () => {
      const row = await rowOf('aud_promo', 'marketing_messages');
      return row?.sends === 1 && row;
    });
    // Let the repeats be processed before reading the counts again.
    await waitFor('the repeats processed', async () => (await sim.control.webhookLog()).every((d) => d.status === 'delivered'));
    await new Promise((r) => setTimeout(r, 1500));
    expect(await rowOf('aud_promo', 'marketing_messages')).toMatchObject({ ...mm, sends: 1, delivered: 1, read: 1, failed: 0, deliveredRate: 1, readRate: 1, fallbacks: {} });
    expect(await rowOf('aud_promo', 'cloud_api')).toBeUndefined();
    expect(await rowOf('aud_util', 'cloud_api')).toMatchObject({ sends: 1, delivered: 1, read: 1, fallbacks: { checked_fallback: 1 }, deliveredRate: 1 });
    expect(await rowOf('aud_util', 'marketing_messages')).toBeUndefined();
    // The timeline still holds each status once.
    expect(statusesOf(await audit(mmWamid))).toEqual(['read', 'delivered', 'sent']);
  });

  it('keeps a failed status with its errors and counts it', async () => {
    await sim.control.webhooks({ failProbability: 1 });
    const answer = await sendVia(gateway, stack, templateMessage('aud_fail'));
    expect(answer.headers['x-gateway-route']).toBe('marketing_messages');
    const id = answer.body.messages[0].id as string;
    const entry = await waitFor('the failed status', async () => {
      const found = await audit(id);
      return statusesOf(found).includes('failed') && found;
    });
    const failed = entry.body.statuses.find((s: { status: string }) => s.status === 'failed');
    expect(failed.errors[0]).toMatchObject({ code: 131049 });
    // The failure is counted as its webhook is processed, the send within the second the worker writes its counters.
    await waitFor('the send and its failure counted', async () => {
      const row = await rowOf('aud_fail', 'marketing_messages');
      return row?.failed === 1 && row.sends === 1;
    });
    expect(await rowOf('aud_fail', 'marketing_messages')).toMatchObject({ sends: 1, failed: 1, failedRate: 1, delivered: 0 });
    await sim.control.webhooks({ failProbability: 0 });
  });

  it("answers 404 in Meta's format for another stack's wamid and an unknown one", async () => {
    for (const answer of [await audit(mmWamid, other), await audit('wamid.NOT_OURS', stack)]) {
      expect(answer.status).toBe(404);
      expect(answer.body.error).toMatchObject({ type: expect.any(String), code: 100, message: expect.any(String) });
      expect(answer.text).not.toContain(stack.id);
    }
    // Another stack's analytics hold none of this stack's sends.
    const theirs = await get(`${gateway.url}/analytics/routes?granularity=day&from=${startedAt - 3_600_000}`, auth(other));
    expect(theirs.status).toBe(200);
    expect(theirs.body.data).toEqual([]);
    // Without a key: 401, as every stack route.
    expect((await get(`${gateway.url}/messages/${mmWamid}`)).status).toBe(401);
  });

  it('answers CSV with Accept: text/csv, the same figures as JSON', async () => {
    const csv = await analytics({ granularity: 'day', template: 'aud_util' }, { accept: 'text/csv' });
    expect(csv.status).toBe(200);
    expect(String(csv.headers['content-type'])).toContain('text/csv');
    const [header, line, end] = csv.text.split('\r\n');
    expect(end).toBe('');
    const row = Object.fromEntries(line!.split(',').map((v, i) => [header!.split(',')[i], v]));
    expect(row).toMatchObject({ route: 'cloud_api', template: 'aud_util:en_US', sends: '1', fallback_checked_fallback: '1', delivered: '1', read: '1', delivered_rate: '1' });
  });

  it("refuses bad parameters with 400 in Meta's format", async () => {
    const bad: Array<Record<string, string>> = [
      { granularity: 'week' },
      { from: 'yesterday' },
      { from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' },
      { from: '2025-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' },
    ];
    for (const query of bad) {
      const answer = await analytics(query);
      expect(answer.status, JSON.stringify(query)).toBe(400);
      expect(answer.body.error).toMatchObject({ code: 100, type: 'OAuthException', message: expect.any(String) });
    }
  });

  it('counts non-template sends on (none) and does not break POST /messages', async () => {
    const answer = await sendVia(gateway, stack, textMessage('audit me'));
    expect(answer.status).toBe(200);
    const id = answer.body.messages[0].id as string;
    expect((await audit(id)).body).toMatchObject({ route: 'cloud_api', reason: 'not_template', calls: [{ endpoint: 'messages', status: 200 }] });
    expect((await audit(id)).body.template).toBeUndefined();
    await waitFor('the (none) row', async () => (await rowOf('(none)', 'cloud_api'))?.sends === 1);
  });
});
