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
  webhookUrl: z.string().url().refine((u) => /^https?:\/\//.test(u), 'must be http(s)').optional(),
  webhookSecret: z.string().min(8).optional(),
});
export type Stack = z.infer<typeof stackSchema>;

const stacksSchema = z.array(stackSchema).min(1, 'must hold at least one stack');

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * The stacks, indexed the ways the gateway looks them up. API keys are found by
 * their hash, so the lookup does not compare secrets byte by byte.
 */
export class StackDirectory {
  private readonly byId = new Map<string, Stack>();
  private readonly byKeyHash = new Map<string, Stack>();
  private readonly byPhone = new Map<string, Stack>();

  constructor(stacks: Stack[]) {
    for (const stack of stacks) {
      const keyHash = hashApiKey(stack.apiKey);
      if (this.byId.has(stack.id)) throw new ConfigError(`STACKS_FILE: duplicate stack id "${stack.id}"`);
      if (this.byKeyHash.has(keyHash)) throw new ConfigError(`STACKS_FILE: stack "${stack.id}" reuses another stack's apiKey`);
      if (this.byPhone.has(stack.phoneNumberId)) {
        throw new ConfigError(`STACKS_FILE: stack "${stack.id}" reuses phoneNumberId ${stack.phoneNumberId}`);
      }
      this.byId.set(stack.id, stack);
      this.byKeyHash.set(keyHash, stack);
      this.byPhone.set(stack.phoneNumberId, stack);
    }
  }

  get(id: string): Stack | undefined {
    return this.byId.get(id);
  }
  byApiKey(key: string): Stack | undefined {
    return this.byKeyHash.get(hashApiKey(key));
  }
  byPhoneNumberId(phoneNumberId: string): Stack | undefined {
    return this.byPhone.get(phoneNumberId);
  }
  all(): Stack[] {
    return [...this.byId.values()];
  }
}

export function parseStacks(json: unknown): Stack[] {
  const result = stacksSchema.safeParse(json);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  stacks[${i.path.join('.')}]: ${i.message}`);
  throw new ConfigError(`STACKS_FILE: invalid stacks:\n${lines.join('\n')}`);
}

export function loadStacks(file: string): StackDirectory {
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
    throw new ConfigError(`STACKS_FILE: ${file} is not valid JSON: ${(error as Error).message}`);
  }
  return new StackDirectory(parseStacks(json));
}
