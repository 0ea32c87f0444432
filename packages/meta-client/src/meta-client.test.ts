import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetaClient } from './meta-client.ts';

let server: Server;
let baseUrl: string;
const seen: Array<{ url?: string; auth?: string; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ url: req.url, auth: req.headers.authorization, body });
      if (req.url?.includes('hang')) return; // never answer
      if (req.url?.includes('chunked')) {
        // A body in pieces, one of them splitting a multi-byte character.
        const bytes = Buffer.from(JSON.stringify({ messages: [{ id: 'wamid.ü€' }], filler: 'x'.repeat(70_000) }));
        const cut = bytes.indexOf(Buffer.from('€')) + 1;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(bytes.subarray(0, cut));
        setTimeout(() => res.end(bytes.subarray(cut)), 20);
        return;
      }
      if (req.url?.includes('html')) {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html>Bad gateway</html>');
        return;
      }
      if (req.url?.includes('cut')) {
        // Headers, part of the body, then the connection drops.
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"messages":');
        setTimeout(() => res.destroy(), 20);
        return;
      }
      if (req.url?.includes('fail')) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 134100, message: '(#134100) x' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ messages: [{ id: 'wamid.1' }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('createMetaClient', () => {
  it('posts JSON with the bearer token under the version segment', async () => {
    const client = createMetaClient({ baseUrl, version: 'v24.0', timeoutMs: 1000 });
    const result = await client.send('marketing_messages', '123', 'tok', { a: 1 });
    expect(result).toMatchObject({ kind: 'response', status: 200, body: { messages: [{ id: 'wamid.1' }] } });
    expect(seen.at(-1)).toMatchObject({ url: '/v24.0/123/marketing_messages', auth: 'Bearer tok', body: '{"a":1}' });
    await client.close();
  });

  it('reads the Meta error code of a failure', async () => {
    const client = createMetaClient({ baseUrl, version: 'v24.0', timeoutMs: 1000 });
    const result = await client.send('messages', 'fail', 'tok', {});
    expect(result).toMatchObject({ kind: 'response', status: 400, errorCode: 134100 });
    await client.close();
  });

  it('reads a body that arrives in pieces, a multi-byte character split between them', async () => {
    const client = createMetaClient({ baseUrl, version: 'v24.0', timeoutMs: 1000 });
    const result = await client.send('messages', 'chunked', 'tok', {});
    expect(result).toMatchObject({ kind: 'response', status: 200, body: { messages: [{ id: 'wamid.ü€' }] } });
    await client.close();
  });

  it('keeps a body that is not JSON as its text', async () => {
    const client = createMetaClient({ baseUrl, version: 'v24.0', timeoutMs: 1000 });
    const result = await client.send('messages', 'html', 'tok', {});
    expect(result).toMatchObject({ kind: 'response', status: 502, body: '<html>Bad gateway</html>' });
    expect(result.kind === 'response' && result.errorCode).toBeUndefined();
    await client.close();
  });

  it("keeps a base URL's path and a GET's query", async () => {
    const client = createMetaClient({ baseUrl: `${baseUrl}/graph/`, version: 'v24.0', timeoutMs: 1000 });
    const result = await client.listTemplates('waba 1', 'tok', { after: 'c1', limit: 5 });
    expect(result).toMatchObject({ kind: 'response', status: 200 });
    expect(seen.at(-1)).toMatchObject({ url: '/graph/v24.0/waba%201/message_templates?fields=name%2Clanguage%2Ccategory%2Cstatus&limit=5&after=c1', body: '' });
    await client.close();
  });

  it('reports a connection cut in the middle of the answer as a timeout (the send may have been made)', async () => {
    const client = createMetaClient({ baseUrl, version: 'v24.0', timeoutMs: 1000 });
    const result = await client.send('messages', 'cut', 'tok', {});
    expect(result.kind).toBe('timeout');
    await client.close();
  });

  it('reports a response timeout after sending as a timeout, not as not-sent', async () => {
    const client = createMetaClient({ baseUrl, version: 'v24.0', timeoutMs: 200 });
    const result = await client.send('messages', 'hang', 'tok', {});
    expect(result.kind).toBe('timeout');
    await client.close();
  });

  it('reports a refused connection as not sent', async () => {
    const client = createMetaClient({ baseUrl: 'http://127.0.0.1:1', version: 'v24.0', timeoutMs: 200 });
    const result = await client.send('messages', '1', 'tok', {});
    expect(result).toMatchObject({ kind: 'not_sent', error: 'ECONNREFUSED' });
    await client.close();
  });
});
