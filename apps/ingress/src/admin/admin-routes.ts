import { Router, type Express } from 'express';
import { Queue, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AuditStore } from '@gw/audit';
import type { CategoryListing } from '@gw/category-cache';
import type { StackDirectory } from '@gw/config';
import { QUEUES, type RedisKeys } from '@gw/contracts';
import type { Logger } from '@gw/logger';
import type { Stacks } from '@gw/stack-store';
import { requireAdmin } from './admin-guard.ts';
import { BULL_BOARD_PATH, bullBoardRouter } from './bull-board.ts';
import { deadLetterRoutes } from './dead-letter-routes.ts';
import { DeadLetters } from './dead-letters.ts';
import { InboundDeadLetters } from './inbound-dead-letters.ts';
import { adminLoginRoutes } from './login-routes.ts';
import { redisSessionStore } from './admin-session.ts';
import { stackAdminRoutes } from './stack-admin-routes.ts';
import { dashboardRoutes } from './dashboard/dashboard-routes.ts';

export interface AdminOptions {
  env: { ADMIN_TOKEN?: string; ADMIN_SESSION_TTL_SECONDS: number; STACKS_KEY_GRACE_SECONDS: number; REDIS_KEY_PREFIX: string };
  /** Fail-fast connection options (no offline queue): a Redis outage answers 503 at once. */
  connection: ConnectionOptions;
  /** The ingress's fail-fast command connection. */
  redis: Redis;
  keys: RedisKeys;
  stacks: Stacks;
  /** Every queue, for Bull Board. */
  queues: Queue[];
  logger: Logger;
  /** What the audit and analytics routes read; the routing dashboard shows the same. */
  audit: AuditStore | undefined;
  categories: { list(wabaId: string): Promise<CategoryListing[]> };
}

export interface Admin {
  router: Router;
  /** Bull Board's sub-app: the route table treats it as one documented entry. */
  board: Express;
  close(): Promise<void>;
}

/**
 * Everything behind ADMIN_TOKEN on the ingress, in one router with one guard:
 * the login page, Bull Board, the routing dashboard, the stacks API and the webhook dead letters (deliveries and inbound).
 */
export async function createAdmin(options: AdminOptions): Promise<Admin> {
  const { env, logger } = options;
  const adminToken = env.ADMIN_TOKEN;
  const deliveries = new Queue(QUEUES.webhookDelivery, { connection: options.connection, prefix: env.REDIS_KEY_PREFIX });
  const inbound = new Queue(QUEUES.webhookInbound, { connection: options.connection, prefix: env.REDIS_KEY_PREFIX });
  for (const queue of [deliveries, inbound]) {
    queue.on('error', (error: Error) => logger.warn({ err: error.message }, `redis (${queue.name} queue) error`));
    // Connected before the ingress listens: with no offline queue, a command before that would fail.
    await queue.waitUntilReady();
  }
  if (!adminToken) logger.warn('ADMIN_TOKEN is unset: the admin API answers 503');
  if (!options.stacks.store) logger.info('STACKS_ENCRYPTION_KEY is unset: stacks come from STACKS_FILE and the stacks admin API answers 503');

  const board = bullBoardRouter(options.queues);
  const directory: StackDirectory = options.stacks.directory;
  const router = Router();
  // Login sessions live in Redis: logout ends one on every ingress.
  const sessions = redisSessionStore(options.redis, options.keys.adminSession);
  router.use(adminLoginRoutes({ adminToken, sessionTtlSeconds: env.ADMIN_SESSION_TTL_SECONDS, sessions }));
  router.use(BULL_BOARD_PATH, requireAdmin(adminToken, { session: sessions }), board);
  router.use(dashboardRoutes({ adminToken, sessions, audit: options.audit, categories: options.categories, directory, logger }));
  router.use(stackAdminRoutes({ store: options.stacks.store, adminToken, defaultGraceSeconds: env.STACKS_KEY_GRACE_SECONDS, logger }));
  router.use(
    deadLetterRoutes({
      deadLetters: new DeadLetters(deliveries, options.redis, options.keys, directory),
      inbound: new InboundDeadLetters(inbound, directory),
      adminToken,
      logger,
    }),
  );
  return {
    router,
    board,
    async close() {
      await Promise.all([deliveries, inbound].map((queue) => queue.close().catch(() => undefined)));
    },
  };
}
