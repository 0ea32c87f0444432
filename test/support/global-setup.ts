import type { TestProject } from 'vitest/node';
import { findInitdb, hasRedisServer, pingRedis, startPrivatePostgres, startPrivateRedis } from '@gw/process-tools';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    /** Where the PostgreSQL tests create their databases; undefined: they skip. */
    pgAdminUrl: string | undefined;
  }
}

/**
 * Which Redis the suite uses, never flushing one it did not start:
 * REDIS_URL if set; else a private redis-server; else 127.0.0.1:6379 (keys carry a
 * unique prefix per file); else a testcontainers Redis on a laptop with Docker.
 */
async function resolveRedis(): Promise<{ url: string; stop?: () => Promise<unknown> }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL };
  if (hasRedisServer()) return startPrivateRedis();
  if (await pingRedis('redis://127.0.0.1:6379')) return { url: 'redis://127.0.0.1:6379' };
  const { RedisContainer } = (await import('@testcontainers/redis' as string)) as {
    RedisContainer: new (image: string) => { start(): Promise<{ getConnectionUrl(): string; stop(): Promise<unknown> }> };
  };
  const container = await new RedisContainer('redis:7-alpine').start();
  return { url: container.getConnectionUrl(), stop: () => container.stop() };
}

/**
 * Which PostgreSQL the audit sink's tests use, never one they did not start except through a
 * database they create and drop: PG_ADMIN_URL if set (.ci/run starts a private cluster); else a
 * private cluster when initdb is installed; else none (test/support/postgres.ts then tries 5432).
 */
async function resolvePostgres(): Promise<{ url: string | undefined; stop?: () => Promise<unknown> }> {
  if (process.env.PG_ADMIN_URL) return { url: process.env.PG_ADMIN_URL };
  if (!findInitdb()) return { url: undefined };
  const cluster = await startPrivatePostgres({ fsync: false });
  return { url: cluster.adminUrl, stop: cluster.stop };
}

export default async function setup(project: TestProject) {
  const redis = await resolveRedis();
  project.provide('redisUrl', redis.url);
  const postgres = await resolvePostgres();
  project.provide('pgAdminUrl', postgres.url);
  return async () => {
    await redis.stop?.();
    await postgres.stop?.();
  };
}
