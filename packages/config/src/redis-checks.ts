import type { Cluster, Redis } from 'ioredis';
import { ConfigError } from './env.ts';
import { closeRedis } from './close-redis.ts';
import type { RedisConnections } from './redis-connections.ts';

/** The fields of `INFO` the start-up check reads. */
export interface RedisDurability {
  /** `maxmemory-policy`: anything but `noeviction` may drop queued sends and webhooks. */
  maxmemoryPolicy?: string;
  aofEnabled: boolean;
  /** RDB snapshots scheduled (`save` not empty); undefined where CONFIG is not allowed (some managed Redis). */
  rdbScheduled?: boolean;
}

/** What start-up makes of a Redis: an error that stops the process, or a warning. Pure. */
export function judgeRedisDurability(node: string, d: RedisDurability): { error?: string; warning?: string } {
  if (d.maxmemoryPolicy && d.maxmemoryPolicy !== 'noeviction') {
    return {
      error:
        `Redis at ${node} evicts keys under memory pressure (maxmemory-policy ${d.maxmemoryPolicy}), and queued sends, ` +
        'webhooks and idempotency records live there. Set maxmemory-policy noeviction (redis.conf, or CONFIG SET maxmemory-policy noeviction).',
    };
  }
  if (!d.aofEnabled && d.rdbScheduled === false) {
    return {
      warning: `Redis at ${node} keeps nothing on disk (no AOF, no RDB snapshots): a Redis restart loses queued sends and webhooks. ` + 'Turn on appendonly yes for production.',
    };
  }
  return {};
}

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

async function readDurability(node: Redis): Promise<RedisDurability> {
  const info = (await node.info('memory')) + (await node.info('persistence'));
  let rdbScheduled: boolean | undefined;
  try {
    const [, save] = (await node.config('GET', 'save')) as [string, string];
    rdbScheduled = save.trim() !== '';
  } catch {
    rdbScheduled = undefined;
  }
  return { maxmemoryPolicy: infoField(info, 'maxmemory_policy'), aofEnabled: infoField(info, 'aof_enabled') === '1', rdbScheduled };
}

/**
 * Start-up check of every primary the gateway writes to: throws a ConfigError
 * when Redis may evict keys, warns when it keeps nothing on disk.
 */
export async function checkRedisForQueues(redis: RedisConnections, warn: (message: string) => void): Promise<void> {
  const client = redis.client({ maxRetriesPerRequest: 2, enableOfflineQueue: true });
  try {
    const primaries = redis.isCluster ? await clusterPrimaries(client as unknown as Cluster) : [client];
    for (const node of primaries) {
      const verdict = judgeRedisDurability(describeNode(node), await readDurability(node));
      if (verdict.error) throw new ConfigError(verdict.error);
      if (verdict.warning) warn(verdict.warning);
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    // Redis not reachable yet: the process waits for it as before; the check runs at the next start.
    warn(`could not check Redis's eviction and persistence settings: ${(error as Error).message}`);
  } finally {
    await closeRedis(client);
  }
}

function describeNode(node: Redis): string {
  const { sentinels, name, host, port } = node.options;
  return sentinels?.length ? `the primary "${name}" (through Sentinels)` : `${host}:${port}`;
}

async function clusterPrimaries(cluster: Cluster): Promise<Redis[]> {
  if (cluster.status !== 'ready') await new Promise((resolve, reject) => cluster.once('ready', resolve).once('error', reject));
  return cluster.nodes('master');
}
