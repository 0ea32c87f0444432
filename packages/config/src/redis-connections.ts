import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { ConfigError } from './env.ts';
import { redisOptionsFromUrl } from './redis.ts';

export interface RedisEnv {
  REDIS_URL: string;
  /** `host:port,host:port`: seed nodes of a Redis Cluster; unset, one Redis at REDIS_URL. */
  REDIS_CLUSTER_NODES?: string;
  /** `host:port,host:port`: Redis Sentinels that name the current primary; unset, one Redis at REDIS_URL. */
  REDIS_SENTINELS?: string;
  /** The primary's name the Sentinels monitor (`mymaster`). */
  REDIS_SENTINEL_NAME?: string;
  /** Password of the Sentinels themselves, when they ask for one (the primary's comes from REDIS_URL). */
  REDIS_SENTINEL_PASSWORD?: string;
}

export interface ClusterNode {
  host: string;
  port: number;
}

export function parseClusterNodes(value: string | undefined, variable = 'REDIS_CLUSTER_NODES'): ClusterNode[] {
  if (!value?.trim()) return [];
  return value
    .split(',')
    .map((node) => node.trim())
    .filter(Boolean)
    .map((node) => {
      const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(node);
      if (!match) throw new ConfigError(`${variable}: "${node}" is not host:port`);
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
 * Redis connections by role, for one Redis (REDIS_URL), a Redis Cluster
 * (REDIS_CLUSTER_NODES) or a primary found through Sentinels (REDIS_SENTINELS,
 * REDIS_SENTINEL_NAME); user, password and TLS always come from REDIS_URL.
 * In a cluster every key must share one hash slot: give REDIS_KEY_PREFIX a hash
 * tag such as `{gw}`, so BullMQ's scripts and ours touch one node at a time.
 */
export function redisConnections(env: RedisEnv) {
  const fromUrl = redisOptionsFromUrl(env.REDIS_URL);
  const nodes = parseClusterNodes(env.REDIS_CLUSTER_NODES);
  const sentinels = parseClusterNodes(env.REDIS_SENTINELS, 'REDIS_SENTINELS');
  if (nodes.length > 0 && sentinels.length > 0) throw new ConfigError('REDIS_CLUSTER_NODES and REDIS_SENTINELS: set one of them, not both');
  const { host: _host, port: _port, db: _db, ...credentials } = fromUrl;
  // With Sentinels, ioredis asks them for the current primary on every (re)connection, so a
  // failover moves every connection, BullMQ's included, to the promoted replica.
  const single: RedisOptions =
    sentinels.length > 0
      ? {
          ...credentials,
          db: fromUrl.db,
          sentinels,
          name: env.REDIS_SENTINEL_NAME || 'mymaster',
          sentinelPassword: env.REDIS_SENTINEL_PASSWORD || undefined,
          // A demoted primary answers READONLY until the Sentinels have told everyone: reconnect and resend.
          reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
        }
      : fromUrl;

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
    isSentinel: sentinels.length > 0,
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

/** What ReplicaAck needs of a connection: WAIT, and INFO to tell a replica that lags from none. */
export interface ReplicatedConnection {
  wait(replicas: number, timeoutMs: number): Promise<number>;
  info(section: 'replication'): Promise<string>;
}

/**
 * The replicas a primary streams its writes to (`INFO replication`: `slave0:ip=…,state=online,…`). One that is
 * still syncing (a full sync can take minutes) acknowledges nothing until it is done: it counts as none.
 */
export const onlineReplicas = (info: string): number => info.split('\n').filter((line) => /^slave\d+:.*\bstate=online\b/.test(line)).length;

/**
 * With Sentinels there is a replica, and a failover loses what the primary
 * acknowledged but had not replicated yet: writes that must survive one (a stored
 * webhook before Meta's 200, a send's start before Meta is called) WAIT for a
 * replica on the connection that made them. A healthy replica answers in about a
 * millisecond. One that lags is waited for, up to `lagMs`; when none is online (the
 * other node is down or still syncing), or one lagged longer, waiting is skipped for a
 * while, since WAIT holds the whole connection.
 */
export class ReplicaAck {
  private skipUntil = 0;

  constructor(
    private readonly timeoutMs = 100,
    private readonly skipMs = 5000,
    private readonly lagMs = 2000,
  ) {}

  /**
   * true once a replica has everything `connection` wrote; false when none confirmed it: no replica is
   * online, one lagged more than `lagMs`, or waiting is being skipped. Rejects when the connection fails.
   */
  async confirm(connection: ReplicatedConnection): Promise<boolean> {
    if (Date.now() < this.skipUntil) return false;
    const giveUpAt = Date.now() + this.lagMs;
    for (;;) {
      if ((await connection.wait(1, this.timeoutMs)) >= 1) return true;
      if (onlineReplicas(await connection.info('replication')) === 0 || Date.now() >= giveUpAt) {
        this.skipUntil = Date.now() + this.skipMs;
        return false;
      }
    }
  }
}
