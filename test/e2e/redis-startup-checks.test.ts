import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTRY_POINTS, startPrivateRedis, startService, type PrivateRedis } from '@gw/process-tools';
import { makeStack, startGateway, startSimulator, type Simulator } from '../support/harness.ts';

let redis: PrivateRedis;
let admin: Redis;
let sim: Simulator;
const stack = makeStack();

beforeAll(async () => {
  redis = await startPrivateRedis();
  admin = new Redis(redis.url);
  sim = await startSimulator();
});

afterAll(async () => {
  admin?.disconnect();
  await sim?.stop();
  await redis?.stop();
});

describe('start-up checks of Redis', () => {
  it('refuses to start the worker and the ingress on a Redis that evicts keys, naming the setting', async () => {
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const failure = startGateway({ stacks: [stack], metaUrl: sim.url, redisUrl: redis.url }).then(
      () => 'started',
      (error: Error) => error.message,
    );
    expect(await failure).toMatch(/exited with 1 before it was ready[\s\S]*maxmemory-policy allkeys-lru[\s\S]*noeviction/);

    const env = {
      ...process.env,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: 'gw-evicting',
      STACKS_FILE: '',
      STACKS_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      PORT: '0',
    };
    const ingress = await startService({ name: 'ingress', entry: ENTRY_POINTS.ingress, env }).then(
      () => 'started',
      (error: Error) => error.message,
    );
    expect(ingress).toMatch(/maxmemory-policy allkeys-lru/);
  });

  it('starts on noeviction, and warns only when Redis keeps nothing on disk', async () => {
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'save', '');
    await admin.config('SET', 'appendonly', 'no');
    const volatile = await startGateway({ stacks: [stack], metaUrl: sim.url, redisUrl: redis.url });
    const output = () => [...volatile.workers, ...volatile.ingresses].map((s) => s.output.join('')).join('');
    try {
      expect(output()).toMatch(/keeps nothing on disk/);
    } finally {
      await volatile.stop();
    }

    await admin.config('SET', 'appendonly', 'yes');
    const durable = await startGateway({ stacks: [stack], metaUrl: sim.url, redisUrl: redis.url });
    try {
      expect([...durable.workers, ...durable.ingresses].map((s) => s.output.join('')).join('')).not.toMatch(/keeps nothing on disk|maxmemory-policy/);
    } finally {
      await durable.stop();
    }
  });
});
