import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from './env.ts';

export const stackSchema = z.object({
  id: z.string().min(1),
  apiKey: z.string().min(16, 'must be at least 16 characters'),
  phoneNumberId: z.string().regex(/^\d+$/, 'must be digits'),
  wabaId: z.string().regex(/^\d+$/, 'must be digits'),
  accessToken: z.string().min(1),
  mmRouting: z.boolean().default(true),
  /** Meta's throughput for this number: 80 by default, up to 1,000 after an upgrade. */
  messagesPerSecond: z.number().int().min(1).max(1000).default(80),
  webhookUrl: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//.test(u), 'must be http(s)')
    .optional(),
  webhookSecret: z.string().min(8).optional(),
});
/** A stack as STACKS_FILE (or the admin API) gives it, with its API key in clear. */
export type StackInput = z.infer<typeof stackSchema>;
/**
 * A stack as the gateway uses it: the API key is only ever kept as a hash.
 * `uid`: a permanent internal id of a stored stack, never reused (a stack deleted and
 * created again under the same id gets a new one); absent for STACKS_FILE stacks.
 */
export type Stack = Omit<StackInput, 'apiKey'> & { uid?: string };

/**
 * What tenant data (idempotency records, warm-up jobs, webhook deliveries, marks) is
 * keyed by: the stack's permanent uid, so a re-created stack id inherits nothing.
 */
export function tenantOf(stack: Pick<Stack, 'id' | 'uid'>): string {
  return stack.uid ?? stack.id;
}

const stacksSchema = z.array(stackSchema).min(1, 'must hold at least one stack');

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** One accepted API key of a stack, by its hash; a rotated-out key carries its end of grace. */
export interface ApiKeyHash {
  hash: string;
  /** Epoch ms after which the key is refused; absent: valid until rotated. */
  expiresAt?: number;
}

export interface StackEntry {
  stack: Stack;
  apiKeyHashes: ApiKeyHash[];
}

interface Snapshot {
  byId: Map<string, Stack>;
  byKeyHash: Map<string, { stack: Stack; expiresAt?: number }>;
  byPhone: Map<string, Stack>;
  byWaba: Map<string, Stack[]>;
}

function entryOf({ apiKey, ...stack }: StackInput): StackEntry {
  return { stack, apiKeyHashes: [{ hash: hashApiKey(apiKey) }] };
}

function buildSnapshot(entries: StackEntry[]): Snapshot {
  const snapshot: Snapshot = { byId: new Map(), byKeyHash: new Map(), byPhone: new Map(), byWaba: new Map() };
  for (const { stack, apiKeyHashes } of entries) {
    if (snapshot.byId.has(stack.id)) throw new ConfigError(`STACKS_FILE: duplicate stack id "${stack.id}"`);
    if (snapshot.byPhone.has(stack.phoneNumberId)) {
      throw new ConfigError(`STACKS_FILE: stack "${stack.id}" reuses phoneNumberId ${stack.phoneNumberId}`);
    }
    for (const { hash, expiresAt } of apiKeyHashes) {
      if (snapshot.byKeyHash.has(hash)) throw new ConfigError(`STACKS_FILE: stack "${stack.id}" reuses another stack's apiKey`);
      snapshot.byKeyHash.set(hash, { stack, expiresAt });
    }
    snapshot.byId.set(stack.id, stack);
    snapshot.byPhone.set(stack.phoneNumberId, stack);
    snapshot.byWaba.set(stack.wabaId, [...(snapshot.byWaba.get(stack.wabaId) ?? []), stack]);
  }
  return snapshot;
}

/**
 * The stacks, indexed the ways the gateway looks them up. API keys are found by
 * their hash, so the lookup does not compare secrets byte by byte. A directory
 * backed by Redis swaps its whole content with replace(); holders of the
 * instance see the new stacks at once.
 */
export class StackDirectory {
  private snapshot: Snapshot;

  constructor(stacks: StackInput[]) {
    this.snapshot = buildSnapshot(stacks.map(entryOf));
  }

  static fromEntries(entries: StackEntry[]): StackDirectory {
    const directory = new StackDirectory([]);
    directory.replace(entries);
    return directory;
  }

  /** Swaps in a new set of stacks; throws (and keeps the old set) when they clash. */
  replace(entries: StackEntry[]): void {
    this.snapshot = buildSnapshot(entries);
  }

  get(id: string): Stack | undefined {
    return this.snapshot.byId.get(id);
  }
  byApiKey(key: string): Stack | undefined {
    const found = this.snapshot.byKeyHash.get(hashApiKey(key));
    if (!found || (found.expiresAt !== undefined && found.expiresAt <= Date.now())) return undefined;
    return found.stack;
  }
  byPhoneNumberId(phoneNumberId: string): Stack | undefined {
    return this.snapshot.byPhone.get(phoneNumberId);
  }
  byWabaId(wabaId: string): Stack[] {
    return this.snapshot.byWaba.get(wabaId) ?? [];
  }
  all(): Stack[] {
    return [...this.snapshot.byId.values()];
  }
}

export function parseStacks(json: unknown): StackInput[] {
  const result = stacksSchema.safeParse(json);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  stacks[${i.path.join('.')}]: ${i.message}`);
  throw new ConfigError(`STACKS_FILE: invalid stacks:\n${lines.join('\n')}`);
}

export function loadStacks(file: string): StackDirectory {
  return new StackDirectory(readStacksFile(file));
}

/** The stacks of a STACKS_FILE, validated. */
export function readStacksFile(file: string): StackInput[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`STACKS_FILE: cannot read ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`STACKS_FILE: ${file} is not valid JSON${whereJsonFailed(text, error)}`);
  }
  return parseStacks(json);
}

/**
 * Where JSON.parse gave up, as a line and column, never the text around it:
 * V8's own message quotes the file (`..."essToken":EAAG..."`), which can hold a token.
 */
export function whereJsonFailed(text: string, error: unknown): string {
  const position = /position (\d+)/.exec((error as Error)?.message ?? '')?.[1];
  if (position === undefined) return ' (check its syntax)';
  const before = text.slice(0, Number(position));
  const line = before.split('\n').length;
  const column = Number(position) - before.lastIndexOf('\n');
  return ` (at line ${line}, column ${column})`;
}
