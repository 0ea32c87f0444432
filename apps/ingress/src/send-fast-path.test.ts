import { createServer, IncomingMessage, ServerResponse, type RequestListener, type Server, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withSendFastPath } from './send-fast-path.ts';

let server: Server | undefined;

afterEach(async () => {
  vi.restoreAllMocks();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** An app whose send handler answers with what Express's request and response give it, and one route of its own. */
function fastPathApp() {
  const app = express();
  app.get('/other', (req, res) => void res.json({ other: true, header: req.get('x-test') }));
  const send: RequestHandler = (req, res) => void res.status(201).json({ header: req.get('x-test'), params: req.params, route: req.route });
  const onError: ErrorRequestHandler = (_error, _req, res) => void res.status(500).end();
  return withSendFastPath(app, { before: [], sends: { router: Router(), handlersOf: () => [send] }, onError });
}

async function listen(listener: RequestListener, options: ServerOptions = {}): Promise<string> {
  server = createServer(options, listener);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** How many times the server changes a request's or a response's prototype while it answers one. */
async function prototypeChanges(url: string, init?: RequestInit): Promise<{ changes: number; status: number; body: unknown }> {
  const setPrototypeOf = vi.spyOn(Object, 'setPrototypeOf');
  const answer = await fetch(url, { ...init, headers: { 'x-test': 'yes' } });
  const body: unknown = await answer.json();
  const changes = setPrototypeOf.mock.calls.filter(([target]) => target instanceof IncomingMessage || target instanceof ServerResponse).length;
  setPrototypeOf.mockRestore();
  return { changes, status: answer.status, body };
}

describe('withSendFastPath', () => {
  it("serves a send on requests and responses born with the app's prototypes: no prototype is changed per request", async () => {
    const { serverOptions, listener } = fastPathApp();
    const url = await listen(listener, serverOptions);
    const send = await prototypeChanges(`${url}/v24.0/123/messages`, { method: 'POST' });
    expect(send).toEqual({
      changes: 0,
      status: 201,
      body: { header: 'yes', params: { version: 'v24.0', phoneNumberId: '123' }, route: { path: '/:version/:phoneNumberId/messages' } },
    });
    // What the fast path declines still reaches the app (whose router sets the prototypes itself).
    expect(await fetch(`${url}/other`, { headers: { 'x-test': 'yes' } }).then((r) => r.json())).toEqual({ other: true, header: 'yes' });
  });

  it("gives a server without those options the app's prototypes per request, and the same answer", async () => {
    const { listener } = fastPathApp();
    const url = await listen(listener);
    const send = await prototypeChanges(`${url}/messages`, { method: 'POST' });
    expect(send.changes).toBe(2);
    expect(send).toMatchObject({ status: 201, body: { header: 'yes', params: {}, route: { path: '/messages' } } });
  });
});
