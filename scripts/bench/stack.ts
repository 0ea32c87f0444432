import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { commonEnv, parseEnv, redisConnections } from '@gw/config';
import { announcedUrl, ENTRY_POINTS, gatewayLayout, REPO_ROOT, SIMULATOR_READY_LINE, startPrivateRedis, startService, type RunningService } from '@gw/process-tools';
import { z } from 'zod';
import { gcPauseEnv } from './gc-pauses.ts';
import type { BenchOptions } from './options.ts';

/**
 * Several numbers of one WABA, each at Meta's highest tier (1,000 msg/s): the
 * gateway paces every number, and the benchmark measures the gateway, not the
 * pacing. Load spreads over them by connection; direct and proxy use the first.
 */
export const BENCH_STACKS = Array.from({ length: 8 }, (_, i) => ({
  id: `bench-${i}`,
  apiKey: `bench-api-key-${i}-0123456789abcdef`,
  phoneNumberId: `106540000000${i}`,
  wabaId: '2001000000777',
  accessToken: `bench-meta-token-${i}`,
  mmRouting: true,
  messagesPerSecond: 1000,
}));
export const BENCH_STACK = BENCH_STACKS[0]!;

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
  /** direct, proxy, gateway, or gateway+<variant> for an A/B variant. */
  name: string;
  urls: string[];
  path: string;
  headers: Record<string, string>;
  /** Headers that take turns, request by request on each connection (the gateway's stacks; load.ts). */
  connectionHeaders?: Array<Record<string, string>>;
  /** Processes whose CPU is this target's own cost (names as in BenchStack.processes()). */
  processes: Array<{ role: string; name: string; pid: number }>;
  /** Redis CPU counts as this target's own cost (the gateways). */
  usesRedis: boolean;
}

export interface BenchStack {
  /** The Redis the gateways use: a private one, or the primary REDIS_SENTINELS name. */
  redis: { url: string; stop(): Promise<void> };
  redisClient: Redis;
  simulator: RunningService;
  simulatorUrl: string;
  ingresses: RunningService[];
  workers: RunningService[];
  proxies: RunningService[];
  /** direct, proxy, gateway and any gateway+<variant>, in that order. */
  targets: Record<string, Target> & { direct: Target; proxy: Target; gateway: Target };
  /** The gateway and its variants. */
  gateways(): Target[];
  /** Where every process this stack started keeps its garbage-collection pauses (gc-pauses.ts). */
  gcDir: string;
  /** Everything this stack started, with a role, for CPU and memory readings. */
  processes(): Array<{ name: string; pid: number }>;
  sim(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown>;
  /** Meta's median latency; its p99 is `tail` times that (log-normal), 1 a fixed latency. */
  setUpstreamLatency(ms: number, tail?: number): Promise<void>;
  /** Waits until Meta (the simulator) sees no more sends: jobs left over from a run are done. */
  settle(): Promise<void>;
  /** Unexpected exits so far (a crash fails the run). */
  crashes: string[];
  stop(): Promise<void>;
}

const pidOf = (s: RunningService) => s.process.pid!;

export async function startBenchStack(options: BenchOptions): Promise<BenchStack> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  const stacksFile = join(dir, 'stacks.json');
  const gcDir = join(dir, 'gc');
  const gcEnv = gcPauseEnv(gcDir);
  writeFileSync(stacksFile, JSON.stringify(BENCH_STACKS));
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

  const { redis, redisClient } = await benchRedis();
  const stopAll = async () => {
    stopping = true;
    await Promise.allSettled(started.reverse().map((s) => s.stop('SIGTERM', 10_000)));
    await redis.stop();
    redisClient.disconnect();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // Every process on port 0, reached at the port it announced (announcedUrl).
    const simulator = watch(
      await startService({
        name: 'simulator',
        entry: ENTRY_POINTS.simulator,
        env: { ...process.env, ...gcEnv, SIM_PORT: '0', SIM_HOST: '127.0.0.1', SIM_LOG_LEVEL: 'warn', SIM_WEBHOOK_URL: '' },
        readyLine: SIMULATOR_READY_LINE,
      }),
    );
    const simulatorUrl = announcedUrl(simulator);
    const sim = async (method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown) => {
      const response = await request(`${simulatorUrl}/_sim${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.body.text();
      if (response.statusCode >= 400) throw new Error(`simulator ${method} ${path}: ${response.statusCode} ${text}`);
      return text ? (JSON.parse(text) as unknown) : undefined;
    };
    for (const stack of BENCH_STACKS) await sim('PUT', '/accounts', { phoneNumberId: stack.phoneNumberId, wabaId: stack.wabaId, accessToken: stack.accessToken });
    await sim('PUT', '/templates', { wabaId: BENCH_STACK.wabaId, name: HOT_TEMPLATE, language: 'en_US', category: 'MARKETING', status: 'APPROVED' });

    const gatewayEnv: NodeJS.ProcessEnv = {
      ...process.env,
      ...gcEnv,
      REDIS_URL: redis.url,
      // A private Redis is one Redis: a Cluster or Sentinels set for other tools must not redirect the gateways.
      ...(process.env.REDIS_SENTINELS ? {} : { REDIS_SENTINELS: '', REDIS_CLUSTER_NODES: '' }),
      REDIS_KEY_PREFIX: PREFIX,
      STACKS_FILE: stacksFile,
      META_GRAPH_URL: simulatorUrl,
      META_GRAPH_VERSION: GRAPH_VERSION,
      // Several workers and ingresses on one host: each serves /metrics on a free port.
      WORKER_METRICS_PORT: '0',
      INGRESS_METRICS_PORT: '0',
      LOG_LEVEL: options.logLevel,
      TEMPLATE_SYNC_INTERVAL_MS: '0',
      ...(options.workerConcurrency ? { WORKER_CONCURRENCY: String(options.workerConcurrency) } : {}),
      ...options.gatewayEnv,
    };
    /** `root`: another checkout of the repository (the code before a change), or this one. */
    const startGateway = async (variant: string | undefined, hostEnv: NodeJS.ProcessEnv, root?: string) => {
      const tag = variant ? `${variant}-` : '';
      const entry = (path: string) => (root ? join(root, relative(REPO_ROOT, path)) : path);
      // The processes `pnpm gateway` would start with this environment (GATEWAY_PROCESSES, INGRESS_PROCESSES, WORKER_PROCESSES).
      // A checkout from before apps/gateway (issue 13's first rounds) has no process holding both roles: unless told
      // otherwise, it runs as it did then, one ingress and one worker.
      const predatesGateway = root !== undefined && !existsSync(entry(ENTRY_POINTS.gateway));
      const layout = gatewayLayout(predatesGateway ? { GATEWAY_PROCESSES: '0', ...hostEnv } : hostEnv);
      const env = { ...hostEnv, ...layout.env };
      const start = (name: string, path: string, serviceEnv: NodeJS.ProcessEnv) => startService({ name, entry: entry(path), env: serviceEnv, timeoutMs: 60_000 }).then(watch);
      const workers: RunningService[] = [];
      // Processes holding both roles are listed with the ingresses (they take the load), named gateway-N.
      const ingresses: RunningService[] = [];
      const listening = { ...env, PORT: '0', HOST: '127.0.0.1' };
      for (let i = 0; i < layout.workers; i++) workers.push(await start(`worker-${tag}${i}`, ENTRY_POINTS.worker, env));
      for (let i = 0; i < layout.combined; i++) ingresses.push(await start(`gateway-${tag}${i}`, ENTRY_POINTS.gateway, listening));
      for (let i = 0; i < layout.ingresses; i++) ingresses.push(await start(`ingress-${tag}${i}`, ENTRY_POINTS.ingress, listening));
      return { workers, ingresses, urls: ingresses.map(announcedUrl) };
    };
    const { workers, ingresses, urls: ingressUrls } = await startGateway(undefined, gatewayEnv);
    // A/B variants: the same code with other settings, on their own key prefix of the same Redis.
    const variants: Array<{ name: string; gateway: Awaited<ReturnType<typeof startGateway>> }> = [];
    for (const [name, env] of Object.entries(options.variants)) {
      variants.push({ name, gateway: await startGateway(name, { ...gatewayEnv, REDIS_KEY_PREFIX: `${PREFIX}-${name}`, ...env }) });
    }
    if (options.before) {
      variants.push({ name: 'before', gateway: await startGateway('before', { ...gatewayEnv, REDIS_KEY_PREFIX: `${PREFIX}-before` }, options.before) });
      for (const [variant, env] of Object.entries(options.beforeVariants)) {
        const name = `before-${variant}`;
        variants.push({ name, gateway: await startGateway(name, { ...gatewayEnv, REDIS_KEY_PREFIX: `${PREFIX}-${name}`, ...env }, options.before) });
      }
    }
    const proxies: RunningService[] = [];
    for (let i = 0; i < options.proxies; i++) {
      proxies.push(
        watch(
          await startService({
            name: `proxy-${i}`,
            entry: ENTRY_POINTS.baselineProxy,
            env: {
              ...process.env,
              ...gcEnv,
              PORT: '0',
              HOST: '127.0.0.1',
              UPSTREAM_URL: simulatorUrl,
              UPSTREAM_VERSION: GRAPH_VERSION,
              UPSTREAM_ENDPOINT: 'marketing_messages',
              PHONE_NUMBER_ID: BENCH_STACK.phoneNumberId,
              ACCESS_TOKEN: BENCH_STACK.accessToken,
              API_KEY: BENCH_STACK.apiKey,
            },
          }),
        ),
      );
    }

    const json = { 'content-type': 'application/json' };
    const processOf = (role: string) => (s: RunningService) => ({ role, name: s.name, pid: pidOf(s) });
    const gatewayTarget = (name: string, g: { ingresses: RunningService[]; workers: RunningService[]; urls: string[] }): Target => ({
      name,
      urls: g.urls,
      path: '/messages',
      headers: { ...json, authorization: `Bearer ${BENCH_STACK.apiKey}` },
      connectionHeaders: BENCH_STACKS.map((s) => ({ ...json, authorization: `Bearer ${s.apiKey}` })),
      // A process holding both roles (GATEWAY_PROCESSES) is named gateway-N and counted once.
      processes: [...g.ingresses.map((s) => processOf(s.name.startsWith('gateway-') ? 'gateway' : 'ingress')(s)), ...g.workers.map(processOf('worker'))],
      usesRedis: true,
    });
    const targets: BenchStack['targets'] = {
      direct: {
        name: 'direct',
        urls: [simulatorUrl],
        path: `/${GRAPH_VERSION}/${BENCH_STACK.phoneNumberId}/marketing_messages`,
        headers: { ...json, authorization: `Bearer ${BENCH_STACK.accessToken}` },
        processes: [processOf('simulator')(simulator)],
        usesRedis: false,
      },
      proxy: {
        name: 'proxy',
        urls: proxies.map(announcedUrl),
        path: '/messages',
        headers: { ...json, authorization: `Bearer ${BENCH_STACK.apiKey}` },
        processes: proxies.map(processOf('proxy')),
        usesRedis: false,
      },
      gateway: gatewayTarget('gateway', { ingresses, workers, urls: ingressUrls }),
    };
    for (const v of variants) targets[`gateway+${v.name}`] = gatewayTarget(`gateway+${v.name}`, v.gateway);
    return {
      redis,
      redisClient,
      simulator,
      simulatorUrl,
      ingresses,
      workers,
      proxies,
      targets,
      gateways: () => Object.values(targets).filter((t) => t.name.startsWith('gateway')),
      gcDir,
      crashes,
      sim,
      processes: () => started.filter((s) => s.process.exitCode === null).map((s) => ({ name: s.name, pid: pidOf(s) })),
      async setUpstreamLatency(ms: number, tail = 1) {
        for (const endpoint of ['messages', 'marketing_messages']) {
          if (ms > 0) await sim('PUT', `/faults/${endpoint}`, { latencyMs: ms, ...(tail > 1 ? { latencyP99Ms: ms * tail } : {}) });
          else await sim('DELETE', `/faults/${endpoint}`);
        }
      },
      async settle() {
        const total = async () => Object.values((await sim('GET', '/counters')) as Record<string, number>).reduce((a, b) => a + b, 0);
        const deadline = Date.now() + 30_000;
        let last = await total();
        while (Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 300));
          const now = await total();
          if (now === last) return;
          last = now;
        }
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * A private redis-server (the default: its INFO counts only the bench), or, with
 * REDIS_SENTINELS set, the primary the Sentinels name, as the gateway would use it
 * (then INFO includes that Redis's other traffic, and the bench's keys under its
 * prefix are deleted when it ends).
 */
async function benchRedis(): Promise<{ redis: BenchStack['redis']; redisClient: Redis }> {
  if (!process.env.REDIS_SENTINELS) {
    const redis = await startPrivateRedis();
    return { redis, redisClient: new Redis(redis.url, { maxRetriesPerRequest: 1 }) };
  }
  const env = parseEnv(z.object(commonEnv), process.env);
  const redisClient = redisConnections(env).client({ maxRetriesPerRequest: 1 });
  const stop = async () => {
    // The bench's prefixes only: `bench:` and its variants' `bench-<name>:`.
    const keys = [...(await redisClient.keys(`${PREFIX}:*`)), ...(await redisClient.keys(`${PREFIX}-*:*`))];
    for (let i = 0; i < keys.length; i += 1000) await redisClient.unlink(...keys.slice(i, i + 1000));
  };
  await stop();
  return { redis: { url: env.REDIS_URL, stop }, redisClient };
}
