import { z } from 'zod';
import { blankIsUnset } from './blank.ts';
import { operationsEnv } from './operations-env.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment once; the error names every bad variable. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}

/** Shared fields of the environment, with the operator contract's names and defaults. */
export const commonEnv = {
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /** `host:port,...` seed nodes of a Redis Cluster; unset: one Redis at REDIS_URL. */
  REDIS_CLUSTER_NODES: z.preprocess(blankIsUnset, z.string().optional()),
  /** `host:port,...` Redis Sentinels; unset: one Redis at REDIS_URL. */
  REDIS_SENTINELS: z.preprocess(blankIsUnset, z.string().optional()),
  REDIS_SENTINEL_NAME: z.preprocess(blankIsUnset, z.string().min(1).default('mymaster')),
  REDIS_SENTINEL_PASSWORD: z.preprocess(blankIsUnset, z.string().optional()),
  /** Prefix of every Redis key; wrap it in {} for Redis Cluster. */
  REDIS_KEY_PREFIX: z.string().min(1).default('gw'),
  /** Required unless STACKS_ENCRYPTION_KEY is set (see requireStacksSource). */
  STACKS_FILE: z.preprocess(blankIsUnset, z.string().min(1, 'must name a JSON file of stacks').optional()),
  ...operationsEnv,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

export const intFromEnv = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);

/** Settings the ingress and the worker both read, with one name, bound and default. */
export const gatewayProcessEnv = {
  /** How long a learned template category is trusted before it is checked again. */
  CATEGORY_TTL_SECONDS: intFromEnv(1, 3600),
  /** How long SIGTERM may take to finish in-flight work before the process exits 1. */
  SHUTDOWN_TIMEOUT_MS: intFromEnv(0, 20_000),
};

/** Meta's Graph API: the worker sends through it, the ingress passes the clients' other Graph calls through to it. */
export const metaGraphEnv = {
  META_GRAPH_URL: z.string().url().default('https://graph.facebook.com'),
  META_GRAPH_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/, 'must look like v24.0')
    .default('v24.0'),
};
