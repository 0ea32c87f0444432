import { describe, expect, it } from 'vitest';
import { judgeRedisDurability } from './redis-checks.ts';
import { redisConnections } from './redis-connections.ts';

describe('start-up check of Redis', () => {
  it.each([
    [{ maxmemoryPolicy: 'allkeys-lru', aofEnabled: true, rdbScheduled: true }, 'error', /maxmemory-policy allkeys-lru/],
    [{ maxmemoryPolicy: 'volatile-ttl', aofEnabled: false, rdbScheduled: false }, 'error', /maxmemory-policy volatile-ttl/],
    [{ maxmemoryPolicy: 'noeviction', aofEnabled: false, rdbScheduled: false }, 'warning', /keeps nothing on disk/],
    [{ maxmemoryPolicy: 'noeviction', aofEnabled: true, rdbScheduled: false }, undefined, undefined],
    [{ maxmemoryPolicy: 'noeviction', aofEnabled: false, rdbScheduled: true }, undefined, undefined],
    // CONFIG refused (managed Redis): nothing known about snapshots, so no warning.
    [{ maxmemoryPolicy: 'noeviction', aofEnabled: false, rdbScheduled: undefined }, undefined, undefined],
  ] as const)('%o gives %s', (durability, kind, message) => {
    const verdict = judgeRedisDurability('10.0.0.5:6379', durability);
    expect(Object.keys(verdict)).toEqual(kind ? [kind] : []);
    if (kind) expect(verdict[kind]).toMatch(message!);
  });
});

describe('Redis through Sentinels', () => {
  it('asks the Sentinels for the named primary, with the credentials of REDIS_URL', () => {
    const redis = redisConnections({ REDIS_URL: 'redis://:secret@127.0.0.1:6379/3', REDIS_SENTINELS: '10.0.0.1:26379, 10.0.0.2:26380', REDIS_SENTINEL_NAME: 'gw-primary' });
    expect(redis.isSentinel).toBe(true);
    const options = redis.bullmq({ maxRetriesPerRequest: null });
    expect(options).toMatchObject({
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
      ],
      name: 'gw-primary',
      password: 'secret',
      db: 3,
      maxRetriesPerRequest: null,
    });
    expect(options.host).toBeUndefined();
  });

  it('refuses Sentinels and a Cluster together, and names a bad node', () => {
    expect(() => redisConnections({ REDIS_URL: 'redis://127.0.0.1', REDIS_SENTINELS: 'a:1', REDIS_CLUSTER_NODES: 'b:2' })).toThrow(/not both/);
    expect(() => redisConnections({ REDIS_URL: 'redis://127.0.0.1', REDIS_SENTINELS: 'nohost' })).toThrow(/REDIS_SENTINELS: "nohost" is not host:port/);
  });
});
