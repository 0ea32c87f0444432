import { closeRedis, loadStacks, readStacksFile, type RedisConnections, type StackDirectory } from '@gw/config';
import type { RedisKeys } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import { LiveStackDirectory } from './live-directory.ts';
import { StackStore } from './stack-store.ts';
import { sealFileStack } from './stored-stack.ts';

export interface StacksSettings {
  STACKS_FILE?: string;
  STACKS_ENCRYPTION_KEY?: Buffer;
  STACKS_ENCRYPTION_KEY_PREVIOUS?: Buffer[];
  STACKS_REFRESH_MS: number;
}

export interface OpenStacksOptions {
  env: StacksSettings;
  keys: RedisKeys;
  /** The app's connections: the store opens a command and a subscriber connection of its own. */
  redis: Pick<RedisConnections, 'client'>;
  logger: Logger;
}

/** The stacks of this process: file-only, or the Redis store when STACKS_ENCRYPTION_KEY is set. */
export interface Stacks {
  directory: StackDirectory;
  /** Present in store mode: the admin API writes through it. */
  store?: { store: StackStore; encryptionKey: Buffer; live: LiveStackDirectory };
  /** Called after the set of stacks changed (never in file mode). */
  onChange(listener: () => void): void;
  close(): Promise<void>;
}

export async function openStacks({ env, keys, redis, logger }: OpenStacksOptions): Promise<Stacks> {
  if (!env.STACKS_ENCRYPTION_KEY) {
    const directory = loadStacks(env.STACKS_FILE!);
    return { directory, onChange: () => undefined, close: () => Promise.resolve() };
  }
  const encryptionKey = env.STACKS_ENCRYPTION_KEY;
  const commands = redis.client({ maxRetriesPerRequest: 1, commandTimeout: 2000 });
  const subscriber = redis.client({ maxRetriesPerRequest: null });
  for (const [role, connection] of [
    ['stacks', commands],
    ['stacks-subscriber', subscriber],
  ] as const) {
    connection.on('error', (error: Error) => logger.warn({ err: error.message }, `redis (${role}) error`));
  }
  const store = new StackStore(commands, keys);
  if (env.STACKS_FILE) await seedFromFile(store, encryptionKey, env.STACKS_FILE, logger);
  const live = new LiveStackDirectory({
    store,
    encryptionKey,
    previousKeys: env.STACKS_ENCRYPTION_KEY_PREVIOUS,
    subscriber,
    channel: keys.stacksChanged(),
    refreshMs: env.STACKS_REFRESH_MS,
    logger,
  });
  await live.start();
  logger.info({ stacks: live.directory.all().length }, 'stacks loaded from Redis');
  return {
    directory: live.directory,
    store: { store, encryptionKey, live },
    onChange: (listener) => live.onChange(listener),
    async close() {
      await live.close();
      await closeRedis(commands);
    },
  };
}

/** Inserts the file's stacks whose ids Redis never had; every process may do it at start. */
async function seedFromFile(store: StackStore, key: Buffer, file: string, logger: Logger): Promise<void> {
  const counts = { seeded: 0, known: 0 };
  for (const input of readStacksFile(file)) {
    const outcome = await store.seed(sealFileStack(key, input));
    if (outcome === 'ok') counts.seeded += 1;
    else if (outcome === 'exists' || outcome === 'seeded_before') counts.known += 1;
    else logger.warn({ stackId: input.id, reason: outcome }, 'STACKS_FILE stack not seeded: its phone number or API key belongs to another stack');
  }
  logger.info(counts, 'stacks seeded from STACKS_FILE');
}
