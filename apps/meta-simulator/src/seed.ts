import { readFile } from 'node:fs/promises';
import { z } from 'zod';

export const CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION'] as const;
export type Category = (typeof CATEGORIES)[number];

export const accountSchema = z.object({
  phoneNumberId: z.string().min(1),
  wabaId: z.string().min(1),
  accessToken: z.string().min(1),
  displayPhoneNumber: z.string().min(1).optional(),
  mmEligible: z.boolean().optional(),
  /** The WABA's `disable_marketing_messages_on_cloud_api` (April 2026): /messages refuses marketing with 131063. */
  cloudMarketingOff: z.boolean().optional(),
  /** Recipients (`to` or BSUID) at their per-user marketing limit: marketing templates to them fail with 131049. */
  marketingLimited: z.array(z.string().min(1)).optional(),
});

export const templateSchema = z.object({
  wabaId: z.string().min(1),
  name: z.string().min(1),
  language: z.string().min(1),
  // Accept `marketing` as well as `MARKETING`: Meta itself is upper-case, people are not.
  category: z.string().toUpperCase().pipe(z.enum(CATEGORIES)),
  status: z.string().min(1).toUpperCase().optional(),
  syncingForMs: z.number().int().min(0).optional(),
});

export const seedSchema = z.object({
  accounts: z.array(accountSchema).default([]),
  templates: z.array(templateSchema).default([]),
});

export type AccountInput = z.input<typeof accountSchema>;
export type TemplateInput = z.output<typeof templateSchema>;
export type Seed = z.input<typeof seedSchema>;
export type ParsedSeed = z.output<typeof seedSchema>;

export async function loadSeedFile(path: string): Promise<ParsedSeed> {
  const text = await readFile(path, 'utf8');
  return seedSchema.parse(JSON.parse(text));
}
