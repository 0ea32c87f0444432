import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { INGRESS_NODE_FLAGS, REPO_ROOT } from '@gw/process-tools';
import { createGatewayMetrics } from '@gw/metrics';
import { ingressEnvSchema } from '../../apps/ingress/src/config.ts';
import { workerEnvSchema } from '../../apps/worker/src/config.ts';

/*
 * There is no Docker engine on the CI machines: these tests keep the deploy files
 * true (valid YAML, the settings operators rely on, env names the apps read,
 * metrics that exist) without running them.
 */
const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string>; depends_on?: Record<string, unknown>; ports?: string[] }>;
};
const envNames = (schema: { shape: Record<string, unknown> }) => new Set(Object.keys(schema.shape));

describe('docker-compose.yml', () => {
  it('runs Redis, the simulator, a worker and the ingress', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['redis', 'simulator', 'worker', 'ingress']));
  });

  it('runs Redis 7 with noeviction and the append-only file on', () => {
    const redis = compose.services.redis!;
    expect(redis.image).toMatch(/^redis:7/);
    const args = redis.command!.join(' ');
    expect(args).toContain('--appendonly yes');
    expect(args).toContain('--maxmemory-policy noeviction');
  });

  it('gives the ingress and the worker only settings their env schemas know', () => {
    for (const [service, schema, required] of [
      ['ingress', ingressEnvSchema, ['REDIS_URL', 'STACKS_FILE', 'STACKS_ENCRYPTION_KEY', 'ADMIN_TOKEN', 'META_APP_SECRET']],
      ['worker', workerEnvSchema, ['REDIS_URL', 'STACKS_FILE', 'STACKS_ENCRYPTION_KEY', 'META_GRAPH_URL', 'WORKER_METRICS_PORT']],
    ] as const) {
      const given = Object.keys(compose.services[service]!.environment ?? {});
      expect(
        given.filter((name) => !envNames(schema).has(name)),
        service,
      ).toEqual([]);
      expect(given).toEqual(expect.arrayContaining([...required]));
    }
  });

  it("parses the demo environment with the apps' own schemas", () => {
    const resolve = (env: Record<string, string>) => Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{\w+:-([^}]*)\}/g, '$1')]));
    expect(ingressEnvSchema.safeParse(resolve(compose.services.ingress!.environment!)).success).toBe(true);
    expect(workerEnvSchema.safeParse(resolve(compose.services.worker!.environment!)).success).toBe(true);
  });

  it('starts the ingress only after a healthy worker, and the worker after a healthy Redis', () => {
    expect(compose.services.ingress!.depends_on).toMatchObject({ worker: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
    expect(compose.services.worker!.depends_on).toMatchObject({ redis: { condition: 'service_healthy' } });
  });

  it('seeds the stacks with a demo file the simulator knows', () => {
    const stacks = JSON.parse(read('deploy/stacks.demo.json')) as Array<{ phoneNumberId: string; accessToken: string }>;
    const seed = JSON.parse(read('apps/meta-simulator/seed/demo.json')) as { accounts: Array<{ phoneNumberId: string; accessToken: string }> };
    expect(seed.accounts).toEqual(expect.arrayContaining([expect.objectContaining({ phoneNumberId: stacks[0]!.phoneNumberId, accessToken: stacks[0]!.accessToken })]));
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('builds on node:20-bookworm-slim with pnpm 12.4.2 and the frozen lockfile, and runs TypeScript with tsx', () => {
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim$/m);
    expect(dockerfile).toContain('npm install -g pnpm@12.4.2');
    expect(dockerfile).toContain('pnpm install --frozen-lockfile');
    expect(dockerfile).toContain('"--import", "tsx"');
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it("runs the ingress by default with the V8 flags startService gives it (pnpm gateway's)", () => {
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    expect(cmd).toEqual(['node', ...INGRESS_NODE_FLAGS, '--import', 'tsx', 'apps/ingress/src/main.ts']);
  });
});

describe("the processes' V8 flags in docker-compose.yml", () => {
  it('are INGRESS_NODE_FLAGS for the ingress and none for the worker or the simulator', () => {
    expect(compose.services.ingress!.command).toEqual(['node', ...INGRESS_NODE_FLAGS, '--import', 'tsx', 'apps/ingress/src/main.ts']);
    expect(compose.services.worker!.command).toEqual(['node', '--import', 'tsx', 'apps/worker/src/main.ts']);
    expect(compose.services.simulator!.command).toEqual(['node', '--import', 'tsx', 'apps/meta-simulator/src/main.ts']);
  });
});

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(read('deploy/grafana/dashboards/gateway.json')) as { panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }> };
  const exported = new Set(
    createGatewayMetrics('worker')
      .registry.getMetricsAsArray()
      .map((m) => (m as unknown as { name: string }).name),
  );

  it('queries only metrics the gateway exports', () => {
    const names = dashboard.panels.flatMap((p) => p.targets ?? []).flatMap((t) => [...t.expr.matchAll(/\b(gateway_\w+)/g)].map((m) => m[1]!.replace(/_(bucket|count|sum)$/, '')));
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((n) => !exported.has(n))).toEqual([]);
  });

  it('has a panel for every metric the issue asks for', () => {
    const all = JSON.stringify(dashboard);
    for (const metric of [
      'gateway_messages_total',
      'gateway_fallbacks_total',
      'gateway_category_cache_lookups_total',
      'gateway_meta_request_duration_seconds',
      'gateway_queue_wait_seconds',
      'gateway_queue_jobs',
      'gateway_webhook_deliveries_total',
      'gateway_dead_letters',
    ]) {
      expect(all).toContain(metric);
    }
  });

  it('is scraped by the example Prometheus configuration on both processes', () => {
    const prometheus = parse(read('deploy/prometheus/prometheus.yml')) as { scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> };
    const targets = prometheus.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
    expect(targets).toEqual(['ingress:9480', 'worker:9464']);
  });
});

describe('docs/operating.md', () => {
  const guide = read('docs/operating.md');

  it('names every setting of the ingress and the worker', () => {
    const names = new Set([...envNames(ingressEnvSchema), ...envNames(workerEnvSchema)]);
    expect([...names].filter((name) => !guide.includes(`\`${name}\``))).toEqual([]);
  });

  it('lists every gateway metric', () => {
    const metrics = createGatewayMetrics('ingress')
      .registry.getMetricsAsArray()
      .map((m) => (m as unknown as { name: string }).name)
      .filter((name) => name.startsWith('gateway_'));
    expect(metrics.filter((name) => !guide.includes(`\`${name}\``))).toEqual([]);
  });
});
