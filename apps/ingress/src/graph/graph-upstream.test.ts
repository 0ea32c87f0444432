import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphUpstream, UpstreamFailure } from './graph-upstream.ts';

/** Real sockets: a port nobody listens on, and a server that answers `/echo` at once (with what it got) and anything else too late. */
let meta: Server;
let metaUrl: string;
let closedUrl: string;
const TOKEN = 'meta-token-0123456789';

beforeAll(async () => {
  meta = createServer((req, res) => {
    if (!req.url?.includes('/echo')) return void setTimeout(() => res.end('{}'), 2000).unref();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const got = {
        method: req.method,
        url: req.url,
        withToken: req.headers.authorization === `Bearer ${TOKEN}`,
        type: req.headers['content-type'],
        body: Buffer.concat(chunks).toString(),
      };
      // A body that carries the token: the client must never get it back.
      res.writeHead(201, { 'content-type': 'application/json; charset=UTF-8' }).end(JSON.stringify({ got, echoed: TOKEN }));
    });
  });
  await new Promise<void>((resolve) => meta.listen(0, '127.0.0.1', resolve));
  metaUrl = `http://127.0.0.1:${(meta.address() as AddressInfo).port}/`;
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise((resolve) => probe.close(resolve));
});

afterAll(async () => {
  meta.closeAllConnections();
  await new Promise((resolve) => meta.close(resolve));
});

const failureOf = (call: Promise<unknown>) =>
  call.then(
    () => undefined,
    (error: unknown) => (error instanceof UpstreamFailure ? error.answer : error),
  );

describe('GraphUpstream', () => {
  it('answers 502 (code 2) when Meta cannot be reached and 504 (code 2) when it is too slow, and counts each outcome by endpoint', async () => {
    const calls: string[] = [];
    const onCall = (call: { endpoint: string; outcome: string }) => calls.push(`${call.endpoint} ${call.outcome}`);
    const unreachable = new GraphUpstream({ baseUrl: closedUrl, version: 'v24.0', timeoutMs: 300, idleTimeoutMs: 300, onCall });
    const slowMeta = new GraphUpstream({ baseUrl: metaUrl, version: 'v24.0', timeoutMs: 300, idleTimeoutMs: 300, onCall });
    try {
      const refused = await failureOf(unreachable.json('graph_media', { method: 'GET', path: '1', token: TOKEN }, 'the media retrieve'));
      expect(refused).toMatchObject({
        status: 502,
        body: { error: { code: 2, is_transient: true, error_data: { details: 'Could not reach Meta for the media retrieve. Retry later.' } } },
      });
      // A read that timed out changed nothing; a delete may have happened.
      const lateRead = await failureOf(slowMeta.json('graph_template', { method: 'GET', path: '1', token: TOKEN }, 'GET template'));
      expect(lateRead).toMatchObject({ status: 504, body: { error: { code: 2, error_data: { details: 'Meta did not answer GET template within 300 ms.' } } } });
      const lateDelete = await failureOf(slowMeta.json('graph_media', { method: 'DELETE', path: '1', token: TOKEN }, 'the media delete'));
      expect(lateDelete).toMatchObject({
        status: 504,
        body: { error: { code: 2, error_data: { details: expect.stringMatching(/within 300 ms\. A change it asked for may or may not have been made/) } } },
      });
      expect(calls).toEqual(['graph_media unreachable', 'graph_template timeout', 'graph_media timeout']);
    } finally {
      await unreachable.close();
      await slowMeta.close();
    }
  });

  it('calls META_GRAPH_VERSION with the stack token, the query and the body, and hands back status, content type and body with the token redacted', async () => {
    const calls: string[] = [];
    const upstream = new GraphUpstream({
      baseUrl: metaUrl,
      version: 'v24.0',
      timeoutMs: 1000,
      idleTimeoutMs: 1000,
      onCall: (call) => calls.push(`${call.endpoint} ${call.outcome}`),
    });
    try {
      const answer = await upstream.json(
        'graph_message_templates',
        { method: 'POST', path: 'W1/message_templates/echo', query: new URLSearchParams('fields=name'), body: Buffer.from('{"name":"x"}'), token: TOKEN },
        'POST message_templates',
      );
      expect([answer.status, answer.contentType]).toEqual([201, 'application/json; charset=UTF-8']);
      expect(JSON.parse(answer.body.toString())).toEqual({
        got: { method: 'POST', url: '/v24.0/W1/message_templates/echo?fields=name', withToken: true, type: 'application/json', body: '{"name":"x"}' },
        echoed: '[redacted]',
      });
      expect(upstream.metaPrefix).toBe(`${metaUrl}v24.0/`);
      expect(calls).toEqual(['graph_message_templates 2xx']);
    } finally {
      await upstream.close();
    }
  });
});
