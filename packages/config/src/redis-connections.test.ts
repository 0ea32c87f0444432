import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { onlineReplicas, parseClusterNodes, redisConnections } from './redis-connections.ts';

describe('Redis connections by role', () => {
  it('reads REDIS_CLUSTER_NODES as host:port pairs', () => {
    expect(parseClusterNodes('127.0.0.1:7000, 127.0.0.1:7001,[::1]:7002')).toEqual([
      { host: '127.0.0.1', port: 7000 },
      { host: '127.0.0.1', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(parseClusterNodes(undefined)).toEqual([]);
    expect(parseClusterNodes('  ')).toEqual([]);
  });

  it('names a malformed node', () => {
    expect(() => parseClusterNodes('127.0.0.1')).toThrow(/"127.0.0.1" is not host:port/);
  });

  it('hands BullMQ plain options for one Redis, so BullMQ owns and closes its clients', () => {
    const redis = redisConnections({ REDIS_URL: 'redis://:secret@10.0.0.5:6390/2' });
    expect(redis.isCluster).toBe(false);
    expect(redis.bullmq({ maxRetriesPerRequest: null })).toMatchObject({ host: '10.0.0.5', port: 6390, db: 2, password: 'secret', maxRetriesPerRequest: null });
  });

  it('opens a Cluster client with the credentials of REDIS_URL when cluster nodes are given', () => {
    const redis = redisConnections({ REDIS_URL: 'redis://:secret@127.0.0.1:1', REDIS_CLUSTER_NODES: '127.0.0.1:1,127.0.0.1:2' });
    const client = redis.client({ lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      expect(redis.isCluster).toBe(true);
      expect(client).not.toBeInstanceOf(Redis);
      expect((client as unknown as { isCluster: boolean }).isCluster).toBe(true);
      expect((client.options as unknown as { redisOptions: Record<string, unknown> }).redisOptions).toMatchObject({ password: 'secret', maxRetriesPerRequest: 1 });
    } finally {
      client.disconnect();
    }
  });
});

describe('onlineReplicas', () => {
  it('counts the replicas a primary streams to, not those still syncing', () => {
    const info = (...replicas: string[]) =>
      [
        '# Replication',
        'role:master',
        `connected_slaves:${replicas.length}`,
        ...replicas.map((r, i) => `slave${i}:ip=127.0.0.1,port=700${i},${r}`),
        'master_repl_offset:120',
        '',
      ].join('\r\n');
    expect(onlineReplicas(info('state=online,offset=120,lag=0'))).toBe(1);
    expect(onlineReplicas(info('state=online,offset=120,lag=0', 'state=online,offset=100,lag=1'))).toBe(2);
    expect(onlineReplicas(info('state=wait_bgsave,offset=0,lag=0'))).toBe(0);
    expect(onlineReplicas(info('state=send_bulk,offset=0,lag=0', 'state=online,offset=120,lag=0'))).toBe(1);
    expect(onlineReplicas(info())).toBe(0);
    expect(onlineReplicas('# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\n')).toBe(0);
  });
});
