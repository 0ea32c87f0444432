import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormData, request } from 'undici';
import { get, makeStack, readAnswer, startGateway, startSimulator, templateMessage, post, type Gateway, type HttpAnswer, type Simulator } from '../support/harness.ts';
import { waitFor } from '../support/assertions.ts';
import { webhookEnv, webhookSecrets } from '../support/webhooks.ts';

/**
 * Tenancy by the stack's identity, not its id, through the real processes: a stack deleted and
 * created again under the same id (admin API) gets a new permanent uid, and with it none of the old
 * stack's audit entries, route analytics or media ids.
 */
const secrets = webhookSecrets();
const anchor = makeStack();
const x = makeStack();
let sim: Simulator;
let gateway: Gateway;
const startedAt = Date.now();

const bearer = (apiKey: string) => ({ authorization: `Bearer ${apiKey}` });
const admin = async (method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<HttpAnswer> =>
  readAnswer(
    await request(`${gateway.url}/admin/stacks${path}`, {
      method,
      headers: { ...bearer(secrets.adminToken), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
const createX = async (): Promise<string> => {
  const created = await admin('POST', '', { id: x.id, phoneNumberId: x.phoneNumberId, wabaId: x.wabaId, accessToken: x.accessToken });
  expect(created.status).toBe(201);
  return created.body.apiKey as string;
};
const audit = (apiKey: string, wamid: string) => get(`${gateway.url}/messages/${encodeURIComponent(wamid)}`, bearer(apiKey));
const analytics = (apiKey: string) =>
  get(`${gateway.url}/analytics/routes?${new URLSearchParams({ from: new Date(startedAt - 3_600_000).toISOString(), granularity: 'day' })}`, bearer(apiKey));
const sends = (answer: HttpAnswer) => (answer.body?.data ?? []).reduce((sum: number, row: { sends: number }) => sum + row.sends, 0);
const retrieveMedia = (apiKey: string, id: string) => get(`${gateway.url}/v24.0/${id}`, bearer(apiKey));

beforeAll(async () => {
  sim = await startSimulator();
  for (const s of [anchor, x]) await sim.control.account(s);
  await sim.control.template(x.wabaId, 'ten_promo', 'MARKETING');
  gateway = await startGateway({ stacks: [anchor], metaUrl: sim.url, env: webhookEnv(secrets, { STACKS_ENCRYPTION_KEY: randomBytes(32).toString('base64') }) });
  await sim.control.webhooks({ url: `${gateway.url}/webhooks/meta`, appSecret: secrets.appSecret, statuses: { sent: { delayMs: 10 }, delivered: { delayMs: 20 } } });
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
});

describe('a stack re-created under a deleted stack id', () => {
  let firstKey: string;
  let oldWamid: string;
  let oldMediaId: string;

  it('the first stack sees its own send, its statuses, its analytics and its media', async () => {
    firstKey = await createX();
    const sent = await waitFor('the new stack to send', async () => {
      const answer = await post(`${gateway.url}/messages`, templateMessage('ten_promo'), bearer(firstKey));
      return answer.status === 200 ? answer : undefined;
    });
    oldWamid = sent.body.messages[0].id;
    await waitFor('its statuses in the audit', async () => ((await audit(firstKey, oldWamid)).body?.statuses ?? []).length >= 2, 15_000);
    expect((await audit(firstKey, oldWamid)).body).toMatchObject({ wamid: oldWamid, stackId: x.id, route: 'marketing_messages' });
    await waitFor('its send in the analytics', async () => sends(await analytics(firstKey)) === 1);
    expect((await analytics(firstKey)).body.data[0]).toMatchObject({ route: 'marketing_messages', template: 'ten_promo:en_US', sends: 1, delivered: 1 });

    const form = new FormData();
    form.set('messaging_product', 'whatsapp');
    form.set('type', 'image/png');
    form.set('file', new Blob([new Uint8Array(randomBytes(2000))], { type: 'image/png' }), 'a.png');
    const uploaded = await readAnswer(await request(`${gateway.url}/v24.0/${x.phoneNumberId}/media`, { method: 'POST', headers: bearer(firstKey), body: form }));
    expect(uploaded.status).toBe(200);
    oldMediaId = uploaded.body.id as string;
    expect((await retrieveMedia(firstKey, oldMediaId)).status).toBe(200);
  });

  it('deleted and created again with the same id: 404 for the old wamid, empty analytics, 403 for the old media id', async () => {
    expect((await admin('DELETE', `/${x.id}`)).status).toBe(200);
    const secondKey = await createX();
    await waitFor('the re-created stack on the ingress', async () => (await analytics(secondKey)).status === 200);

    const old = await audit(secondKey, oldWamid);
    expect(old.status).toBe(404);
    expect(old.body.error).toMatchObject({ code: 100, type: 'OAuthException' });
    const empty = await analytics(secondKey);
    expect(empty.status).toBe(200);
    expect(empty.body.data).toEqual([]);
    const media = await retrieveMedia(secondKey, oldMediaId);
    expect(media.status).toBe(403);
    expect(media.body.error).toMatchObject({ code: expect.any(Number) });

    // Its own send is its own: the checks above refuse the old stack's data, not everything.
    const mine = await post(`${gateway.url}/messages`, templateMessage('ten_promo'), bearer(secondKey));
    expect(mine.status).toBe(200);
    const wamid = mine.body.messages[0].id as string;
    await waitFor('its own entry', async () => (await audit(secondKey, wamid)).status === 200, 15_000);
    await waitFor('its own send in the analytics', async () => sends(await analytics(secondKey)) === 1);
    // The old message is still not its own after its later statuses and sends.
    expect((await audit(secondKey, oldWamid)).status).toBe(404);
  });
});
