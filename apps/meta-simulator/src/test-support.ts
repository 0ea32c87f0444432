// Shared helpers for the vitest suites: a real simulator on an ephemeral port,
// a real HTTP client (undici) and a real webhook receiver.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@gw/logger';
import { request } from 'undici';
import { createSimulator, type Seed, type Simulator, type SimulatorOptions } from './index.ts';

export const PHONE = '1065403522429';
export const WABA = '2001000000001';
export const TOKEN = 'test-token';
export const APP_SECRET = 'test-app-secret';

export const testSeed = (): Seed => ({
  accounts: [
    { phoneNumberId: PHONE, wabaId: WABA, accessToken: TOKEN, displayPhoneNumber: '15550001111', mmEligible: true },
    { phoneNumberId: '2000000000002', wabaId: '2002000000002', accessToken: 'not-onboarded-token', mmEligible: false },
  ],
  templates: [
    { wabaId: WABA, name: 'summer_sale', language: 'en_US', category: 'MARKETING' },
    { wabaId: WABA, name: 'order_update', language: 'en_US', category: 'UTILITY' },
    { wabaId: WABA, name: 'login_code', language: 'en_US', category: 'AUTHENTICATION' },
    { wabaId: WABA, name: 'paused_promo', language: 'en_US', category: 'MARKETING', status: 'PAUSED' },
    { wabaId: '2002000000002', name: 'summer_sale', language: 'en_US', category: 'MARKETING' },
  ],
});

export interface Running {
  sim: Simulator;
  url: string;
  close(): Promise<void>;
}

export async function startSimulator(options: Partial<SimulatorOptions> = {}): Promise<Running> {
  const sim = createSimulator({
    seed: testSeed(),
    appSecret: APP_SECRET,
    logger: createLogger({ name: 'meta-simulator-test', level: 'silent' }),
    ...options,
  });
  const { url } = await sim.listen(0, '127.0.0.1');
  return { sim, url, close: () => sim.close() };
}

export interface Reply {
  status: number;
  json: any;
  headers: IncomingHttpHeaders;
}

export async function call(
  base: string,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  options: { body?: unknown; token?: string | null; headersTimeout?: number } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token !== null && options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  const res = await request(new URL(path, base), {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    ...(options.headersTimeout ? { headersTimeout: options.headersTimeout } : {}),
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? JSON.parse(text) : undefined, headers: res.headers as IncomingHttpHeaders };
}

export const templateSend = (name: string, to = '+16505551234', language = 'en_US') => ({
  messaging_product: 'whatsapp',
  recipient_type: 'individual',
  to,
  type: 'template',
  template: { name, language: { code: language } },
});

export interface Received {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  json: any;
  at: number;
}

/** A local webhook endpoint; `answer` picks the HTTP status per delivery (default 200). */
export async function startReceiver(answer: (n: number) => number = () => 200) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      received.push({ headers: req.headers, raw, json: JSON.parse(raw.toString()), at: Date.now() });
      res.statusCode = answer(received.length);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    received,
    async waitFor(count: number, timeoutMs = 3000): Promise<Received[]> {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} webhooks, got ${received.length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The single status object of a status webhook. */
export const statusOf = (payload: any) => payload.entry[0].changes[0].value.statuses[0];
