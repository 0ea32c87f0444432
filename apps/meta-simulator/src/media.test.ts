import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormData, request } from 'undici';
import { PHONE, type Running, startSimulator, TOKEN, WABA } from './test-support.ts';

/** A multipart upload as a Cloud API client sends it (undici's FormData, real HTTP). */
function upload(url: string, fields: { type?: string; messaging_product?: string; file?: Buffer; fileType?: string }, token = TOKEN, phone = PHONE) {
  const form = new FormData();
  if (fields.messaging_product !== undefined) form.set('messaging_product', fields.messaging_product);
  if (fields.type !== undefined) form.set('type', fields.type);
  if (fields.file) form.set('file', new Blob([new Uint8Array(fields.file)], { type: fields.fileType ?? fields.type ?? 'application/octet-stream' }), 'f.bin');
  return request(`${url}/v24.0/${phone}/media`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
}

describe('media (POST /{phone_number_id}/media, GET and DELETE /{media_id}, the download URL)', () => {
  let sim: Running;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.close());

  it('stores an upload, answers its metadata with an expiring URL that needs the token, and deletes it', async () => {
    const file = Buffer.from('\xff\xd8\xff fake jpeg bytes');
    const up = await upload(sim.url, { messaging_product: 'whatsapp', type: 'image/jpeg', file });
    const { id } = (await up.body.json()) as { id: string };
    expect(up.statusCode).toBe(200);
    expect(id).toMatch(/^\d{16}$/);

    const meta = await request(`${sim.url}/v24.0/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = (await meta.body.json()) as Record<string, unknown>;
    expect(body).toEqual({
      messaging_product: 'whatsapp',
      url: expect.stringMatching(/\/whatsapp_business\/attachments\/\?mid=\d+&ext=\d+&hash=/),
      mime_type: 'image/jpeg',
      sha256: createHash('sha256').update(file).digest('hex'),
      file_size: file.length,
      id,
    });
    const noToken = await request(body['url'] as string);
    expect(noToken.statusCode).toBe(401);
    await noToken.body.dump();
    const download = await request(body['url'] as string, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('image/jpeg');
    expect(Buffer.from(await download.body.arrayBuffer())).toEqual(file);

    const del = await request(`${sim.url}/v24.0/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await del.body.json()).toEqual({ success: true });
    const gone = await request(`${sim.url}/v24.0/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(gone.statusCode).toBe(400);
    expect(((await gone.body.json()) as { error: { code: number } }).error.code).toBe(100);
  });

  it("refuses another WABA's token, an unsupported type and a file over its type's limit (the type field after the file too)", async () => {
    const up = await upload(sim.url, { messaging_product: 'whatsapp', type: 'image/png', file: Buffer.alloc(10) });
    const { id } = (await up.body.json()) as { id: string };
    const other = await request(`${sim.url}/v24.0/${id}`, { headers: { authorization: 'Bearer not-onboarded-token' } });
    expect(other.statusCode).toBe(401);
    await other.body.dump();

    const gif = await upload(sim.url, { messaging_product: 'whatsapp', type: 'image/gif', file: Buffer.alloc(10) });
    expect(gif.statusCode).toBe(400);
    expect(((await gif.body.json()) as { error: { code: number; message: string } }).error).toMatchObject({ code: 100 });

    const big = await upload(sim.url, { messaging_product: 'whatsapp', type: 'image/jpeg', file: Buffer.alloc(5 * 1024 * 1024 + 1) });
    expect(big.statusCode).toBe(413);
    expect(((await big.body.json()) as { error: { code: number } }).error.code).toBe(100);

    // File first, type last (curl -F file=@x -F type=...): checked once the type is known.
    const form = new FormData();
    form.set('file', new Blob([new Uint8Array(600 * 1024)], { type: 'image/webp' }), 's.webp');
    form.set('type', 'image/webp');
    form.set('messaging_product', 'whatsapp');
    const late = await request(`${sim.url}/v24.0/${PHONE}/media`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: form });
    expect(late.statusCode).toBe(413);
    await late.body.dump();
    const noProduct = await upload(sim.url, { type: 'image/jpeg', file: Buffer.alloc(10) });
    expect(noProduct.statusCode).toBe(400);
    await noProduct.body.dump();
  });

  it('emits an inbound image webhook whose media id is downloadable with the token', async () => {
    const res = await request(`${sim.url}/_sim/inbound/media`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phoneNumberId: PHONE, type: 'image', bytes: 300_000, caption: 'look' }),
    });
    const inbound = (await res.body.json()) as { media_id: string; sha256: string; payload: any };
    expect(inbound.payload.entry[0].id).toBe(WABA);
    expect(inbound.payload.entry[0].changes[0].value.messages[0]).toMatchObject({ type: 'image', image: { id: inbound.media_id, mime_type: 'image/jpeg', caption: 'look' } });
    const meta = (await (await request(`${sim.url}/${inbound.media_id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).body.json()) as { url: string; file_size: number };
    expect(meta.file_size).toBe(300_000);
    const bytes = Buffer.from(await (await request(meta.url, { headers: { authorization: `Bearer ${TOKEN}` } })).body.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(inbound.sha256);
  });
});
