import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { hashApiKey, stackSchema, type StackEntry, type StackInput } from '@gw/config';
import { open, seal } from './secret-box.ts';

/** One API key of a stored stack, by hash only. */
export interface StoredApiKey {
  hash: string;
  createdAt: number;
  /** End of the grace period of a rotated-out key (epoch ms). */
  expiresAt?: number;
}

/** A stack as Redis holds it: API keys hashed, the Meta token and webhook secret sealed. */
export interface StoredStack {
  id: string;
  /** Permanent internal id, never reused (records from before it existed: `<id>@<createdAt>`). */
  uid?: string;
  /** Bumped by every write; a write names the version it read (optimistic concurrency). */
  version: number;
  phoneNumberId: string;
  wabaId: string;
  accessToken: string;
  mmRouting: boolean;
  messagesPerSecond: number;
  webhookUrl?: string;
  webhookSecret?: string;
  apiKeys: StoredApiKey[];
  source: 'file' | 'api';
  createdAt: number;
  updatedAt: number;
}

/** What an operator may set on a new stack. `apiKey` imports an existing key; absent, one is generated. */
export const newStackSchema = stackSchema
  .omit({ apiKey: true })
  .extend({
    id: z.string().regex(/^[\w.-]{1,64}$/, 'must be 1 to 64 letters, digits, "_", "-" or "."'),
    apiKey: stackSchema.shape.apiKey.optional(),
  })
  .strict();
export type NewStack = z.infer<typeof newStackSchema>;

/** A partial update; `null` removes the webhook URL or secret. */
export const stackChangeSchema = z
  .strictObject({
    phoneNumberId: stackSchema.shape.phoneNumberId,
    wabaId: stackSchema.shape.wabaId,
    accessToken: stackSchema.shape.accessToken,
    mmRouting: z.boolean(),
    messagesPerSecond: z.number().int().min(1).max(1000),
    webhookUrl: stackSchema.shape.webhookUrl.unwrap().nullable(),
    webhookSecret: stackSchema.shape.webhookSecret.unwrap().nullable(),
  })
  .partial()
  .refine((change) => Object.keys(change).length > 0, 'must change at least one field');
export type StackChange = z.infer<typeof stackChangeSchema>;

/** A new API key: shown once, then only its hash exists. */
export function generateApiKey(): string {
  return `gwk_${randomBytes(32).toString('base64url')}`;
}

const context = (id: string, field: 'accessToken' | 'webhookSecret') => `stack:${id}:${field}`;

export function sealStack(key: Buffer, input: NewStack & { apiKey: string }, source: StoredStack['source'], now = Date.now()): StoredStack {
  return {
    id: input.id,
    uid: randomUUID(),
    version: 1,
    phoneNumberId: input.phoneNumberId,
    wabaId: input.wabaId,
    accessToken: seal(key, input.accessToken, context(input.id, 'accessToken')),
    mmRouting: input.mmRouting,
    messagesPerSecond: input.messagesPerSecond,
    ...(input.webhookUrl ? { webhookUrl: input.webhookUrl } : {}),
    ...(input.webhookSecret ? { webhookSecret: seal(key, input.webhookSecret, context(input.id, 'webhookSecret')) } : {}),
    apiKeys: [{ hash: hashApiKey(input.apiKey), createdAt: now }],
    source,
    createdAt: now,
    updatedAt: now,
  };
}

export function sealFileStack(key: Buffer, input: StackInput, now = Date.now()): StoredStack {
  return sealStack(key, input, 'file', now);
}

const live = (apiKey: StoredApiKey, now: number) => apiKey.expiresAt === undefined || apiKey.expiresAt > now;

/** The record after a change; expired API keys are dropped on the way. */
export function applyChange(key: Buffer, record: StoredStack, change: StackChange, now = Date.now()): StoredStack {
  const next: StoredStack = { ...record, version: record.version + 1, updatedAt: now, apiKeys: record.apiKeys.filter((k) => live(k, now)) };
  if (change.phoneNumberId !== undefined) next.phoneNumberId = change.phoneNumberId;
  if (change.wabaId !== undefined) next.wabaId = change.wabaId;
  if (change.mmRouting !== undefined) next.mmRouting = change.mmRouting;
  if (change.messagesPerSecond !== undefined) next.messagesPerSecond = change.messagesPerSecond;
  if (change.accessToken !== undefined) next.accessToken = seal(key, change.accessToken, context(record.id, 'accessToken'));
  if (change.webhookUrl === null) delete next.webhookUrl;
  else if (change.webhookUrl !== undefined) next.webhookUrl = change.webhookUrl;
  if (change.webhookSecret === null) delete next.webhookSecret;
  else if (change.webhookSecret !== undefined) next.webhookSecret = seal(key, change.webhookSecret, context(record.id, 'webhookSecret'));
  return next;
}

/**
 * A new API key for the record: the current keys stay valid for graceSeconds
 * (a key already on a shorter grace keeps it), so clients switch without downtime.
 */
export function rotateApiKey(record: StoredStack, newKey: string, graceSeconds: number, now = Date.now()): StoredStack {
  const until = now + graceSeconds * 1000;
  const kept = record.apiKeys
    .filter((k) => live(k, now))
    .map((k) => ({ ...k, expiresAt: Math.min(k.expiresAt ?? Infinity, until) }))
    .filter((k) => k.expiresAt > now);
  return {
    ...record,
    version: record.version + 1,
    updatedAt: now,
    apiKeys: [{ hash: hashApiKey(newKey), createdAt: now }, ...kept],
  };
}

/** The stack as the gateway uses it, secrets decrypted in memory only (`keys`: the current key first). */
export function unsealStack(key: Buffer | readonly Buffer[], record: StoredStack): StackEntry {
  return {
    stack: {
      id: record.id,
      uid: uidOf(record),
      phoneNumberId: record.phoneNumberId,
      wabaId: record.wabaId,
      accessToken: open(key, record.accessToken, context(record.id, 'accessToken')),
      mmRouting: record.mmRouting,
      messagesPerSecond: record.messagesPerSecond,
      ...(record.webhookUrl ? { webhookUrl: record.webhookUrl } : {}),
      ...(record.webhookSecret ? { webhookSecret: open(key, record.webhookSecret, context(record.id, 'webhookSecret')) } : {}),
    },
    apiKeyHashes: record.apiKeys.map(({ hash, expiresAt }) => (expiresAt === undefined ? { hash } : { hash, expiresAt })),
  };
}

/** The stack's permanent internal id. */
export function uidOf(record: Pick<StoredStack, 'id' | 'uid' | 'createdAt'>): string {
  return record.uid ?? `${record.id}@${record.createdAt}`;
}

/**
 * The record with every secret sealed with `current`, or undefined when it
 * already is. `previous` are the keys a rotation retires; SecretBoxError when
 * no key opens a secret.
 */
export function resealStack(current: Buffer, previous: readonly Buffer[], record: StoredStack, now = Date.now()): StoredStack | undefined {
  const next: StoredStack = { ...record, version: record.version + 1, updatedAt: now };
  let changed = false;
  for (const field of ['accessToken', 'webhookSecret'] as const) {
    const sealed = record[field];
    if (sealed === undefined) continue;
    const where = context(record.id, field);
    try {
      open(current, sealed, where);
    } catch {
      next[field] = seal(current, open(previous, sealed, where), where);
      changed = true;
    }
  }
  return changed ? next : undefined;
}

/** What the admin API shows of a stack: never a secret, not even part of one. */
export interface StackView {
  id: string;
  phoneNumberId: string;
  wabaId: string;
  mmRouting: boolean;
  messagesPerSecond: number;
  webhookUrl: string | null;
  hasWebhookSecret: boolean;
  apiKeys: Array<{ fingerprint: string; createdAt: string; expiresAt: string | null }>;
  source: StoredStack['source'];
  version: number;
  createdAt: string;
  updatedAt: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function viewOf(record: StoredStack, now = Date.now()): StackView {
  return {
    id: record.id,
    phoneNumberId: record.phoneNumberId,
    wabaId: record.wabaId,
    mmRouting: record.mmRouting,
    messagesPerSecond: record.messagesPerSecond,
    webhookUrl: record.webhookUrl ?? null,
    hasWebhookSecret: record.webhookSecret !== undefined,
    apiKeys: record.apiKeys
      .filter((k) => live(k, now))
      .map((k) => ({ fingerprint: k.hash.slice(0, 12), createdAt: iso(k.createdAt), expiresAt: k.expiresAt === undefined ? null : iso(k.expiresAt) })),
    source: record.source,
    version: record.version,
    createdAt: iso(record.createdAt),
    updatedAt: iso(record.updatedAt),
  };
}
