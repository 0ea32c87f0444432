/**
 * `pnpm stacks:rotate-key`: re-encrypts every stored stack's secrets with
 * STACKS_ENCRYPTION_KEY, opening them with it or with one of
 * STACKS_ENCRYPTION_KEY_PREVIOUS. Runs against a live gateway (same REDIS_URL and
 * REDIS_KEY_PREFIX): each stack is rewritten with compare-and-set, so an admin
 * change made meanwhile is never overwritten. Exit code 0 when every stack is on
 * the current key, 1 when one could not be opened, 2 on bad settings.
 */
import { z } from 'zod';
import { closeRedis, commonEnv, ConfigError, parseEnv, redisConnections } from '@gw/config';
import { redisKeys } from '@gw/contracts';
import { resealStack, StackStore } from '@gw/stack-store';

async function main() {
  const env = parseEnv(z.object(commonEnv), process.env);
  if (!env.STACKS_ENCRYPTION_KEY) throw new ConfigError('STACKS_ENCRYPTION_KEY is unset: it is the key the stacks are re-encrypted with.');
  const current = env.STACKS_ENCRYPTION_KEY;
  const previous = env.STACKS_ENCRYPTION_KEY_PREVIOUS ?? [];
  const redis = redisConnections(env);
  const commands = redis.client({ maxRetriesPerRequest: 2 });
  const store = new StackStore(commands, redisKeys(env.REDIS_KEY_PREFIX));
  const counts = { reencrypted: 0, current: 0, deleted: 0, unreadable: 0 };
  const said = { reencrypted: 're-encrypted', current: 'already on the current key', deleted: 'deleted meanwhile', unreadable: 'unreadable' };
  try {
    const records = await store.list();
    console.log(`Re-encrypting the secrets of ${records.length} stack(s) with the current STACKS_ENCRYPTION_KEY.`);
    for (const [i, record] of records.entries()) {
      let outcome: keyof typeof counts;
      try {
        if (!resealStack(current, previous, record)) outcome = 'current';
        else {
          // Compare-and-set on the latest version: an admin change made meanwhile is kept.
          const written = await store.change(record.id, (latest) => resealStack(current, previous, latest) ?? latest);
          outcome = written.kind === 'ok' ? 'reencrypted' : 'deleted';
        }
      } catch (error) {
        outcome = 'unreadable';
        console.error(`  stack ${record.id}: ${(error as Error).message}`);
      }
      counts[outcome] += 1;
      console.log(`  [${i + 1}/${records.length}] ${record.id}: ${said[outcome]}`);
    }
  } finally {
    await closeRedis(commands);
  }
  console.log(
    `Done: ${Object.entries(counts)
      .map(([k, n]) => `${n} ${said[k as keyof typeof counts]}`)
      .join(', ')}.`,
  );
  if (counts.unreadable > 0) {
    console.log('Unreadable stacks were sealed with a key that is in neither STACKS_ENCRYPTION_KEY nor STACKS_ENCRYPTION_KEY_PREVIOUS.');
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
