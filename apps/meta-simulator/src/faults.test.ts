import { errors as undiciErrors } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call, PHONE, type Running, startSimulator, templateSend, TOKEN, WABA } from './test-support.ts';

describe('faults and latency', () => {
  let sim: Running;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  beforeEach(() => sim.sim.reset());
  afterAll(() => sim.close());

  const send = (headersTimeout?: number) =>
    call(sim.url, 'POST', `/v24.0/${PHONE}/messages`, { token: TOKEN, body: templateSend('summer_sale'), ...(headersTimeout ? { headersTimeout } : {}) });
  const mm = () => call(sim.url, 'POST', `/v24.0/${PHONE}/marketing_messages`, { token: TOKEN, body: templateSend('summer_sale') });
  const setFault = (endpoint: string, fault: object) => call(sim.url, 'PUT', `/_sim/faults/${endpoint}`, { body: fault });

  it('fails every request during an outage with the endpoint default error, and logs it', async () => {
    await setFault('messages', { outage: true });
    await setFault('marketing_messages', { outage: true });
    const cloud = await send();
    expect(cloud.status).toBe(503);
    expect(cloud.json.error).toMatchObject({ code: 131016, message: '(#131016) Service unavailable' });
    const marketing = await mm();
    expect(marketing.status).toBe(500);
    expect(marketing.json.error.code).toBe(131000);
    const log = await call(sim.url, 'GET', '/_sim/requests');
    expect(log.json.requests.map((r: { status: number }) => r.status)).toEqual([503, 500]);
  });

  it('fails every request with the configured error when errorRate is 1', async () => {
    await setFault('messages', { errorRate: 1, error: { status: 400, code: 130429 } });
    for (let i = 0; i < 3; i++) {
      const res = await send();
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ code: 130429, message: '(#130429) Rate limit hit' });
    }
  });

  it('clears a fault by itself after `remaining` requests', async () => {
    await setFault('messages', { outage: true, remaining: 2 });
    expect((await send()).status).toBe(503);
    expect((await send()).status).toBe(503);
    expect((await send()).status).toBe(200);
    expect((await call(sim.url, 'GET', '/_sim/faults')).json.faults).toEqual({});
  });

  it('adds latency before answering normally', async () => {
    await setFault('message_templates', { latencyMs: 200 });
    const started = Date.now();
    const res = await call(sim.url, 'GET', `/${WABA}/message_templates`, { token: TOKEN });
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('draws a latency with a tail when latencyP99Ms is set, and still answers normally', async () => {
    await setFault('messages', { latencyMs: 20, latencyP99Ms: 60 });
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 20 }, () => send()));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(20);
    expect((await call(sim.url, 'GET', '/_sim/faults')).json.faults.messages).toEqual({ latencyMs: 20, latencyP99Ms: 60 });
  });

  it('hangs until the client times out, and logs the request with a null status', async () => {
    await setFault('messages', { hang: true });
    await expect(send(300)).rejects.toBeInstanceOf(undiciErrors.HeadersTimeoutError);
    const log = await call(sim.url, 'GET', '/_sim/requests?endpoint=messages');
    expect(log.json.requests).toEqual([expect.objectContaining({ endpoint: 'messages', status: null })]);
  });

  it('only affects the endpoint it was set for, and DELETE removes it', async () => {
    await setFault('marketing_messages', { outage: true });
    expect((await send()).status).toBe(200);
    await call(sim.url, 'DELETE', '/_sim/faults/marketing_messages');
    expect((await mm()).status).toBe(200);
  });

  it('rejects a fault for an unknown endpoint or with unknown keys', async () => {
    expect((await setFault('nope', { outage: true })).status).toBe(400);
    expect((await setFault('messages', { outgae: true })).status).toBe(400);
  });
});
