import type { Redis } from 'ioredis';
import type { RedisKeys } from '@gw/contracts';
import type { StoredStack } from './stored-stack.ts';

/**
 * One atomic write of a stack record and its two uniqueness indexes.
 * ARGV[2] says what the caller expects: `absent` (create), `seed` (create once
 * per id, ever) or the version it read (update/delete: compare and set).
 * ARGV[3] is the new record, or empty to delete.
 */
const PUT_STACK = `
local id = ARGV[1]
local expect = ARGV[2]
local current = redis.call('HGET', KEYS[1], id)
if expect == 'seed' then
  if redis.call('SISMEMBER', KEYS[4], id) == 1 then return 'seeded_before' end
  if current then
    redis.call('SADD', KEYS[4], id)
    return 'exists'
  end
elseif expect == 'absent' then
  if current then return 'exists' end
else
  if not current then return 'missing' end
  if tostring(cjson.decode(current).version) ~= expect then return 'conflict' end
end
local nextRecord = nil
if ARGV[3] ~= '' then
  nextRecord = cjson.decode(ARGV[3])
  local owner = redis.call('HGET', KEYS[3], nextRecord.phoneNumberId)
  if owner and owner ~= id then return 'phone_taken' end
  for _, k in ipairs(nextRecord.apiKeys) do
    owner = redis.call('HGET', KEYS[2], k.hash)
    if owner and owner ~= id then return 'key_taken' end
  end
end
if current then
  local old = cjson.decode(current)
  if redis.call('HGET', KEYS[3], old.phoneNumberId) == id then redis.call('HDEL', KEYS[3], old.phoneNumberId) end
  for _, k in ipairs(old.apiKeys) do
    if redis.call('HGET', KEYS[2], k.hash) == id then redis.call('HDEL', KEYS[2], k.hash) end
  end
end
if nextRecord then
  redis.call('HSET', KEYS[1], id, ARGV[3])
  redis.call('HSET', KEYS[3], nextRecord.phoneNumberId, id)
  for _, k in ipairs(nextRecord.apiKeys) do redis.call('HSET', KEYS[2], k.hash, id) end
else
  redis.call('HDEL', KEYS[1], id)
end
if expect == 'seed' then redis.call('SADD', KEYS[4], id) end
return 'ok'
`;

export type PutOutcome = 'ok' | 'exists' | 'seeded_before' | 'missing' | 'conflict' | 'phone_taken' | 'key_taken';
export type ChangeOutcome = { kind: 'ok'; record: StoredStack } | { kind: Exclude<PutOutcome, 'ok' | 'conflict' | 'exists' | 'seeded_before'> };

interface StackStoreRedis extends Redis {
  putStack(stacks: string, byKey: string, byPhone: string, seeded: string, id: string, expect: string, record: string): Promise<PutOutcome>;
}

const MAX_CAS_TRIES = 5;

/**
 * Stacks in Redis: one hash of records plus indexes that keep phone numbers and
 * API keys unique across stacks. Every successful write is announced on the
 * change channel so every process reloads. In a Redis Cluster the keys share
 * the prefix's hash tag, so the script touches one slot.
 */
export class StackStore {
  private readonly redis: StackStoreRedis;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    redis.defineCommand('putStack', { numberOfKeys: 4, lua: PUT_STACK });
    this.redis = redis as StackStoreRedis;
  }

  async list(): Promise<StoredStack[]> {
    const all = await this.redis.hgetall(this.keys.stacks());
    return Object.values(all)
      .map((raw) => JSON.parse(raw) as StoredStack)
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  async get(id: string): Promise<StoredStack | undefined> {
    const raw = await this.redis.hget(this.keys.stacks(), id);
    return raw ? (JSON.parse(raw) as StoredStack) : undefined;
  }

  /** 'ok', or why not: the id exists, or the phone number or API key belongs to another stack. */
  async create(record: StoredStack): Promise<PutOutcome> {
    return this.put(record.id, 'absent', record);
  }

  /** Inserts a STACKS_FILE stack once per id: a stack deleted later is not brought back. */
  async seed(record: StoredStack): Promise<PutOutcome> {
    return this.put(record.id, 'seed', record);
  }

  /** Read, change, write with compare-and-set; retried when another writer got there first. */
  async change(id: string, change: (current: StoredStack) => StoredStack): Promise<ChangeOutcome> {
    for (let tries = 0; tries < MAX_CAS_TRIES; tries++) {
      const current = await this.get(id);
      if (!current) return { kind: 'missing' };
      const next = change(current);
      const outcome = await this.put(id, String(current.version), next);
      if (outcome === 'ok') return { kind: 'ok', record: next };
      if (outcome === 'missing' || outcome === 'phone_taken' || outcome === 'key_taken') return { kind: outcome };
    }
    throw new Error(`stack ${id} kept changing under ${MAX_CAS_TRIES} concurrent writes; try again`);
  }

  async delete(id: string): Promise<boolean> {
    for (let tries = 0; tries < MAX_CAS_TRIES; tries++) {
      const current = await this.get(id);
      if (!current) return false;
      const outcome = await this.put(id, String(current.version), undefined);
      if (outcome === 'ok') return true;
      if (outcome === 'missing') return false;
    }
    throw new Error(`stack ${id} kept changing under ${MAX_CAS_TRIES} concurrent writes; try again`);
  }

  private async put(id: string, expect: string, record: StoredStack | undefined): Promise<PutOutcome> {
    const k = this.keys;
    const outcome = await this.redis.putStack(k.stacks(), k.stackApiKeyIndex(), k.stackPhoneIndex(), k.stacksSeeded(), id, expect, record ? JSON.stringify(record) : '');
    if (outcome === 'ok') await this.redis.publish(k.stacksChanged(), id).catch(() => undefined);
    return outcome;
  }
}
