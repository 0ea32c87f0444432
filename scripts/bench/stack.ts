import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { ENTRY_POINTS, REPO_ROOT, freePort, startPrivateRedis, startService, type PrivateRedis, type RunningService } from '@gw/process-tools';
import type { BenchOptions } from './options.ts';

export const BENCH_STACK = {
  id: 'bench',
  apiKey: 'bench-api-key-0123456789abcdef',
  phoneNumberId: '1065400000001',
  wabaId: '2001000000777',
  accessToken: 'bench-meta-token',
  mmRouting: true,
};

/** The hot template: marketing, so a cached send goes to /marketing_messages in one call. */
export const HOT_TEMPLATE = 'bench_hot_offer';
export const GRAPH_VERSION = 'v24.0';
export const PREFIX = 'bench';

export function templateBody(name: string, to = '+15550001234'): string {
  return JSON.stringify({
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
    type: 'template',
    template: { name, language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ann' }] }] },
  });
}

export interface Target {
  name: 'direct' | 'proxy' | 'gateway';
  urls: string[];
  path: string;
  headers: Record<string, string>;
  /** Processes whose CPU is this target's own cost. */
  processes: Array<{ role: string; pid: number }>;
}

export interface BenchStack {
  redis: PrivateRedis;
  redisClient: Redis;
  simulator: RunningService;
  simulatorUrl: string;
  ingresses: RunningService[];
  workers: RunningService[];
  proxies: RunningService[];
  targets: Record<Target['name'], Target>;
  /** Everything this stack started, with a role, for CPU and memory readings. */
  processes(): Array<{ name: string; pid: number }>;
  sim(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<any>;
  setUpstreamLatency(ms: number): Promise<void>;
  /** Unexpected exits so far (a crash fails the run). */
  crashes: string[];
  stop(): Promise<void>;
}

const pidOf = (s: RunningService) => s.process.pid!;

export async function startBenchStack(options: BenchOptions): Promise<BenchStack> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  const stacksFile = join(dir, 'stacks.json');
  writeFileSync(stacksFile, JSON.stringify([BENCH_STACK]));
  const started: RunningService[] = [];
  const crashes: string[] = [];
  let stopping = false;
  const watch = (s: RunningService) => {
    started.push(s);
    void s.exited.then((code) => {
      if (!stopping) crashes.push(`${s.name} exited with ${code}:\n${s.output.slice(-20).join('')}`);
    });
    return s;
  };

  const redis = await startPrivateRedis();
  const redisClient = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  const stopAll = async () => {
    stopping = true;
    await Promise.allSettled(started.reverse().map((s) => s.stop('SIGTERM', 10_000)));
    redisClient.disconnect();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const simPort = await freePort();
    const simulator = watch(
      await startService({
        name: 'simulator',
        entry: ENTRY_POINTS.simulator,
        env: { ...process.env, SIM_PORT: String(simPort), SIM_HOST: '127.0.0.1', SIM_LOG_LEVEL: 'warn', SIM_WEBHOOK_URL: '' },
        readyLine: /meta simulator listening/,
      }),
    );
    const simulatorUrl = `http://127.0.0.1:${simPort}`;
    const sim = async (method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown) => {
      const response = await request(`${simulatorUrl}/_sim${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.body.text();
      if (response.statusCode >= 400) throw new Error(`simulator ${method} ${path}: ${response.statusCode} ${text}`);
      return text ? JSON.parse(text) : undefined;
    };
    await sim('PUT', '/accounts', { phoneNumberId: BENCH_STACK.phoneNumberId, wabaId: BENCH_STACK.wabaId, accessToken: BENCH_STACK.accessToken });
    await sim('PUT', '/templates', { wabaId: BENCH_STACK.wabaId, name: HOT_TEMPLATE, language: 'en_US', category: 'MARKETING', status: 'APPROVED' });

    const gatewayEnv: NodeJS.ProcessEnv = {
      ...process.env,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: PREFIX,
      STACKS_FILE: stacksFile,
      META_GRAPH_URL: simulatorUrl,
      META_GRAPH_VERSION: GRAPH_VERSION,
      LOG_LEVEL: options.logLevel,
      TEMPLATE_SYNC_INTERVAL_MS: '0',
      ...(options.workerConcurrency ? { WORKER_CONCURRENCY: String(options.workerConcurrency) } : {}),
      ...options.gatewayEnv,
    };
    const workers: RunningService[] = [];
    for (let i = 0; i < options.workers; i++) {
      workers.push(watch(await startService({ name: `worker-${i}`, entry: ENTRY_POINTS.worker, env: gatewayEnv, readyLine: /worker ready/, timeoutMs: 60_000 })));
    }
    const ingresses: RunningService[] = [];
    const ingressUrls: string[] = [];
    for (let i = 0; i < options.ingresses; i++) {
      const port = await freePort();
      ingressUrls.push(`http://127.0.0.1:${port}`);
      ingresses.push(
        watch(
          await startService({
            name: `ingress-${i}`,
            entry: ENTRY_POINTS.ingress,
            env: { ...gatewayEnv, PORT: String(port), HOST: '127.0.0.1' },
            readyLine: /ingress listening/,
            timeoutMs: 60_000,
          }),
        ),
      );
    }
    const proxies: RunningService[] = [];
    const proxyUrls: string[] = [];
    for (let i = 0; i < options.proxies; i++) {
      const port = await freePort();
      proxyUrls.push(`http://127.0.0.1:${port}`);
      proxies.push(
        watch(
          await startService({
            name: `proxy-${i}`,
            entry: join(REPO_ROOT, 'apps/baseline-proxy/src/main.ts'),
            env: {
              ...process.env,
              PORT: String(port),
              HOST: '127.0.0.1',
              UPSTREAM_URL: simulatorUrl,
              UPSTREAM_VERSION: GRAPH_VERSION,
              UPSTREAM_ENDPOINT: 'marketing_messages',
              PHONE_NUMBER_ID: BENCH_STACK.phoneNumberId,
              ACCESS_TOKEN: BENCH_STACK.accessToken,
              API_KEY: BENCH_STACK.apiKey,
            },
            readyLine: /baseline proxy listening/,
          }),
        ),
      );
    }

    const json = { 'content-type': 'application/json' };
    const targets: Record<Target['name'], Target> = {
      direct: {
        name: 'direct',
        urls: [simulatorUrl],
        path: `/${GRAPH_VERSION}/${BENCH_STACK.phoneNumberId}/marketing_messages`,
        headers: { ...json, authorization: `Bearer ${BENCH_STACK.accessToken}` },
        processes: [],
      },
      proxy: {
        name: 'proxy',
        urls: proxyUrls,
        path: '/messages',
        headers: { ...json, authorization: `Bearer ${BENCH_STACK.apiKey}` },
        processes: proxies.map((p) => ({ role: 'proxy', pid: pidOf(p) })),
      },
      gateway: {
        name: 'gateway',
        urls: ingressUrls,
        path: '/messages',
        headers: { ...json, authorization: `Bearer ${BENCH_STACK.apiKey}` },
        processes: [...ingresses.map((p) => ({ role: 'ingress', pid: pidOf(p) })), ...workers.map((p) => ({ role: 'worker', pid: pidOf(p) }))],
      },
    };
    return {
      redis,
      redisClient,
      simulator,
      simulatorUrl,
      ingresses,
      workers,
      proxies,
      targets,
      crashes,
      sim,
      processes: () => started.filter((s) => s.process.exitCode === null).map((s) => ({ name: s.name, pid: pidOf(s) })),
      async setUpstreamLatency(ms: number) {
        for (const endpoint of ['messages', 'marketing_messages']) {
          if (ms > 0) await sim('PUT', `/faults/${endpoint}`, { latencyMs: ms });
          else await sim('DELETE', `/faults/${endpoint}`);
        }
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
