import { z } from 'zod';

// Empty variables (SIM_WEBHOOK_URL= in a compose file) mean "not set".
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const envSchema = z.object({
  SIM_PORT: optional(z.coerce.number().int().min(0).max(65535)).transform((v) => v ?? 9090),
  SIM_HOST: optional(z.string().min(1)).transform((v) => v ?? '127.0.0.1'),
  SIM_SEED_FILE: optional(z.string().min(1)),
  SIM_APP_SECRET: optional(z.string().min(1)).transform((v) => v ?? 'sim-app-secret'),
  SIM_WEBHOOK_URL: optional(z.url({ protocol: /^https?$/ })),
  /** Latency of every send (/messages, /marketing_messages): a log-normal with this median and p99. */
  SIM_LATENCY_MEDIAN_MS: optional(z.coerce.number().min(0)).transform((v) => v ?? 0),
  SIM_LATENCY_P99_MS: optional(z.coerce.number().min(0)),
  /** How long a template created or edited through the Graph API stays PENDING before it is approved. */
  SIM_TEMPLATE_REVIEW_MS: optional(z.coerce.number().int().min(0)).transform((v) => v ?? 100),
  SIM_LOG_LEVEL: optional(z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])).transform((v) => v ?? 'warn'),
});

export type SimulatorEnv = z.output<typeof envSchema>;

/** Parses the SIM_* variables; the error message names every bad variable. */
export function parseEnv(env: NodeJS.ProcessEnv): SimulatorEnv {
  const result = envSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`);
  throw new Error(`invalid environment: ${problems.join('; ')}`);
}
