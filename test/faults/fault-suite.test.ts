/**
 * The fault suite: real ingress, worker, simulator and Redis processes,
 * with crashes and outages injected while clients keep sending. Every scenario
 * checks the same three promises: one response per request, no duplicate at
 * Meta, no webhook lost or delivered to the wrong stack. A summary table is
 * printed at the end.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis } from '@gw/process-tools';
import { get, makeStack, post, sendVia, startGateway, startSimulator, templateMessage, textMessage, type HttpAnswer, type Simulator } from '../support/harness.ts';
import { waitFor } from '../support/assertions.ts';
import { WebhookReceiver, verifySignatures } from '../support/webhook-receiver.ts';
import { webhookEnv, webhookSecrets } from '../support/webhooks.ts';
import { startSentinelSetup } from '../support/redis-sentinel.ts';

interface Row {
  scenario: string;
  requests: number;
  responses: number;
  duplicates: number;
  lost: number;
  misrouted: number;
  notes: string;
}

const rows: Row[] = [];
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator();
});

afterAll(async () => {
  await sim?.stop();
  const header = '| scenario | requests | responses | duplicates | lost | misrouted | notes |';
  const lines = rows.map((r) => `| ${r.scenario} | ${r.requests} | ${r.responses} | ${r.duplicates} | ${r.lost} | ${r.misrouted} | ${r.notes} |`);
  console.log(['', 'Fault suite summary', header, '|---|---|---|---|---|---|---|', ...lines, ''].join('\n'));
});

/** Sends `count` messages with at most `concurrency` in flight; never throws, counts every answer. */
async function burst(count: number, concurrency: number, send: (i: number) => Promise<HttpAnswer>, onProgress?: (done: number) => void) {
  const answers: Array<HttpAnswer | Error> = new Array(count);
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        answers[i] = await send(i).catch((error: Error) => error);
        onProgress?.(++done);
      }
    }),
  );
  return answers;
}

/** Recipients Meta accepted more than once, and 200 answers whose message Meta never accepted. */
async function metaAudit(toPrefix: string, answers: Array<HttpAnswer | Error>) {
  const accepted = (await sim.control.requests()).filter((r) => String(r.body?.to).startsWith(toPrefix) && r.status === 200);
  const perRecipient = new Map<string, number>();
  for (const r of accepted) perRecipient.set(r.body.to, (perRecipient.get(r.body.to) ?? 0) + 1);
  const duplicates = [...perRecipient.values()].filter((n) => n > 1).length;
  const wamids = new Set(accepted.map((r) => r.wamid));
  const lost = answers.filter((a) => !(a instanceof Error) && a.status === 200 && !wamids.has(a.body?.messages?.[0]?.id)).length;
  return { duplicates, lost, accepted: accepted.length };
}

const responded = (answers: Array<HttpAnswer | Error>) => answers.filter((a) => !(a instanceof Error)).length;
const statusCounts = (answers: Array<HttpAnswer | Error>) => {
  const counts = new Map<string, number>();
  for (const a of answers) {
    const key = a instanceof Error ? 'error' : String(a.status);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].map(([k, v]) => `${k}:${v}`).join(' ');
};

describe('fault suite', () => {
  it('survives kill -9 of the worker during a burst', async () => {
    const stack = makeStack({ messagesPerSecond: 1000 });
    await sim.control.account(stack);
    const gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, env: { SEND_TIMEOUT_MS: '20000' } });
    try {
      await sim.control.fault('messages', { latencyMs: 300 });
      let killed = false;
      const answers = await burst(
        300,
        30,
        (i) => sendVia(gateway, stack, textMessage('kill', `+1555100${String(i).padStart(4, '0')}`), '/messages', { 'idempotency-key': `kill-${i}` }),
        (done) => {
          if (!killed && done >= 60) {
            killed = true;
            gateway.workers[0]!.process.kill('SIGKILL');
            void gateway.startWorker();
          }
        },
      );
      await sim.control.clearFaults();
      // Clients retry every unclear answer with the same key: nothing is sent twice.
      const unclear = answers.flatMap((a, i) => (!(a instanceof Error) && a.status === 504 ? [i] : []));
      for (const i of unclear) await sendVia(gateway, stack, textMessage('kill', `+1555100${String(i).padStart(4, '0')}`), '/messages', { 'idempotency-key': `kill-${i}` });
      const audit = await metaAudit('+1555100', answers);
      rows.push({
        scenario: 'kill -9 worker during burst',
        requests: 300,
        responses: responded(answers),
        duplicates: audit.duplicates,
        lost: audit.lost,
        misrouted: 0,
        notes: statusCounts(answers),
      });
      expect(responded(answers)).toBe(300);
      expect(audit).toMatchObject({ duplicates: 0, lost: 0 });
      expect(answers.every((a) => !(a instanceof Error) && [200, 504].includes(a.status))).toBe(true);
    } finally {
      await sim.control.clearFaults();
      await gateway.stop();
    }
  });

  it('survives a Redis restart during a burst', async () => {
    const stack = makeStack({ messagesPerSecond: 1000 });
    await sim.control.account(stack);
    const persistDir = mkdtempSync(join(tmpdir(), 'gw-fault-redis-'));
    let redis = await startPrivateRedis({ persistDir });
    const gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, redisUrl: redis.url, env: { SEND_TIMEOUT_MS: '20000', ENQUEUE_TIMEOUT_MS: '500' } });
    try {
      await sim.control.fault('messages', { latencyMs: 20 });
      let restarted: Promise<void> | undefined;
      const send = async (i: number) => {
        const answer = await sendVia(gateway, stack, textMessage('redis', `+1555200${String(i).padStart(4, '0')}`));
        // Like a real client, slow down while the gateway says it is unavailable.
        if (answer.status === 503) await new Promise((r) => setTimeout(r, 100));
        return answer;
      };
      const answers = await burst(400, 10, send, (done) => {
        if (!restarted && done >= 100) {
          restarted = (async () => {
            await redis.stop();
            await new Promise((r) => setTimeout(r, 2000));
            redis = await startPrivateRedis({ port: redis.port, persistDir });
          })();
        }
      });
      await restarted;
      const after = await waitFor(
        'recovery',
        async () => {
          const a = await sendVia(gateway, stack, textMessage('redis', '+15552009999'));
          return a.status === 200 && a;
        },
        30_000,
      );
      const audit = await metaAudit('+1555200', [...answers, after]);
      rows.push({
        scenario: 'Redis restart during burst',
        requests: 400,
        responses: responded(answers),
        duplicates: audit.duplicates,
        lost: audit.lost,
        misrouted: 0,
        notes: statusCounts(answers),
      });
      expect(responded(answers)).toBe(400);
      expect(audit).toMatchObject({ duplicates: 0, lost: 0 });
      expect(answers.every((a) => !(a instanceof Error) && [200, 503, 504].includes(a.status))).toBe(true);
    } finally {
      await sim.control.clearFaults();
      await gateway.stop();
      await redis.stop();
    }
  });

  it('keeps sending through a 60-second MM outage without poisoning the category cache', async () => {
    const stack = makeStack({ messagesPerSecond: 1000 });
    await sim.control.account(stack);
    const templates = Array.from({ length: 10 }, (_, i) => `outage_promo_${i}`);
    await sim.control.templates(templates.map((name) => ({ wabaId: stack.wabaId, name, language: 'en_US', category: 'MARKETING' })));
    const gateway = await startGateway({ stacks: [stack], metaUrl: sim.url, env: { MM_BREAKER_OPEN_MS: '5000' } });
    try {
      // Half the templates are known marketing before the outage, half are new.
      for (const name of templates.slice(0, 5)) await sendVia(gateway, stack, templateMessage(name, 'en_US', `+1555390${name.slice(-1)}`));
      await sim.control.fault('marketing_messages', { outage: true });
      const outageEnds = Date.now() + 60_000;
      const answers: HttpAnswer[] = [];
      let i = 0;
      while (Date.now() < outageEnds) {
        const batch = await Promise.all(templates.map((name) => sendVia(gateway, stack, templateMessage(name, 'en_US', `+1555300${String(i++).padStart(4, '0')}`))));
        answers.push(...batch);
        await new Promise((r) => setTimeout(r, 2000));
      }
      await sim.control.clearFaults();
      const cached = (await get(`${gateway.url}/templates/categories`, { authorization: `Bearer ${stack.apiKey}` })).body.data as Array<{ name: string; category: string }>;
      const poisoned = cached.filter((c) => c.category === 'non_marketing').length;
      await new Promise((r) => setTimeout(r, 5500));
      const afterwards = [];
      for (const name of templates) afterwards.push(await sendVia(gateway, stack, templateMessage(name, 'en_US', `+1555300${String(i++).padStart(4, '0')}`)));
      const audit = await metaAudit('+1555300', [...answers, ...afterwards]);
      rows.push({
        scenario: '60 s MM outage',
        requests: answers.length,
        responses: answers.length,
        duplicates: audit.duplicates,
        lost: audit.lost,
        misrouted: 0,
        notes: `${statusCounts(answers)}; poisoned templates: ${poisoned}; MM after: ${afterwards.filter((a) => a.headers['x-gateway-route'] === 'marketing_messages').length}/10`,
      });
      expect(answers.every((a) => a.status === 200 && a.headers['x-gateway-route'] === 'cloud_api')).toBe(true);
      expect(poisoned).toBe(0);
      expect(afterwards.every((a) => a.status === 200 && a.headers['x-gateway-route'] === 'marketing_messages')).toBe(true);
      expect(audit).toMatchObject({ duplicates: 0, lost: 0 });
    } finally {
      await sim.control.clearFaults();
      await gateway.stop();
    }
  });

  it('delivers every webhook to a client endpoint that was down for two minutes, and only to its stack', async () => {
    const secrets = webhookSecrets();
    const down = await WebhookReceiver.start(`secret-down-${Date.now()}`);
    const healthy = await WebhookReceiver.start(`secret-up-${Date.now()}`);
    const a = makeStack({ webhookUrl: down.url, webhookSecret: down.secret, messagesPerSecond: 1000 });
    const b = makeStack({ webhookUrl: healthy.url, webhookSecret: healthy.secret, messagesPerSecond: 1000 });
    for (const s of [a, b]) await sim.control.account(s);
    const gateway = await startGateway({
      stacks: [a, b],
      metaUrl: sim.url,
      env: webhookEnv(secrets, { WEBHOOK_RETRY_SCHEDULE_MS: '1000,2000,5000,10000,20000,30000,30000,30000,30000,30000' }),
    });
    await sim.control.webhooks({ url: `${gateway.url}/webhooks/meta`, appSecret: secrets.appSecret });
    try {
      down.respond(() => ({ status: 503 }));
      const sends = [
        ...(await burst(20, 5, (i) => sendVia(gateway, a, textMessage('hook', `+155540000${String(i).padStart(2, '0')}`)))),
        ...(await burst(20, 5, (i) => sendVia(gateway, b, textMessage('hook', `+155540100${String(i).padStart(2, '0')}`)))),
      ] as HttpAnswer[];
      const expected = (answers: HttpAnswer[]) => new Set(answers.flatMap((x) => ['sent', 'delivered', 'read'].map((s) => `${x.body.messages[0].id}:${s}`)));
      const wantA = expected(sends.slice(0, 20));
      const wantB = expected(sends.slice(20));
      const got = (r: WebhookReceiver) => new Set(r.statuses().map((s) => `${s.id}:${s.status}`));

      // The healthy stack is not held up by the dead one.
      await waitFor('healthy stack deliveries', async () => got(healthy).size >= wantB.size, 30_000);
      await new Promise((r) => setTimeout(r, 120_000 - 10_000));
      down.respond(() => ({ status: 200 }));
      await waitFor('recovered stack deliveries', async () => got(down).size >= wantA.size, 90_000);

      const lost = [...wantA].filter((k) => !got(down).has(k)).length + [...wantB].filter((k) => !got(healthy).has(k)).length;
      const misrouted = [...got(down)].filter((k) => wantB.has(k)).length + [...got(healthy)].filter((k) => wantA.has(k)).length;
      const badSignatures = [...down.delivered.map((r) => verifySignatures(r, down.secret)), ...healthy.delivered.map((r) => verifySignatures(r, healthy.secret))].filter(
        (v) => !v.hub || !v.standard,
      ).length;
      const deliveredCount = down.statuses().length + healthy.statuses().length;
      rows.push({
        scenario: 'client webhook endpoint down 2 min',
        requests: 40,
        responses: sends.length,
        duplicates: deliveredCount - (got(down).size + got(healthy).size),
        lost,
        misrouted,
        notes: `events expected ${wantA.size + wantB.size}; refused attempts ${down.requests.filter((r) => r.status === 503).length}; bad signatures ${badSignatures}`,
      });
      expect(sends.every((s) => s.status === 200)).toBe(true);
      expect({ lost, misrouted, badSignatures }).toEqual({ lost: 0, misrouted: 0, badSignatures: 0 });
    } finally {
      await gateway.stop();
      await down.close();
      await healthy.close();
    }
  });
  it.each([
    ['two ingresses and two workers, a job per batch', { ingresses: 2, workers: 2 }, '', '+1555600'],
    ['two processes holding both roles, with send carriers', { combined: 2, env: { SEND_CARRIERS: '2' } }, ', processes with carriers', '+1555610'],
  ] as const)(
    'survives a Redis failover (kill -9 of the primary, Sentinels promote the replica) during a burst and a webhook stream: %s',
    async (_layout, layout, label, numbers) => {
      const redis = await startSentinelSetup();
      const secrets = webhookSecrets();
      const client = await WebhookReceiver.start(`secret-failover-${Date.now()}`);
      const stack = makeStack({ messagesPerSecond: 1000, webhookUrl: client.url, webhookSecret: client.secret });
      await sim.control.account(stack);
      const gateway = await startGateway({
        stacks: [stack],
        metaUrl: sim.url,
        redisUrl: redis.url,
        ...layout,
        env: webhookEnv(secrets, { ...('env' in layout ? layout.env : {}), REDIS_SENTINELS: redis.sentinels, REDIS_SENTINEL_NAME: redis.name, SEND_TIMEOUT_MS: '20000' }),
      });
      // Meta's webhooks for every send, to both ingresses in turn through the first one's URL.
      await sim.control.webhooks({ url: `${gateway.url}/webhooks/meta`, appSecret: secrets.appSecret, retryScheduleMs: [500, 1000, 2000, 5000, 10000] });
      const count = 2000;
      const to = (i: number) => `${numbers}${String(i).padStart(4, '0')}`;
      const send = (i: number) =>
        post(`${gateway.urls[i % gateway.urls.length]}/messages`, textMessage('failover', to(i)), {
          authorization: `Bearer ${stack.apiKey}`,
          'idempotency-key': `failover${numbers}-${i}`,
        });
      try {
        await sim.control.fault('messages', { latencyMs: 20 });
        let longestWaitMs = 0;
        let killedAt = 0;
        const timed = async (i: number) => {
          const started = Date.now();
          const answer = await send(i);
          longestWaitMs = Math.max(longestWaitMs, Date.now() - started);
          // Like a real client, slow down while the gateway says it is unavailable.
          if (answer.status === 503) await new Promise((r) => setTimeout(r, 200));
          return answer;
        };
        const answers = await burst(count, 40, timed, (done) => {
          if (!killedAt && done >= count / 4) {
            killedAt = Date.now();
            redis.killPrimary();
          }
        });
        const promoted = await redis.waitForNewPrimary(redis.primaryPort);
        await sim.control.clearFaults();
        // Clients retry every unclear answer with the same key: nothing is sent twice.
        const retried = answers.flatMap((a, i) => (!(a instanceof Error) && [503, 504].includes(a.status) ? [i] : []));
        const retries: HttpAnswer[] = [];
        for (const i of retried) retries.push(await send(i));
        const audit = await metaAudit(numbers, [...answers, ...retries]);

        // Every webhook Meta got a 200 for reaches the client.
        const wamids = new Set((await sim.control.requests({ endpoint: 'messages' })).filter((r) => String(r.body?.to).startsWith(numbers) && r.wamid).map((r) => r.wamid));
        const acknowledged = async () => (await sim.control.webhookLog()).filter((d) => d.wamid && wamids.has(d.wamid) && d.status === 'delivered');
        const received = () => new Set(client.statuses().map((x) => `${x.id}:${x.status}`));
        const webhooksLost = async () => {
          const got = received();
          return (await acknowledged()).filter((d) => !got.has(`${d.wamid}:${d.kind}`)).length;
        };
        // Meta has finished sending (every delivery answered or given up), and the client has what Meta got a 200 for.
        const settled = async () => !(await sim.control.webhookLog()).some((d) => d.wamid && wamids.has(d.wamid) && d.status === 'pending');
        await waitFor('webhooks forwarded', async () => (await settled()) && (await webhooksLost()) === 0, 90_000).catch(() => undefined);
        const lostWebhooks = await webhooksLost();
        const webhookCount = (await acknowledged()).length;
        const deliveryStates = new Map<string, number>();
        for (const d of await sim.control.webhookLog()) if (d.wamid && wamids.has(d.wamid)) deliveryStates.set(d.status, (deliveryStates.get(d.status) ?? 0) + 1);

        rows.push({
          scenario: `Redis failover (kill -9 primary, Sentinels) during burst${label}`,
          requests: count,
          responses: responded(answers),
          duplicates: audit.duplicates,
          lost: audit.lost,
          misrouted: 0,
          notes: `${statusCounts(answers)}; retried ${retried.length} unclear with the same key: ${statusCounts(retries)}; webhooks Meta got 200 for ${webhookCount} (${[...deliveryStates].map(([k, n]) => `${k}:${n}`).join(' ')}), lost ${lostWebhooks}; longest client wait ${longestWaitMs} ms; primary ${redis.primaryPort} -> ${promoted}`,
        });
        expect(responded(answers)).toBe(count);
        expect(audit).toMatchObject({ duplicates: 0, lost: 0 });
        expect(answers.every((a) => !(a instanceof Error) && [200, 503, 504].includes(a.status))).toBe(true);
        // A retry is answered from what Redis still knows: the stored answer, a send it now makes once,
        // or 504 when the first attempt's record survived the switch but its job did not (outcome unknown).
        expect(retries.every((a) => [200, 504].includes(a.status))).toBe(true);
        // A 503 said nothing was sent: its key's claim, even one that outlived the switch, is released, so its retry is sent.
        const afterRefusal = retried.flatMap((i, n) => ((answers[i] as HttpAnswer).status === 503 ? [retries[n]!.status] : []));
        expect(afterRefusal.filter((status) => status !== 200)).toEqual([]);
        expect(lostWebhooks).toBe(0);
      } finally {
        await sim.control.clearFaults();
        await gateway.stop();
        await client.close();
        await redis.stop();
      }
    },
  );
});
