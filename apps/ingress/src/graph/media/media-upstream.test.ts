import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphUpstream, UpstreamFailure } from './media-upstream.ts';

/** Real sockets: a port nobody listens on, and a server that takes too long. */
let slow: Server;
let slowUrl: string;
let closedUrl: string;

beforeAll(async () => {
  slow = createServer((req, res) => {
    if (req.url?.startsWith('/fast')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"1"}');
    setTimeout(() => res.end('{}'), 2000).unref();
  });
  await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
  slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise((resolve) => probe.close(resolve));
});

afterAll(async () => {
  slow.closeAllConnections();
  await new Promise((resolve) => slow.close(resolve));
});

describe('GraphUpstream', () => {
  it('answers 502 (code 2) when Meta cannot be reached and 504 (code 2) when it is too slow, and counts each outcome', async () => {
    const calls: string[] = [];
    const onCall = (call: { endpoint: string; outcome: string }) => calls.push(`${call.endpoint} ${call.outcome}`);
    const unreachable = new GraphUpstream({ baseUrl: closedUrl, timeoutMs: 300, idleTimeoutMs: 300, onCall });
    const slowMeta = new GraphUpstream({ baseUrl: slowUrl, timeoutMs: 300, idleTimeoutMs: 300, onCall });
    try {
      const refused = await unreachable.call('GET', '/v24.0/1', 'token', 'the media retrieve').catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(UpstreamFailure);
      expect((refused as UpstreamFailure).answer).toMatchObject({ status: 502, body: { error: { code: 2, is_transient: true } } });
      const late = await slowMeta.call('DELETE', '/v24.0/1', 'token', 'the media delete').catch((error: unknown) => error);
      expect((late as UpstreamFailure).answer).toMatchObject({ status: 504, body: { error: { code: 2 } } });
      const ok = await slowMeta.call('GET', '/fast', 'token', 'x');
      expect(await ok.body.json()).toEqual({ id: '1' });
      expect(calls).toEqual(['graph_media unreachable', 'graph_media timeout', 'graph_media 2xx']);
    } finally {
      await unreachable.close();
      await slowMeta.close();
    }
  });
});
