import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeStack, sendVia, startGateway, textMessage, type Gateway } from '../support/harness.ts';

/**
 * Between the gateway and Meta there can be a proxy that answers with an HTML
 * error page. The client must get that answer as it came (status and text), not a
 * gateway crash or an invented JSON body. The upstream here is a real HTTP server.
 */
const stack = makeStack();
const page = '<html><body><h1>502 Bad Gateway</h1></body></html>';
let upstream: Server;
let gateway: Gateway;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (body.includes('no-content')) res.writeHead(204).end();
      else res.writeHead(502, { 'content-type': 'text/html' }).end(page);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as AddressInfo;
  gateway = await startGateway({ stacks: [stack], metaUrl: `http://127.0.0.1:${port}` });
});

afterAll(async () => {
  await gateway?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

describe('an answer from upstream that is not JSON', () => {
  it('reaches the client unchanged, as text, with the route headers', async () => {
    const answer = await sendVia(gateway, stack, textMessage('hello', '+15550300001'));
    expect(answer.status).toBe(502);
    expect(answer.text).toBe(page);
    expect(answer.headers['content-type']).toMatch(/^text\/plain/);
    expect([answer.headers['x-gateway-route'], answer.headers['x-gateway-route-reason']]).toEqual(['cloud_api', 'not_template']);
    expect(String(answer.headers['x-gateway-job-id'])).toMatch(/^[\w-]+\.\d+$/);
  });

  it('passes a 204 on without a body', async () => {
    const answer = await sendVia(gateway, stack, textMessage('no-content', '+15550300002'));
    expect(answer.status).toBe(204);
    expect(answer.text).toBe('');
    expect(answer.headers['x-gateway-route-reason']).toBe('not_template');
  });
});
