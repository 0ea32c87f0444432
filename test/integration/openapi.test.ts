import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { request } from 'undici';
import { parseEnv } from '@gw/config';
import { ROUTE_REASONS } from '@gw/contracts';
import { REPO_ROOT } from '@gw/process-tools';
import { ingressEnvSchema } from '../../apps/ingress/src/config.ts';
import { createIngress, type Ingress } from '../../apps/ingress/src/ingress.ts';
import { openApiDocument } from '../../apps/ingress/src/openapi/document.ts';
import { registeredRoutes } from '../../apps/ingress/src/openapi/route-table.ts';
import { HTTP_METHODS, type Operation } from '../../apps/ingress/src/openapi/types.ts';
import { makeStack, uniquePrefix } from '../support/harness.ts';

const document = openApiDocument();
let ingress: Ingress;
let app: unknown;
let board: unknown;
let baseUrl: string;

/**
 * The ingress built by the composition root main.ts calls (createIngress), with
 * real Redis connections: the route table is Express's own.
 */
beforeAll(async () => {
  const stacksFile = join(mkdtempSync(join(tmpdir(), 'gw-openapi-')), 'stacks.json');
  writeFileSync(stacksFile, JSON.stringify([makeStack()]));
  const env = parseEnv(ingressEnvSchema, {
    REDIS_URL: inject('redisUrl'),
    REDIS_KEY_PREFIX: uniquePrefix(),
    STACKS_FILE: stacksFile,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    META_APP_SECRET: 'app-secret',
    META_VERIFY_TOKEN: 'verify-token',
    ADMIN_TOKEN: 'admin-token-0123456789abcdef',
    INGRESS_METRICS_PORT: '0',
    QUEUE_METRICS_INTERVAL_MS: '60000',
  });
  ingress = createIngress(env);
  const running = await ingress.start();
  app = running.app;
  board = running.board;
  baseUrl = `http://127.0.0.1:${running.port}`;
});

afterAll(async () => {
  await ingress?.close();
});

const documented = () =>
  Object.entries(document.paths).flatMap(([path, item]) => HTTP_METHODS.filter((method) => item[method]).map((method) => ({ method, path, operation: item[method] as Operation })));

describe('x-gateway-route-reason', () => {
  it("has every reason the code can give in the OpenAPI enum and in the README's table", () => {
    const header = (document.paths['/messages'] as { post: Operation }).post.responses['200'] as unknown as { headers: Record<string, { schema: { enum: string[] } }> };
    expect(header.headers['x-gateway-route-reason']!.schema.enum).toEqual([...ROUTE_REASONS]);
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const documented = [...readme.matchAll(/^\| `([a-z_]+)` \| (?:MM|Cloud|none) \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...ROUTE_REASONS].sort());
  });
});

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
      const url =
        baseUrl +
        path
          .replace('{version}', 'v24.0')
          .replace('{phoneNumberId}', '1')
          .replace(/\{\w+\}/g, 'x');
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
      expect(
        [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]),
        `${operation.operationId} path parameters`,
      ).toEqual(declared);
      expect(Object.keys(operation.responses).length).toBeGreaterThan(0);
    }
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!);
    for (const name of refs) expect(document.components.schemas, name).toHaveProperty(name);
    const schemes = Object.keys(document.components.securitySchemes);
    for (const { operation } of documented()) for (const requirement of operation.security ?? []) for (const name of Object.keys(requirement)) expect(schemes).toContain(name);
  });
});
