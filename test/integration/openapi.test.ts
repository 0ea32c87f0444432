import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Queue } from 'bullmq';
import { request } from 'undici';
import { redisConnections, StackDirectory } from '@gw/config';
import { QUEUES, redisKeys } from '@gw/contracts';
import { createLogger } from '@gw/logger';
import { createGatewayMetrics } from '@gw/metrics';
import type { Stacks } from '@gw/stack-store';
import { CategoryCache } from '../../packages/category-cache/src/index.ts';
import { createIngressApp } from '../../apps/ingress/src/app.ts';
import { IdempotencyStore } from '../../apps/ingress/src/idempotency-store.ts';
import { createIngressOperations } from '../../apps/ingress/src/operations/ingress-operations.ts';
import { openApiDocument } from '../../apps/ingress/src/openapi/document.ts';
import { registeredRoutes } from '../../apps/ingress/src/openapi/route-table.ts';
import { HTTP_METHODS, type Operation } from '../../apps/ingress/src/openapi/types.ts';
import { ReplyWaiter } from '../../apps/ingress/src/reply-waiter.ts';
import { SendDispatcher } from '../../apps/ingress/src/send-dispatcher.ts';
import { SendBatcher } from '../../apps/ingress/src/send-batcher.ts';
import { createWebhookIngress } from '../../apps/ingress/src/webhooks/webhook-ingress.ts';
import { uniquePrefix } from '../support/harness.ts';

const document = openApiDocument();
const prefix = uniquePrefix();
let app: ReturnType<typeof createIngressApp>;
let board: unknown;
let server: Server;
let baseUrl: string;
const closers: Array<() => Promise<unknown>> = [];

/**
 * The ingress app composed as main.ts composes it (every router goes through
 * createIngressApp), with real Redis connections: the route table is Express's own.
 */
beforeAll(async () => {
  const redis = redisConnections({ REDIS_URL: inject('redisUrl') });
  const keys = redisKeys(prefix);
  const logger = createLogger({ name: 'openapi-test', level: 'silent' });
  const commands = redis.client({ maxRetriesPerRequest: 1 });
  const subscriber = redis.client({ maxRetriesPerRequest: null });
  const queue = new Queue(QUEUES.send, { connection: redis.bullmq(), prefix });
  const templateSyncQueue = new Queue(QUEUES.templateSync, { connection: redis.bullmq(), prefix });
  const replies = new ReplyWaiter(subscriber, keys.replyChannel('openapi-test'));
  await replies.start();
  const stacks = new StackDirectory([]);
  const webhooks = await createWebhookIngress({
    connection: redis.bullmq(),
    prefix,
    redis: commands,
    keys,
    stacks,
    logger,
    appSecret: 'app-secret',
    verifyToken: 'verify-token',
    adminToken: 'admin-token',
    enqueueTimeoutMs: 1000,
  });
  const stackSource: Stacks = { directory: stacks, onChange: () => undefined, close: async () => undefined };
  const operations = await createIngressOperations({
    env: { ADMIN_TOKEN: 'admin-token', QUEUE_METRICS_INTERVAL_MS: 60_000, REDIS_KEY_PREFIX: prefix, READYZ_WORKER_MAX_AGE_MS: 15_000, STACKS_KEY_GRACE_SECONDS: 60, ADMIN_SESSION_TTL_SECONDS: 600, INGRESS_METRICS_PORT: 0, INGRESS_METRICS_HOST: '127.0.0.1' },
    redis,
    commands,
    keys,
    metrics: createGatewayMetrics('ingress'),
    stacks: stackSource,
    logger,
  });
  board = operations.board;
  app = createIngressApp({
    stacks,
    dispatcher: new SendDispatcher({ queue, batcher: new SendBatcher({ queue, replyTo: replies.channel, maxItems: 64, enqueueTimeoutMs: 1000, sendTimeoutMs: 1000 }), replies, idempotency: new IdempotencyStore(commands, keys, 60), sendTimeoutMs: 1000, enqueueTimeoutMs: 1000 }),
    logger,
    bodyLimit: '256kb',
    categories: new CategoryCache({ redis: commands, keys, ttlSeconds: 60, localTtlMs: 0 }),
    templateSyncQueue,
    webhooks,
    operations,
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closers.push(
    () => new Promise((r) => server.close(r)),
    () => operations.close(),
    () => webhooks.close(),
    () => queue.close(),
    () => templateSyncQueue.close(),
    () => commands.quit(),
    () => subscriber.quit(),
  );
});

afterAll(async () => {
  server?.closeAllConnections();
  for (const close of closers) await close().catch(() => undefined);
});

const documented = () =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => item[method]).map((method) => ({ method, path, operation: item[method] as Operation })),
  );

describe('the OpenAPI document at /openapi.json', () => {
  it('documents every route the ingress registers', () => {
    const routes = registeredRoutes(app, [board]);
    expect(routes.length).toBeGreaterThan(20);
    const keys = new Set(documented().map((d) => `${d.method.toUpperCase()} ${d.path}`));
    const undocumented = routes.map((r) => `${r.method.toUpperCase()} ${r.path}`).filter((r) => !keys.has(r));
    expect(undocumented).toEqual([]);
  });

  it('documents no route the ingress does not register', () => {
    const routes = new Set(registeredRoutes(app, [board]).map((r) => `${r.method.toUpperCase()} ${r.path}`));
    // Bull Board's UI is a sub-app: documented as its entry page only.
    routes.add('GET /admin/queues');
    const missing = documented()
      .map((d) => `${d.method.toUpperCase()} ${d.path}`)
      .filter((d) => !routes.has(d));
    expect(missing).toEqual([]);
  });

  it('reaches a handler for every documented operation over HTTP, never the gateway 404', async () => {
    for (const { method, path } of documented()) {
      const url = baseUrl + path.replace('{version}', 'v24.0').replace('{phoneNumberId}', '1').replace(/\{\w+\}/g, 'x');
      const hasBody = method === 'post' || method === 'patch';
      const response = await request(url, {
        method: method.toUpperCase() as 'GET',
        headers: hasBody ? { 'content-type': 'application/json' } : {},
        body: hasBody ? '{}' : undefined,
      });
      const text = await response.body.text();
      expect(`${method} ${path} -> ${response.statusCode} ${text.includes('No route for') ? 'no route' : ''}`).not.toMatch(/no route$/);
    }
  });

  it('is served as OpenAPI 3.1 with unique operation ids, declared path parameters and resolvable references', async () => {
    const served = await request(`${baseUrl}/openapi.json`);
    const body = (await served.body.json()) as typeof document;
    expect(body.openapi).toBe('3.1.0');
    expect(body).toEqual(JSON.parse(JSON.stringify(document)));
    const ids = documented().map((d) => d.operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, operation } of documented()) {
      const declared = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      expect([...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]), `${operation.operationId} path parameters`).toEqual(declared);
      expect(Object.keys(operation.responses).length).toBeGreaterThan(0);
    }
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!);
    for (const name of refs) expect(document.components.schemas, name).toHaveProperty(name);
    const schemes = Object.keys(document.components.securitySchemes);
    for (const { operation } of documented()) for (const requirement of operation.security ?? []) for (const name of Object.keys(requirement)) expect(schemes).toContain(name);
  });
});
