import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Redis } from 'ioredis';
import { redisKeys } from '@gw/contracts';
import { Pacer, PacingRejected } from '../../apps/worker/src/pacer.ts';
import { uniquePrefix } from '../support/harness.ts';
import { commandStats } from '../support/redis-commands.ts';

let redis: Redis;
let stats: Redis;

beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
  stats = new Redis(inject('redisUrl'));
});
afterAll(() => {
  redis.disconnect();
  stats.disconnect();
});

async function scriptCalls(): Promise<number> {
  const calls = await commandStats(stats);
  return (calls.evalsha ?? 0) + (calls.eval ?? 0);
}

async function burst(pacer: Pacer, phone: string, rate: number, count: number) {
  const outcomes = await Promise.all(
    Array.from({ length: count }, () =>
      pacer.acquire(phone, rate).then(
        () => 'sent' as const,
        (error: unknown) => (error instanceof PacingRejected ? ('refused' as const) : Promise.reject(error)),
      ),
    ),
  );
  return { sent: outcomes.filter((o) => o === 'sent').length, refused: outcomes.filter((o) => o === 'refused').length };
}

describe('Pacer against a real Redis', () => {
  it('grants a burst no more than the bucket plus the waiting budget, at a low rate', async () => {
    const pacer = new Pacer({ redis, keys: redisKeys(uniquePrefix()), maxWaitMs: 1000, backoffMs: 500 });
    const { sent, refused } = await burst(pacer, '111', 10, 50);
    // 10 at once, then 10 per second for one second of waiting.
    expect(sent).toBeGreaterThanOrEqual(10);
    expect(sent).toBeLessThanOrEqual(21);
    expect(sent + refused).toBe(50);
  });

  it('leases tokens at a high rate so a busy number does not ask Redis once per send', async () => {
    const pacer = new Pacer({ redis, keys: redisKeys(uniquePrefix()), maxWaitMs: 1000, backoffMs: 500 });
    const before = await scriptCalls();
    let sent = 0;
    for (let round = 0; round < 10; round++) sent += (await burst(pacer, '222', 1000, 50)).sent;
    const calls = (await scriptCalls()) - before;
    expect(sent).toBe(500);
    expect(calls).toBeLessThan(250);
  });

  it('gives a burst on a quiet number its tokens in one call, not a lease doubling its way up', async () => {
    const pacer = new Pacer({ redis, keys: redisKeys(uniquePrefix()), maxWaitMs: 1000, backoffMs: 500 });
    const before = await scriptCalls();
    // 1,000 msg/s: a lease holds up to 50 tokens. Doubling from one token would take 6 calls (1, 2, 4, 8, 16, 19).
    expect((await burst(pacer, '444', 1000, 50)).sent).toBe(50);
    expect((await scriptCalls()) - before).toBe(1);
    // More than a lease holds: the rest comes in the next call.
    const more = await scriptCalls();
    expect((await burst(pacer, '555', 1000, 80)).sent).toBe(80);
    expect((await scriptCalls()) - more).toBe(2);
  });

  it('holds a number back after a 130429 and drops its lease', async () => {
    const pacer = new Pacer({ redis, keys: redisKeys(uniquePrefix()), maxWaitMs: 100, backoffMs: 400 });
    await pacer.acquire('333', 1000);
    await pacer.backOff('333');
    await expect(pacer.acquire('333', 1000)).rejects.toBeInstanceOf(PacingRejected);
  });

  it('holds the number back for every worker sharing its bucket, and only for the back-off', async () => {
    const keys = redisKeys(uniquePrefix());
    const first = new Pacer({ redis, keys, maxWaitMs: 100, backoffMs: 400 });
    const second = new Pacer({ redis, keys, maxWaitMs: 100, backoffMs: 400 });
    await first.acquire('666', 1000);
    await first.backOff('666');
    await expect(second.acquire('666', 1000)).rejects.toBeInstanceOf(PacingRejected);
    // Once its end is in reach of maxWaitMs, a slot is granted again.
    await new Promise((r) => setTimeout(r, 350));
    await second.acquire('666', 1000);
    expect(await redis.pttl(keys.paceBucket('666'))).toBeGreaterThan(0);
  });
});
