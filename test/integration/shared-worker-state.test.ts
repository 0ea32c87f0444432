import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Redis } from 'ioredis';
import { redisKeys } from '@gw/contracts';
import { createLogger } from '@gw/logger';
import { KeyedCircuitBreaker } from '@gw/routing';
import { BreakerSync } from '../../apps/worker/src/breaker-sync.ts';
import { StackSlots } from '../../apps/worker/src/webhooks/stack-slots.ts';
import { uniquePrefix } from '../support/harness.ts';
import { waitFor } from '../support/assertions.ts';

const connections: Redis[] = [];
const connect = () => {
  const redis = new Redis(inject('redisUrl'));
  connections.push(redis);
  return redis;
};
let redis: Redis;

beforeAll(() => {
  redis = connect();
});
afterAll(() => {
  for (const c of connections) c.disconnect();
});

describe('webhook delivery slots shared by workers', () => {
  it('give a stack at most its share across two workers, and each stack its own', async () => {
    const keys = redisKeys(uniquePrefix());
    const first = new StackSlots(connect(), keys, 2, 5000, () => 0.5);
    const second = new StackSlots(connect(), keys, 2, 5000, () => 0.5);
    const a1 = await first.tryAcquire('a');
    const a2 = await second.tryAcquire('a');
    expect([a1, a2].every(Boolean)).toBe(true);
    expect(await first.tryAcquire('a')).toBeUndefined();
    expect(await second.tryAcquire('a')).toBeUndefined();
    expect(await second.tryAcquire('b')).toBeDefined();
    await first.release('a', a1!, 10);
    expect(await second.tryAcquire('a')).toBeDefined();
    expect(await redis.ttl(keys.webhookSlots('a'))).toBeGreaterThan(0);
  });

  it('make a stack over its share wait about as long as its deliveries take, within bounds', async () => {
    const slots = new StackSlots(connect(), redisKeys(uniquePrefix()), 1, 5000, () => 0.5);
    expect(slots.waitMs('new')).toBe(100);
    await slots.release('fast', (await slots.tryAcquire('fast'))!, 20);
    expect(slots.waitMs('fast')).toBe(100);
    await slots.release('hanging', (await slots.tryAcquire('hanging'))!, 5000);
    expect(slots.waitMs('hanging')).toBe(5000);
  });
});

describe('the MM circuit breaker shared by workers', () => {
  const logger = createLogger({ name: 'test', level: 'silent' });
  function worker(keys: ReturnType<typeof redisKeys>) {
    const sync: BreakerSync = new BreakerSync({ breaker: () => breaker, commands: connect(), subscriber: connect(), keys, refreshMs: 60_000, logger });
    const breaker = new KeyedCircuitBreaker({ failureThreshold: 2, openMs: 60_000, onOpen: (w, until) => sync.opened(w, until), onClose: (w) => sync.closed(w) });
    return { breaker, sync };
  }

  it('is open in every worker once one opens it, for a worker started later too, and closed in all when one closes it', async () => {
    const keys = redisKeys(uniquePrefix());
    const a = worker(keys);
    const b = worker(keys);
    await a.sync.start();
    await b.sync.start();
    a.breaker.failure('waba-1');
    expect(b.breaker.allows('waba-1')).toBe(true);
    a.breaker.failure('waba-1');
    expect(a.breaker.allows('waba-1')).toBe(false);
    await waitFor('the other worker to see the open circuit', async () => b.breaker.state('waba-1') === 'open');
    expect(b.breaker.allows('waba-1')).toBe(false);
    expect(b.breaker.allows('waba-2')).toBe(true);

    const late = worker(keys);
    await late.sync.start();
    expect(late.breaker.allows('waba-1')).toBe(false);

    // A closes it (say its half-open trial succeeded): every worker closes.
    a.breaker.success('waba-1');
    await waitFor('the close to reach both', async () => b.breaker.state('waba-1') === 'closed' && late.breaker.state('waba-1') === 'closed');
    expect(await redis.hgetall(keys.mmBreaker())).toEqual({});
    for (const w of [a, b, late]) await w.sync.close();
  });
});
