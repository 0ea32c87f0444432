import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { FormData, request } from 'undici';
import { WhatsAppClient } from '@kapso/whatsapp-cloud-api';
import { redisKeys } from '@gw/contracts';
import { get, ingressOpsUrl, makeStack, readAnswer, startGateway, startSimulator, type Gateway, type HttpAnswer, type Simulator, type TestStack } from '../support/harness.ts';
import { waitFor } from '../support/assertions.ts';
import { metricSum, scrape } from '../support/metrics.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import { webhookEnv, webhookSecrets } from '../support/webhooks.ts';

/**
 * Issue #12, media: a client holding only its stack's API key uploads, retrieves, downloads and
 * deletes media through the real ingress (and the worker for inbound media), against the simulator
 * over HTTP; a stack never reaches another stack's media.
 */
const secrets = webhookSecrets();
let receiver: WebhookReceiver;
let stack: TestStack;
let other: TestStack;
let sim: Simulator;
let gateway: Gateway;
let redis: Redis;
let client: WhatsAppClient;

const auth = (s: TestStack) => ({ authorization: `Bearer ${s.apiKey}` });

beforeAll(async () => {
  receiver = await WebhookReceiver.start('media-stack-secret');
  stack = makeStack({ webhookUrl: receiver.url, webhookSecret: receiver.secret });
  // Another stack of the same business: Meta would let its token read the first stack's media.
  other = makeStack();
  other.accessToken = stack.accessToken;
  sim = await startSimulator();
  for (const s of [stack, other]) await sim.control.account(s);
  await sim.control.template(stack.wabaId, 'media_promo', 'MARKETING');
  gateway = await startGateway({ stacks: [stack, other], metaUrl: sim.url, env: webhookEnv(secrets, { GRAPH_PASSTHROUGH_TIMEOUT_MS: '1500' }) });
  await sim.control.webhooks({ url: `${gateway.url}/webhooks/meta`, appSecret: secrets.appSecret });
  redis = new Redis(gateway.redisUrl);
  client = new WhatsAppClient({ accessToken: stack.apiKey, baseUrl: gateway.url, graphVersion: 'v23.0' });
});

afterAll(async () => {
  redis?.disconnect();
  await gateway?.stop();
  await sim?.stop();
  await receiver?.close();
});

async function mediaRequests() {
  return sim.control.requests({ endpoint: 'media' });
}

function uploadForm(type: string, file: Uint8Array<ArrayBuffer>, fileType = type): FormData {
  const form = new FormData();
  form.set('messaging_product', 'whatsapp');
  form.set('type', type);
  form.set('file', new Blob([file], { type: fileType }), 'upload.bin');
  return form;
}

async function upload(s: TestStack, form: FormData, path = `/v24.0/${s.phoneNumberId}/media`): Promise<HttpAnswer> {
  return readAnswer(await request(`${gateway.url}${path}`, { method: 'POST', headers: auth(s), body: form }));
}

function call(method: 'GET' | 'DELETE', path: string, s: TestStack): Promise<HttpAnswer> {
  return request(`${gateway.url}${path}`, { method, headers: auth(s) }).then(readAnswer);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('media through the gateway', () => {
  it('a Cloud API SDK uploads an image and sends an image-header template with the returned id', async () => {
    const image = new Uint8Array(randomBytes(200_000));
    const uploaded = await client.media.upload({ phoneNumberId: stack.phoneNumberId, type: 'image/jpeg', file: new Blob([image], { type: 'image/jpeg' }), fileName: 'promo.jpg' });
    expect(uploaded.id).toMatch(/^\d+$/);

    const sent = await client.messages.sendTemplate({
      phoneNumberId: stack.phoneNumberId,
      to: '+15550001234',
      template: { name: 'media_promo', language: { code: 'en_US' }, components: [{ type: 'header', parameters: [{ type: 'image', image: { id: uploaded.id } }] }] },
    });
    expect(sent.messages[0]?.id).toMatch(/^wamid\./);

    // Meta got the file whole, with the stack's token (else 190), and the send carried the id.
    const [stored] = (await mediaRequests()).filter((r) => r.body?.upload?.id === uploaded.id);
    expect(stored).toMatchObject({ status: 200, phoneNumberId: stack.phoneNumberId, body: { upload: { mime_type: 'image/jpeg', file_size: image.length } } });
    const sends = (await sim.control.requests({ phoneNumberId: stack.phoneNumberId })).filter((r) => r.body?.template?.name === 'media_promo');
    expect(sends.map((r) => [r.endpoint, r.status, r.body.template.components[0].parameters[0].image.id])).toEqual([['marketing_messages', 200, uploaded.id]]);

    // Retrieved through the gateway: Meta's answer with the url pointing at the gateway, which serves the bytes with the API key.
    const meta = await client.media.get({ mediaId: uploaded.id });
    expect(meta).toMatchObject({ id: uploaded.id, mimeType: 'image/jpeg', sha256: sha256(image) });
    expect(meta.url).toBe(`${gateway.url}/media/${uploaded.id}/download`);
    const bytes = (await client.media.download({ mediaId: uploaded.id, auth: 'always' })) as ArrayBuffer;
    expect(sha256(new Uint8Array(bytes))).toBe(sha256(image));
    const noKey = await get(meta.url);
    expect(noKey.status).toBe(401);
  });

  it('the short forms beside /messages upload for the stack, retrieve, download and delete', async () => {
    const pdf = new Uint8Array(randomBytes(5000));
    const up = await upload(stack, uploadForm('application/pdf', pdf), '/media');
    expect(up.status).toBe(200);
    const id = up.body.id as string;
    const meta = await call('GET', `/media/${id}`, stack);
    expect(meta.body).toEqual({
      messaging_product: 'whatsapp',
      url: `${gateway.url}/media/${id}/download`,
      mime_type: 'application/pdf',
      sha256: sha256(pdf),
      file_size: pdf.length,
      id,
    });
    const file = await request(`${gateway.url}/media/${id}/download`, { headers: auth(stack) });
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('application/pdf');
    expect(file.headers['content-length']).toBe(String(pdf.length));
    expect(sha256(new Uint8Array(await file.body.arrayBuffer()))).toBe(sha256(pdf));

    expect((await call('DELETE', `/v24.0/${id}`, stack)).body).toEqual({ success: true });
    // Gone at Meta and forgotten by the gateway.
    expect(await redis.exists(redisKeys(gateway.prefix).mediaOwner(id))).toBe(0);
    expect((await call('GET', `/media/${id}`, stack)).status).toBe(403);
  });

  it('an inbound media id from a webhook is retrieved and downloaded through the gateway', async () => {
    const res = await request(`${sim.url}/_sim/inbound/media`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phoneNumberId: stack.phoneNumberId, type: 'image', bytes: 150_000 }),
    });
    const inbound = (await res.body.json()) as { media_id: string; sha256: string; webhook_status: number };
    expect(inbound.webhook_status).toBe(200);
    // The client reads the id from its forwarded webhook...
    const delivered = await waitFor('the inbound webhook at the client', async () => receiver.requests.find((r) => r.raw.includes(inbound.media_id)));
    expect(delivered.body.entry[0].changes[0].value.messages[0].image.id).toBe(inbound.media_id);
    // ...and fetches the media with its API key.
    const meta = await client.media.get({ mediaId: inbound.media_id });
    expect(meta).toMatchObject({ id: inbound.media_id, sha256: inbound.sha256, mimeType: 'image/jpeg' });
    const bytes = (await client.media.download({ mediaId: inbound.media_id, auth: 'always' })) as ArrayBuffer;
    expect(bytes.byteLength).toBe(150_000);
    expect(sha256(new Uint8Array(bytes))).toBe(inbound.sha256);
    // The other stack (same WABA token at Meta) may not.
    expect((await call('GET', `/v24.0/${inbound.media_id}`, other)).status).toBe(403);
    // Remembered for Meta's 30 days of media retention, for this stack.
    const key = redisKeys(gateway.prefix).mediaOwner(inbound.media_id);
    expect(await redis.get(key)).toBe(stack.id);
    expect(await redis.ttl(key)).toBeGreaterThan(29 * 24 * 3600);
  });

  it("refuses another stack's media id (retrieve, download, delete) and phone number with 403, and logs the attempt without secrets", async () => {
    const up = await upload(stack, uploadForm('image/png', new Uint8Array(1000)));
    const id = up.body.id as string;
    const before = (await mediaRequests()).length;
    for (const [method, path] of [
      ['GET', `/v24.0/${id}`],
      ['GET', `/media/${id}`],
      ['GET', `/media/${id}/download`],
      ['DELETE', `/v24.0/${id}`],
      ['DELETE', `/media/${id}`],
    ] as const) {
      const answer = await call(method, path, other);
      expect([method, path, answer.status, answer.body?.error?.code]).toEqual([method, path, 403, 200]);
      expect(answer.body.error.error_data.details).toContain(id);
    }
    // A media id nobody uploaded through the gateway: the short form refuses it, the Graph form leaves it to the graph router, which does too.
    for (const [method, path] of [
      ['GET', '/media/1234567890123456'],
      ['GET', '/v24.0/1234567890123456'],
      ['DELETE', '/v24.0/1234567890123456'],
    ] as const) {
      expect([method, path, (await call(method, path, stack)).status]).toEqual([method, path, 403]);
    }
    const wrongNumber = await upload(other, uploadForm('image/png', new Uint8Array(10)), `/v24.0/${stack.phoneNumberId}/media`);
    expect([wrongNumber.status, wrongNumber.body.error.code]).toEqual([403, 200]);
    // Nothing reached Meta, and the media is still there for its owner.
    expect((await mediaRequests()).length).toBe(before);
    expect((await call('GET', `/media/${id}`, stack)).status).toBe(200);
    // The log line reaches the process's output asynchronously.
    const logs = await waitFor('the refusal log line', async () => {
      const text = gateway.ingresses[0]!.output.join('');
      return text.includes("media id refused: not this stack's") && text.includes(id) ? text : undefined;
    });
    for (const secret of [stack.apiKey, other.apiKey, stack.accessToken]) expect(logs).not.toContain(secret);
  });

  it('answers 413 for a file over its type limit and 400 for an unsupported type, before anything reaches Meta', async () => {
    const before = (await mediaRequests()).length;
    const tooBig = await upload(stack, uploadForm('image/jpeg', new Uint8Array(6 * 1024 * 1024)));
    expect([tooBig.status, tooBig.body.error.code, tooBig.body.error.error_data.details]).toEqual([413, 100, 'The file is larger than the 5 MB limit of image/jpeg.']);
    const sticker = await upload(stack, uploadForm('image/webp', new Uint8Array(600 * 1024)));
    expect(sticker.status).toBe(413);
    const gif = await upload(stack, uploadForm('image/gif', new Uint8Array(100)));
    expect([gif.status, gif.body.error.code]).toEqual([400, 100]);
    // Refused on its Content-Length alone, before a byte of the body: a raw socket sends only the head and reads the answer.
    const head = await new Promise<string>((resolve, reject) => {
      const { port } = new URL(gateway.url);
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          `POST /media HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${stack.apiKey}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: ${101 * 1024 * 1024}\r\n\r\n`,
        );
      });
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('}}')) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
      socket.setTimeout(5000, () => {
        socket.destroy();
        reject(new Error(`no answer to the head alone: ${text}`));
      });
    });
    expect(head).toMatch(/^HTTP\/1\.1 413 /);
    expect(head).toContain('the largest file Meta accepts');
    expect((await mediaRequests()).length).toBe(before);
  });

  it('aborts the upstream upload when a file without Content-Length overruns its limit mid-stream: Meta never stores it', async () => {
    const boundary = 'gwtestboundary';
    async function* body() {
      yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="messaging_product"\r\n\r\nwhatsapp\r\n`);
      yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\nvideo/mp4\r\n`);
      yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="v.mp4"\r\nContent-Type: video/mp4\r\n\r\n`);
      const chunk = Buffer.alloc(256 * 1024, 7);
      for (let sent = 0; sent < 17 * 1024 * 1024; sent += chunk.length) yield chunk;
      yield Buffer.from(`\r\n--${boundary}--\r\n`);
    }
    const before = await mediaRequests();
    const answer = await readAnswer(
      await request(`${gateway.url}/v24.0/${stack.phoneNumberId}/media`, {
        method: 'POST',
        headers: { ...auth(stack), 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: Readable.from(body()),
      }),
    );
    expect([answer.status, answer.body.error.error_data.details]).toEqual([413, 'The file is larger than the 16 MB limit of video/mp4.']);
    // The simulator saw the request start and never answered it (aborted): no media id was ever issued.
    const started = await waitFor('the aborted upload in the request log', async () => (await mediaRequests()).slice(before.length).find(() => true));
    expect(started.status).toBeNull();
  });

  it('aborts the upload to Meta when the client goes away mid-file, and keeps serving', async () => {
    const boundary = 'gwabortboundary';
    const controller = new AbortController();
    async function* body() {
      yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\nimage/jpeg\r\n`);
      yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
      yield Buffer.alloc(512 * 1024, 1);
      // The client stops here: it never finishes the file.
      await new Promise((r) => setTimeout(r, 300));
      controller.abort();
      await new Promise((r) => setTimeout(r, 5_000));
    }
    const before = (await mediaRequests()).length;
    const failed = await request(`${gateway.url}/media`, {
      method: 'POST',
      headers: { ...auth(stack), 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: Readable.from(body()),
      signal: controller.signal,
    }).catch((error: Error) => error);
    expect(failed).toBeInstanceOf(Error);
    const aborted = await waitFor('the aborted upload at Meta', async () => (await mediaRequests()).slice(before).find(() => true));
    // Meta saw the upload begin and never complete: no id was issued.
    await new Promise((r) => setTimeout(r, 300));
    expect((await mediaRequests()).slice(before).map((r) => r.status)).toEqual([null]);
    expect(aborted.phoneNumberId).toBe(stack.phoneNumberId);
    expect((await upload(stack, uploadForm('image/png', new Uint8Array(10)), '/media')).status).toBe(200);
  });

  it("passes Meta's errors through unchanged and answers 504 when Meta is too slow", async () => {
    const id = (await upload(stack, uploadForm('image/png', new Uint8Array(10)))).body.id as string;
    await sim.control.fault('media', { errorRate: 1, error: { status: 500, code: 1 }, remaining: 1 });
    const failed = await call('GET', `/media/${id}`, stack);
    expect([failed.status, failed.body.error.code, failed.body.error.message]).toEqual([500, 1, '(#1) An unknown error occurred']);
    await sim.control.fault('media', { hang: true, remaining: 1 });
    const started = Date.now();
    const slow = await call('GET', `/v24.0/${id}`, stack);
    expect([slow.status, slow.body.error.code, slow.body.error.is_transient]).toEqual([504, 2, true]);
    expect(Date.now() - started).toBeLessThan(5000);
    await sim.control.clearFaults();
    expect((await call('GET', `/v24.0/${id}`, stack)).status).toBe(200);
  });

  it('labels the media routes in the ingress metrics', async () => {
    const text = await scrape(ingressOpsUrl(gateway.ingresses[0]!));
    for (const route of ['/:version/:phoneNumberId/media', '/media/:mediaId', '/media/:mediaId/download', '/:version/:id']) {
      expect(metricSum(text, 'gateway_http_request_duration_seconds_count', { route }), route).toBeGreaterThan(0);
    }
  });
});
