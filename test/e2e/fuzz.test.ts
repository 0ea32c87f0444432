import { afterAll, beforeAll, expect, it } from 'vitest';
import fc from 'fast-check';
import { Pool } from 'undici';
import { messagePayloadSchema } from '@gw/contracts';
import { makeStack, startGateway, startSimulator, templateMessage, textMessage, type Gateway, type Simulator } from '../support/harness.ts';

const stack = { ...makeStack(), messagesPerSecond: 1000 };
let sim: Simulator;
let gateway: Gateway;

beforeAll(async () => {
  sim = await startSimulator();
  await sim.control.account(stack);
  await sim.control.template(stack.wabaId, 'promo', 'MARKETING');
  gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, env: { BODY_LIMIT: '64kb' } });
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
});

const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant('__proto__'),
  fc.constant({ __proto__: { polluted: true } }),
  fc.array(fc.anything(), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  fc.constant('x'.repeat(70_000)),
);

const field = fc.constantFrom('messaging_product', 'to', 'type', 'template', 'text', 'recipient_type', '__proto__', 'constructor');

/** A valid message with one or two fields replaced, removed or nested into nonsense. */
const mutated = fc
  .tuple(
    fc.constantFrom<Record<string, unknown>>(templateMessage('promo'), textMessage('hi')),
    fc.array(fc.tuple(field, fc.option(nasty, { nil: undefined })), { minLength: 1, maxLength: 3 }),
  )
  .map(([base, changes]) => {
    const copy: Record<string, unknown> = structuredClone(base);
    for (const [key, value] of changes) {
      if (value === undefined) delete copy[key];
      else if (key === 'template' && typeof value === 'object' && value) copy.template = { ...(copy.template as object), ...value };
      else copy[key] = value;
    }
    return JSON.stringify(copy);
  });

/** Raw bytes: random JSON documents, truncated JSON and non-JSON text. */
const raw = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
  fc.tuple(mutated, fc.nat()).map(([text, cut]) => text.slice(0, cut % (text.length + 1))),
  fc.string({ maxLength: 200 }),
  fc.constant('{"messaging_product":"whatsapp","to":"1","type":"template","template":{"name":"promo","language":{"code":"en_US"}}'.repeat(3)),
);

it('survives 10,000 random and mutated payloads: no crash, no 5xx, nothing invalid sent', async () => {
  const half = Number(process.env.FUZZ_HALF ?? 5000);
  const bodies = [...fc.sample(mutated, half), ...fc.sample(raw, half)];
  const pool = new Pool(gateway.url, { connections: 16 });
  const statuses = new Map<number, number>();
  const problems: string[] = [];
  let next = 0;
  const workerLoop = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const response = await pool.request({
        path: '/messages',
        method: 'POST',
        headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
        body,
      });
      const text = await response.body.text();
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      if (response.statusCode >= 500) problems.push(`${response.statusCode} for ${body.slice(0, 120)}: ${text.slice(0, 200)}`);
      else if (response.statusCode >= 400 && response.statusCode !== 404) {
        const parsed = JSON.parse(text);
        if (typeof parsed?.error?.code !== 'number' || typeof parsed.error.message !== 'string') problems.push(`not Meta's envelope: ${text.slice(0, 200)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, workerLoop));
  await pool.close();

  expect(problems.slice(0, 5)).toEqual([]);
  expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(bodies.length);
  expect(statuses.get(200)).toBeGreaterThan(100);
  expect((statuses.get(400) ?? 0) + (statuses.get(413) ?? 0)).toBeGreaterThan(1000);
  // Whatever reached Meta was a valid message.
  const received = await sim.control.requests();
  for (const request of received) expect(messagePayloadSchema.safeParse(request.body).success).toBe(true);
  expect([...gateway.ingresses, ...gateway.workers].every((s) => s.process.exitCode === null)).toBe(true);
});
