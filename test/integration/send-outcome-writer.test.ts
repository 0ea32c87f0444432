import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { redisKeys, type SendItem, type SendReply, type SendResult } from '@gw/contracts';
import { createLogger } from '@gw/logger';
import { freePort, startPrivateRedis, type PrivateRedis } from '@gw/process-tools';
import { SendOutcomeWriter } from '../../apps/worker/src/send-outcome-writer.ts';
import { uniquePrefix } from '../support/harness.ts';
import { commandStats } from '../support/redis-commands.ts';

/**
 * The worker's SendOutcomeWriter against a real Redis that goes away while sends finish (a failover, a
 * restart): the messages are already sent, so what records them (ledger line, Idempotency-Key answer, a send
 * carrier's results, the reply) is written once Redis is back, on the worker's fail-fast connection.
 */
const logger = createLogger({ name: 'test', level: 'silent' });
const dirs: string[] = [];
const closers: Array<() => Promise<unknown>> = [];

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A Redis that keeps its data over a restart on the same port, as production's does. */
async function persistentRedis(): Promise<{ current: PrivateRedis; restart(): Promise<void>; stop(): Promise<void> }> {
  const persistDir = mkdtempSync(join(tmpdir(), 'gw-outcome-redis-'));
  dirs.push(persistDir);
  const handle = { current: await startPrivateRedis({ persistDir }) };
  const port = handle.current.port;
  const restart = async () => {
    handle.current = await startPrivateRedis({ port, persistDir });
  };
  const stop = () => handle.current.stop();
  closers.push(() => stop());
  return Object.assign(handle, { restart, stop });
}

/**
 * A TCP gate in front of a Redis: while shut it drops every connection made through it, so the connections
 * behind it find Redis away for as long as the test says, not for as long as their reconnect timers happen to.
 */
async function redisGate(redisPort: number): Promise<{ url: string; shut(): void; open(): void }> {
  let open = true;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (!open) return client.destroy();
    const upstream = connect(redisPort, '127.0.0.1');
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.pipe(to);
      from.on('error', () => to.destroy());
      from.on('close', () => (to.destroy(), sockets.delete(from)));
    }
  });
  const port = await freePort();
  await new Promise<void>((listening) => server.listen(port, '127.0.0.1', listening));
  closers.push(() => new Promise((closed) => server.close(closed)));
  return {
    url: `redis://127.0.0.1:${port}`,
    shut: () => {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    open: () => (open = true),
  };
}

const result: SendResult = { status: 200, body: { messages: [{ id: 'wamid.OUTCOME' }] }, route: 'cloud_api', reason: 'not_template', wamid: 'wamid.OUTCOME' };

function finishedSend(prefix: string): SendItem {
  const record = `${prefix}:idem:stack-a:key-1`;
  return {
    id: 'batch-1.0',
    stackId: 'stack-a',
    endpoint: 'messages',
    payload: { to: '+15550001111' },
    receivedAt: Date.now(),
    idempotency: { record, fingerprint: 'fp', key: 'key-1' },
  };
}

describe('the send outcome writer', () => {
  it('writes a finished send’s ledger line, Idempotency-Key answer, carrier results and reply once Redis is back', async () => {
    const redis = await persistentRedis();
    const prefix = uniquePrefix();
    const keys = redisKeys(prefix);
    const item = finishedSend(prefix);
    const resultsKey = `${prefix}:lane:{test.0}:results:carrier-1`;
    const admin = new Redis(redis.current.url, { maxRetriesPerRequest: null });
    const subscriber = new Redis(redis.current.url, { maxRetriesPerRequest: null });
    // The worker's command connection: one retry per request, a second per command. It reaches Redis through a
    // gate that stays shut until the subscriber (the ingress) is back, so the reply has a listener when it goes.
    const gate = await redisGate(redis.current.port);
    const commands = new Redis(gate.url, { maxRetriesPerRequest: 1, commandTimeout: 1000 });
    for (const connection of [admin, subscriber, commands]) {
      connection.on('error', () => undefined);
      closers.push(async () => connection.disconnect());
    }
    await admin.set(item.idempotency!.record, JSON.stringify({ fingerprint: 'fp', jobId: item.id, state: 'pending' }), 'EX', 600);
    const replies: SendReply[] = [];
    subscriber.on('message', (_channel: string, message: string) => replies.push(...(JSON.parse(message) as SendReply[])));
    await subscriber.subscribe('replies:ingress-1');
    await commands.ping();

    gate.shut();
    await redis.stop();
    const writer = new SendOutcomeWriter(commands, keys, 600, { retryMs: 30_000 });
    let writtenAt = 0;
    const written = writer.write(item, 'replies:ingress-1', result, logger, [], resultsKey).then(() => (writtenAt = Date.now()));
    await new Promise((r) => setTimeout(r, 2500));
    expect(writtenAt).toBe(0);
    const backAt = Date.now();
    await redis.restart();
    await expect.poll(async () => ((await admin.pubsub('NUMSUB', 'replies:ingress-1')) as [string, number])[1], { timeout: 10_000 }).toBe(1);
    gate.open();
    await written;

    expect(writtenAt).toBeGreaterThanOrEqual(backAt);
    expect(JSON.parse((await admin.hget(resultsKey, item.id))!)).toEqual(result);
    expect(JSON.parse((await admin.get(item.idempotency!.record))!)).toMatchObject({ state: 'done', result });
    expect(JSON.parse((await admin.get(keys.ledger('wamid.OUTCOME')))!)).toMatchObject({ stackId: 'stack-a', route: 'cloud_api', reason: 'not_template' });
    // A reply whose write was reported failed may still have reached Redis: the ingress ignores a second one.
    await expect.poll(() => replies.length).toBeGreaterThan(0);
    for (const reply of replies) expect(reply).toEqual({ jobId: item.id, result });
  });

  it('keeps a carrier’s results only for replies that cross Redis: one handed over in this process needs none', async () => {
    const redis = await startPrivateRedis();
    closers.push(() => redis.stop());
    const prefix = uniquePrefix();
    const keys = redisKeys(prefix);
    const commands = new Redis(redis.url, { maxRetriesPerRequest: 1, commandTimeout: 1000 });
    closers.push(async () => commands.disconnect());
    const handedOver: SendReply[] = [];
    const local = { channel: () => 'replies:ingress-local', deliver: (replies: SendReply[]) => handedOver.push(...replies) };
    const writer = new SendOutcomeWriter(commands, keys, 600, { local });
    const resultsKey = `${prefix}:lane:{test.0}:results:carrier-1`;
    const send = (id: string, wamid: string): [SendItem, SendResult] => [
      { id, stackId: 'stack-a', endpoint: 'messages', payload: { to: '+15550001111' }, receivedAt: Date.now() },
      { ...result, body: { messages: [{ id: wamid }] }, wamid },
    ];
    const [localItem, localResult] = send('batch-1.0', 'wamid.LOCAL');
    const [remoteItem, remoteResult] = send('batch-2.0', 'wamid.REMOTE');

    await Promise.all([
      writer.write(localItem, 'replies:ingress-local', localResult, logger, [], resultsKey),
      writer.write(remoteItem, 'replies:ingress-2', remoteResult, logger, [], resultsKey),
    ]);

    expect(handedOver).toEqual([{ jobId: localItem.id, result: localResult }]);
    expect(await commands.hkeys(resultsKey)).toEqual([remoteItem.id]);
    // Both are in the ledger all the same.
    expect(await commands.exists(keys.ledger('wamid.LOCAL'), keys.ledger('wamid.REMOTE'))).toBe(2);
  });

  it('writes the results of sends a carrier finished in separate ticks in one HSET, and their replies at once', async () => {
    const redis = await startPrivateRedis();
    closers.push(() => redis.stop());
    const prefix = uniquePrefix();
    const commands = new Redis(redis.url, { maxRetriesPerRequest: 1, commandTimeout: 1000 });
    closers.push(async () => commands.disconnect());
    const writer = new SendOutcomeWriter(commands, redisKeys(prefix), 600);
    const resultsKey = `${prefix}:lane:{test.0}:results:carrier-1`;
    const item = (id: string): SendItem => ({ id, stackId: 'stack-a', endpoint: 'messages', payload: { to: '+15550001111' }, receivedAt: Date.now() });
    await commands.config('RESETSTAT');
    const first = writer.write(item('batch-1.0'), 'replies:ingress-2', result, logger, [], resultsKey);
    await new Promise((r) => setImmediate(r));
    const second = writer.write(item('batch-2.0'), 'replies:ingress-2', result, logger, [], resultsKey);
    await Promise.all([first, second]);
    const calls = await commandStats(commands);
    expect(calls.publish).toBe(2);
    expect(calls.hset).toBe(1);
    expect((await commands.hkeys(resultsKey)).sort()).toEqual(['batch-1.0', 'batch-2.0']);
  });

  it('gives up after its retry window while Redis stays away, so that a batch never waits forever', async () => {
    const redis = await startPrivateRedis();
    const prefix = uniquePrefix();
    const commands = new Redis(redis.url, { maxRetriesPerRequest: 1, commandTimeout: 1000 });
    commands.on('error', () => undefined);
    closers.push(async () => commands.disconnect());
    await commands.ping();
    await redis.stop();

    const writer = new SendOutcomeWriter(commands, redisKeys(prefix), 600, { retryMs: 1500 });
    const started = Date.now();
    await writer.write(finishedSend(prefix), 'replies:ingress-1', result, logger, [], `${prefix}:results`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
  });
});
