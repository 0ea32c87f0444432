import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@gw/process-tools';
import { Cluster } from 'ioredis';
import { redisKeys } from '@gw/contracts';
import { get, makeStack, post, startGateway, startSimulator, templateMessage, textMessage, type Gateway, type Simulator } from '../support/harness.ts';
import { startLocalCluster, type LocalCluster } from './redis-cluster.ts';
import { waitFor } from '../support/assertions.ts';
import { envelope, postToMetaWebhook, statusChange, webhookEnv, webhookSecrets } from '../support/webhooks.ts';

/**
 * The gateway on a three-node Redis Cluster that this test starts itself: hash-
 * tagged prefix, BullMQ on ioredis Cluster clients, pub/sub replies broadcast
 * across nodes, two ingress and two worker processes.
 */
const stack = makeStack();
const secrets = webhookSecrets();
const prefix = `{gwc-${Date.now().toString(36)}}`;
let cluster: LocalCluster;
let sim: Simulator;
let gateway: Gateway;
let client: Cluster;

beforeAll(async () => {
  cluster = await startLocalCluster();
  sim = await startSimulator();
  await sim.control.account(stack);
  await sim.control.templates([
    { wabaId: stack.wabaId, name: 'cluster_promo', language: 'en_US', category: 'MARKETING' },
    { wabaId: stack.wabaId, name: 'cluster_receipt', language: 'en_US', category: 'UTILITY' },
    { wabaId: stack.wabaId, name: 'cluster_welcome', language: 'en_US', category: 'UTILITY' },
    { wabaId: stack.wabaId, name: 'cluster_audit', language: 'en_US', category: 'MARKETING' },
  ]);
  gateway = await startGateway({
    stacks: [stack],
    metaUrl: sim.url,
    prefix,
    redisUrl: `redis://127.0.0.1:${cluster.ports[0]}`,
    ingresses: 2,
    workers: 2,
    env: { ...webhookEnv(secrets), REDIS_CLUSTER_NODES: cluster.nodes },
  });
  client = new Cluster(cluster.nodes.split(',').map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })));
}, 120_000);

afterAll(async () => {
  client?.disconnect();
  await gateway?.stop();
  await sim?.stop();
  await cluster?.stop();
});

const send = (url: string, body: unknown) => post(`${url}/messages`, body, { authorization: `Bearer ${stack.apiKey}` });

describe('the gateway on a three-node Redis Cluster', () => {
  it('routes sends end to end through both ingresses and learns categories into the cluster', async () => {
    const promo = await send(gateway.urls[0]!, templateMessage('cluster_promo', 'en_US', '+15558000001'));
    expect(promo.status, promo.text).toBe(200);
    expect([promo.headers['x-gateway-route'], promo.headers['x-gateway-route-reason']]).toEqual(['marketing_messages', 'checked_accepted']);

    const receipt = await send(gateway.urls[1]!, templateMessage('cluster_receipt', 'en_US', '+15558000002'));
    expect(receipt.status, receipt.text).toBe(200);
    expect([receipt.headers['x-gateway-route'], receipt.headers['x-gateway-route-reason']]).toEqual(['cloud_api', 'checked_fallback']);

    const again = await send(gateway.urls[1]!, templateMessage('cluster_promo', 'en_US', '+15558000003'));
    expect(again.headers['x-gateway-route-reason']).toBe('cached_marketing');

    const keys = redisKeys(prefix);
    expect(await client.get(keys.category(stack.wabaId, 'cluster_promo', 'en_US'))).toContain('marketing');
    expect(await client.get(keys.category(stack.wabaId, 'cluster_receipt', 'en_US'))).toContain('non_marketing');
  });

  it('gives every concurrent request its own answer, whichever node carried the reply', async () => {
    const sends = Array.from({ length: 40 }, (_, i) => ({
      to: `+1555810${String(1000 + i)}`,
      url: gateway.urls[i % 2]!,
    }));
    const answers = await Promise.all(sends.map((s, i) => send(s.url, i % 4 === 0 ? textMessage(`hi ${i}`, s.to) : templateMessage('cluster_promo', 'en_US', s.to))));
    const recorded = await sim.control.requests({ phoneNumberId: stack.phoneNumberId });
    sends.forEach((s, i) => {
      expect(answers[i]!.status, answers[i]!.text).toBe(200);
      const wamids = recorded.filter((r) => r.body?.to === s.to && r.status === 200).map((r) => r.wamid);
      expect(wamids).toEqual([answers[i]!.body.messages[0].id]);
    });
  });

  it('warms up through `pnpm warmup` and lists what the cache knows', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', `${REPO_ROOT}/scripts/warmup.ts`, '--stack', stack.id, '--template', 'cluster_welcome:en_US'], {
      cwd: REPO_ROOT,
      env: gateway.env,
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    expect(await new Promise((r) => child.on('exit', r)), output).toBe(0);

    const listing = await get(`${gateway.urls[1]}/templates/categories`, { authorization: `Bearer ${stack.apiKey}` });
    expect(listing.status).toBe(200);
    const known = (listing.body.data as Array<{ name: string; category: string; source: string }>).map((c) => [c.name, c.category, c.source]);
    expect(known).toEqual([
      ['cluster_promo', 'marketing', 'learned'],
      ['cluster_receipt', 'non_marketing', 'learned'],
      ['cluster_welcome', 'non_marketing', 'sync'],
    ]);
  });

  it("audits a send and counts its statuses once (the count-once script's keys share the prefix's slot)", async () => {
    const answer = await send(gateway.urls[0]!, templateMessage('cluster_audit', 'en_US', '+15558000009'));
    expect(answer.status, answer.text).toBe(200);
    const id = answer.body.messages[0].id as string;
    const statuses = envelope(stack.wabaId, [
      statusChange(stack, [
        { id, status: 'read', timestamp: '1780000002', recipient_id: '15558000009' },
        { id, status: 'delivered', timestamp: '1780000001', recipient_id: '15558000009' },
      ]),
    ]);
    for (const url of gateway.urls) expect((await postToMetaWebhook({ ...gateway, url }, statuses, secrets.appSecret)).status).toBe(200);
    const auth = { authorization: `Bearer ${stack.apiKey}` };
    const entry = await waitFor('the statuses in the audit', async () => {
      const found = await get(`${gateway.urls[1]}/messages/${id}`, auth);
      return found.body?.statuses?.length === 2 && found;
    });
    expect(entry.body).toMatchObject({ route: 'marketing_messages', reason: 'checked_accepted', template: 'cluster_audit:en_US' });
    const row = await waitFor('the analytics row', async () => {
      const rows = await get(`${gateway.urls[0]}/analytics/routes?template=cluster_audit`, auth);
      const found = (rows.body?.data as Array<Record<string, unknown>> | undefined)?.[0];
      return found?.sends === 1 && found?.read === 1 && found;
    });
    expect(row).toMatchObject({ route: 'marketing_messages', sends: 1, delivered: 1, read: 1 });
  });

  it('carries sends in send-carrier jobs (SEND_CARRIERS), their lanes in the hash slot of the prefix', async () => {
    const carriedPrefix = `{gwc-carried-${Date.now().toString(36)}}`;
    const carried = await startGateway({
      stacks: [stack],
      metaUrl: sim.url,
      prefix: carriedPrefix,
      redisUrl: `redis://127.0.0.1:${cluster.ports[0]}`,
      env: { REDIS_CLUSTER_NODES: cluster.nodes, SEND_CARRIERS: '2' },
    });
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => send(carried.url, textMessage(`carried ${i}`, `+1555820${1000 + i}`))));
      for (const answer of answers) expect(answer.status, answer.text).toBe(200);
      const slot = await client.cluster('KEYSLOT', carriedPrefix);
      const nodes = await Promise.all(client.nodes('master').map(async (node) => ({ node, keys: await node.keys(`${carriedPrefix}:*`) })));
      const holding = nodes.filter((n) => n.keys.length > 0);
      expect(holding).toHaveLength(1);
      expect(holding[0]!.keys.some((k) => k.startsWith(`${carriedPrefix}:lane:`))).toBe(true);
      expect(await holding[0]!.node.cluster('COUNTKEYSINSLOT', slot)).toBe(holding[0]!.keys.length);
    } finally {
      await carried.stop();
    }
  });

  it('keeps BullMQ and gateway keys in the one hash slot of the prefix', async () => {
    const slot = await client.cluster('KEYSLOT', prefix);
    const owner = (await client.cluster('SLOTS')).find(([from, to]) => Number(from) <= slot && slot <= Number(to))!;
    const [host, port] = owner[2] as unknown as [string, number];
    const node = client.nodes('master').find((n) => n.options.port === port && n.options.host === host)!;
    const keysHere = await node.keys(`${prefix}:*`);
    expect(keysHere.some((k) => k.startsWith(`${prefix}:send:`))).toBe(true);
    expect(keysHere.some((k) => k.startsWith(`${prefix}:cat:`))).toBe(true);
    expect(keysHere.some((k) => k.startsWith(`${prefix}:analytics:`))).toBe(true);
    for (const other of client.nodes('master').filter((n) => n !== node)) expect(await other.keys(`${prefix}:*`)).toEqual([]);
  });
});
