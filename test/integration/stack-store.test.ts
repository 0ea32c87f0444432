import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { redisKeys } from '@gw/contracts';
import { applyChange, generateApiKey, newStackSchema, rotateApiKey, sealStack, StackStore, type StoredStack } from '@gw/stack-store';
import { uniquePrefix } from '../support/harness.ts';

const key = randomBytes(32);
const keys = redisKeys(uniquePrefix());
let redis: Redis;
let subscriber: Redis;
let store: StackStore;
const announced: string[] = [];

const record = (id: string, phoneNumberId: string, apiKey = generateApiKey(), source: StoredStack['source'] = 'api') =>
  sealStack(key, { ...newStackSchema.parse({ id, phoneNumberId, wabaId: '77', accessToken: `token-${id}` }), apiKey }, source);

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'));
  subscriber = new Redis(inject('redisUrl'));
  subscriber.on('message', (_channel: string, id: string) => announced.push(id));
  await subscriber.subscribe(keys.stacksChanged());
  store = new StackStore(redis, keys);
});

afterAll(async () => {
  await subscriber?.quit();
  await redis?.quit();
});

describe('the stack store in Redis', () => {
  it('creates a stack once and refuses a second stack with the same id, phone number or API key', async () => {
    const shared = generateApiKey();
    expect(await store.create(record('a', '100', shared))).toBe('ok');
    expect(await store.create(record('a', '101'))).toBe('exists');
    expect(await store.create(record('b', '100'))).toBe('phone_taken');
    expect(await store.create(record('b', '101', shared))).toBe('key_taken');
    expect((await store.list()).map((s) => s.id)).toEqual(['a']);
  });

  it('announces every write on the change channel', async () => {
    await store.create(record('c', '300'));
    await store.delete('c');
    await new Promise((r) => setTimeout(r, 100));
    expect(announced).toEqual(expect.arrayContaining(['a', 'c']));
  });

  it('moves the phone number index with an update, freeing the old number', async () => {
    const outcome = await store.change('a', (current) => applyChange(key, current, { phoneNumberId: '102' }));
    expect(outcome.kind).toBe('ok');
    expect(await redis.hget(keys.stackPhoneIndex(), '100')).toBeNull();
    expect(await redis.hget(keys.stackPhoneIndex(), '102')).toBe('a');
    expect(await store.create(record('d', '100'))).toBe('ok');
    expect((await store.change('a', (current) => applyChange(key, current, { phoneNumberId: '100' }))).kind).toBe('phone_taken');
  });

  it('keeps both writes of two concurrent changes (compare and set, retried)', async () => {
    const before = (await store.get('a'))!.version;
    await Promise.all([
      store.change('a', (current) => applyChange(key, current, { mmRouting: false })),
      store.change('a', (current) => applyChange(key, current, { messagesPerSecond: 250 })),
    ]);
    const after = (await store.get('a'))!;
    expect(after).toMatchObject({ mmRouting: false, messagesPerSecond: 250, version: before + 2 });
  });

  it('indexes a rotated key and drops the index entries of a deleted stack', async () => {
    const next = generateApiKey();
    const outcome = await store.change('a', (current) => rotateApiKey(current, next, 60));
    expect(outcome.kind).toBe('ok');
    expect(Object.values(await redis.hgetall(keys.stackApiKeyIndex())).filter((id) => id === 'a')).toHaveLength(2);
    expect(await store.delete('a')).toBe(true);
    expect(Object.values(await redis.hgetall(keys.stackApiKeyIndex()))).not.toContain('a');
    expect(await store.delete('a')).toBe(false);
  });

  it('seeds a file stack once per id, ever: a deleted seeded stack is not seeded again', async () => {
    expect(await store.seed(record('file', '500', generateApiKey(), 'file'))).toBe('ok');
    expect(await store.seed(record('file', '500', generateApiKey(), 'file'))).toBe('seeded_before');
    await store.delete('file');
    expect(await store.seed(record('file', '500', generateApiKey(), 'file'))).toBe('seeded_before');
    expect(await store.get('file')).toBeUndefined();
  });
});
