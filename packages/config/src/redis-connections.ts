import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { ConfigError } from './env.ts';
import { redisOptionsFromUrl } from './redis.ts';

export interface RedisEnv {
  REDIS_URL: string;
  /** `host:port,host:port`: seed nodes of a Redis Cluster; unset, one Redis at REDIS_URL. */
  REDIS_CLUSTER_NODES?: string;
}

export interface ClusterNode {
  host: string;
  port: number;
}

export function parseClusterNodes(value: string | undefined): ClusterNode[] {
  if (!value?.trim()) return [];
  return value
    .split(',')
    .map((node) => node.trim())
    .filter(Boolean)
    .map((node) => {
      const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(node);
      if (!match) throw new ConfigError(`REDIS_CLUSTER_NODES: "${node}" is not host:port`);
      return { host: match[1]!, port: Number(match[2]) };
    });
}

/**
 * What BullMQ's `connection` accepts: its own option types are looser than
 * ioredis's, so the config package (which does not depend on bullmq) hands
 * over an untyped bag; at run time it is RedisOptions or a Cluster.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type BullConnection = Record<string, any>;

/** Options of one role; `enableOfflineQueue` applies to the whole Cluster in cluster mode. */
export type RoleOptions = RedisOptions;

/**
 * Redis connections by role, for one Redis (REDIS_URL) or a Redis Cluster
 * (REDIS_CLUSTER_NODES; user, password and TLS still come from REDIS_URL).
 * In a cluster every key must share one hash slot: give REDIS_KEY_PREFIX a hash
 * tag such as `{gw}`, so BullMQ's scripts and ours touch one node at a time.
 */
export function redisConnections(env: RedisEnv) {
  const single = redisOptionsFromUrl(env.REDIS_URL);
  const nodes = parseClusterNodes(env.REDIS_CLUSTER_NODES);
  const { host: _host, port: _port, db: _db, ...credentials } = single;

  const newCluster = (options: RoleOptions): Cluster => {
    const { enableOfflineQueue, ...perNode } = options;
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue: enableOfflineQueue ?? true,
      enableReadyCheck: true,
      slotsRefreshTimeout: 2000,
      redisOptions: { ...credentials, ...perNode },
    };
    return new Cluster(nodes, clusterOptions);
  };

  return {
    isCluster: nodes.length > 0,
    nodes,
    /**
     * A command or subscriber connection of our own. A Cluster answers the same
     * commands (pub/sub messages reach every node), so it is typed as Redis and
     * every consumer takes either.
     */
    client(options: RoleOptions = {}): Redis {
      return nodes.length > 0 ? (newCluster(options) as unknown as Redis) : new Redis({ ...single, ...options });
    },
    /**
     * BullMQ's `connection`: plain options for one Redis (BullMQ opens and closes
     * its own clients), or a Cluster client that BullMQ shares and duplicates for
     * blocking reads. Workers need `maxRetriesPerRequest: null` either way.
     */
    bullmq(options: RoleOptions = {}): BullConnection {
      return nodes.length > 0 ? newCluster(options) : { ...single, ...options };
    },
  };
}
export type RedisConnections = ReturnType<typeof redisConnections>;
