import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@gw/logger';
import { metaWebhookRoutes } from './meta-webhook-routes.ts';

const logger = createLogger({ name: 'test', level: 'silent' });

/** Our own store interface, faked: records what would be stored, or fails like Redis down. */
function fakeStore(fail = false) {
  const stored: Buffer[] = [];
  return {
    stored,
    async store(raw: Buffer) {
      if (fail) throw new Error('Connection is closed.');
      stored.push(raw);
      return 'in_x';
    },
  };
}

const servers: Array<{ close(): void }> = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

async function serve(appSecret: string | undefined, store = fakeStore()) {
  const app = express();
  app.use(metaWebhookRoutes({ appSecret, verifyToken: 'verify', store, logger }));
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/meta`, store };
}

const body = '{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[]}]}';
const signature = (secret: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const postSigned = (url: string, header?: string) =>
  fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...(header ? { 'x-hub-signature-256': header } : {}) } });

describe('metaWebhookRoutes', () => {
  it("answers 503 in Meta's format when META_APP_SECRET is unset, storing nothing", async () => {
    const { url, store } = await serve(undefined);
    const response = await postSigned(url, signature('anything'));
    expect(response.status).toBe(503);
    expect((await response.json()).error.error_data.details).toMatch(/META_APP_SECRET/);
    expect(store.stored).toHaveLength(0);
  });

  it('stores the exact bytes of a correctly signed webhook, whatever its content type', async () => {
    const { url, store } = await serve('secret');
    const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'text/plain', 'x-hub-signature-256': signature('secret') } });
    expect(response.status).toBe(200);
    expect(store.stored.map((b) => b.toString())).toEqual([body]);
  });

  it('answers 401 to a wrong signature and stores nothing', async () => {
    const { url, store } = await serve('secret');
    expect((await postSigned(url, signature('other'))).status).toBe(401);
    expect((await postSigned(url)).status).toBe(401);
    expect(store.stored).toHaveLength(0);
  });

  it('answers 503 when the webhook cannot be stored', async () => {
    const { url } = await serve('secret', fakeStore(true));
    const response = await postSigned(url, signature('secret'));
    expect(response.status).toBe(503);
    expect((await response.json()).error.is_transient).toBe(true);
  });

  it("refuses a body over Meta's 3 MB limit with 413", async () => {
    const { url } = await serve('secret');
    const response = await fetch(url, { method: 'POST', body: 'x'.repeat(3 * 1024 * 1024 + 10) });
    expect(response.status).toBe(413);
  });
});
