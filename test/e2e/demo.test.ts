import { execFile, spawn } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { REPO_ROOT, freePort } from '@gw/process-tools';
import { waitFor } from '../support/assertions.ts';

const run = promisify(execFile);

/** One step of the banner: what it says the curl will show, and what it showed. */
interface Step {
  promised: { route: string; reason: string };
  shown: { status: number; route?: string; reason?: string };
}

interface DemoRun {
  steps: Step[];
  warmup: { promised: number[]; shown: number[]; code: number };
  output: string;
  /** The key prefix the banner names. */
  prefix?: string;
  /** Whether the ingress and the worker's operations port refuse connections on a non-loopback address (undefined: the machine has none). */
  loopbackOnly?: boolean;
  /** The media ids the simulator handed out for uploads (what its request log says), and the image ids the sends named. */
  media: { uploaded: string[]; sentInHeaders: string[] };
  /** How `pnpm start` ended: `exit 0`, or the signal (Ctrl-C reaches pnpm too). */
  ended: string;
  /** The demo's own Redis (none with REDIS_URL): whether its port still answered once the demo had ended. */
  privateRedisLeft?: boolean;
}

/** The Redis the banner's warm-up command names. */
const redisPortOf = (output: string) => Number(/REDIS_URL=redis:\/\/127\.0\.0\.1:(\d+) /.exec(output)?.[1]);

async function demoEnv(redisUrl?: string): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(await freePort()),
    SIM_PORT: String(await freePort()),
    WORKER_METRICS_PORT: String(await freePort()),
  };
  for (const name of ['REDIS_URL', 'REDIS_KEY_PREFIX', 'HOST', 'WORKER_METRICS_HOST', 'TEMPLATE_SYNC_INTERVAL_MS', 'ADMIN_TOKEN']) delete env[name];
  if (redisUrl) env.REDIS_URL = redisUrl;
  return env;
}

/** Starts `pnpm start` as a user would, runs every command its banner prints, then presses Ctrl-C. */
async function runDemo(env: NodeJS.ProcessEnv): Promise<DemoRun> {
  const child = spawn('pnpm', ['start'], { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  // 'close': every process holding the demo's output has ended, not only pnpm.
  const exited = new Promise<string>((resolve) => child.once('close', (code, signal) => resolve(signal ?? `exit ${code}`)));
  try {
    await waitFor('the demo banner', async () => output.includes('Ctrl-C stops everything'), 60_000);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && !i.internal && i.family === 'IPv4')?.address;
    const loopbackOnly = external ? (await refused(external, Number(env.PORT))) && (await refused(external, Number(env.WORKER_METRICS_PORT))) : undefined;

    const steps: Step[] = [];
    for (const [, route, reason, curl] of output.matchAll(/^\s+Shows x-gateway-route: (\S+), x-gateway-route-reason: (\S+)\n\s+(curl .+)$/gm)) {
      const { stdout } = await run('bash', ['-c', curl!]);
      const status = Number(/^HTTP\/[\d.]+ (\d+)/.exec(stdout)?.[1]);
      const header = (name: string) => new RegExp(`^${name}: (\\S+)`, 'mi').exec(stdout)?.[1];
      steps.push({ promised: { route: route!, reason: reason! }, shown: { status, route: header('x-gateway-route'), reason: header('x-gateway-route-reason') } });
    }

    const metaSaw = /What Meta saw:\s+(curl .+)$/m.exec(output)?.[1];
    const requests = JSON.parse((await run('bash', ['-c', `${metaSaw!}?endpoint=media`])).stdout) as { requests?: Array<{ endpoint: string; status: number; body: unknown }> };
    const sends = JSON.parse((await run('bash', ['-c', `${metaSaw!}?endpoint=marketing_messages`])).stdout) as { requests?: Array<{ body: unknown }> };
    const media = {
      uploaded: (requests.requests ?? []).filter((r) => r.status === 200).map((r) => JSON.stringify(r.body)),
      sentInHeaders: (sends.requests ?? []).flatMap((r) => [...JSON.stringify(r.body).matchAll(/"image":\{"id":"([^"]*)"/g)].map((m) => m[1]!)),
    };

    await waitFor('a forwarded MM status with marketing_lite', async () => output.includes('pricing=marketing_lite'), 20_000);

    const [, ...promisedCounts] = /Shows a summary: marketing (\d+), non-marketing (\d+), errors (\d+)\n\s+(.+pnpm warmup .+)$/m.exec(output) ?? [];
    const command = promisedCounts.pop()!;
    const warmup = await run('bash', ['-c', command], { cwd: REPO_ROOT, env: process.env }).then(
      (r) => ({ code: 0, text: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, text: e.stdout + e.stderr }),
    );
    const count = (row: string) => Number(new RegExp(`${row}\\s*│\\s*(\\d+)`).exec(warmup.text)?.[1]);

    process.kill(-child.pid!, 'SIGINT');
    const ended = await exited;
    return {
      privateRedisLeft: env.REDIS_URL ? undefined : !(await refused('127.0.0.1', redisPortOf(output))),
      steps,
      warmup: { promised: promisedCounts.map(Number), shown: [count('│ marketing'), count('non-marketing'), count('errors')], code: warmup.code },
      output,
      prefix: /\(key prefix (\S+)\)/.exec(output)?.[1],
      loopbackOnly,
      media,
      ended,
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGKILL');
      // Its private Redis runs in a process group of its own: a demo killed here cannot remove it.
      if (!env.REDIS_URL && redisPortOf(output)) {
        const leftover = new Redis(redisPortOf(output), { maxRetriesPerRequest: 0, retryStrategy: () => null });
        await leftover.call('shutdown', 'nosave').catch(() => undefined);
        leftover.disconnect();
      }
    }
  }
}

function expectBannerKept(demo: DemoRun) {
  expect(demo.steps.map((s) => s.promised)).toEqual([
    { route: 'marketing_messages', reason: 'checked_accepted' },
    { route: 'cloud_api', reason: 'checked_fallback' },
    { route: 'marketing_messages', reason: 'cached_marketing' },
    { route: 'cloud_api', reason: 'cached_non_marketing' },
    { route: 'cloud_api', reason: 'not_individual' },
    { route: 'marketing_messages', reason: 'max_price' },
    { route: 'marketing_messages', reason: 'checked_accepted' },
  ]);
  for (const step of demo.steps) expect(step.shown).toEqual({ status: 200, ...step.promised });
  // Step 7's send names the id of the image uploaded through the gateway.
  expect(demo.media.sentInHeaders).toHaveLength(1);
  expect(demo.media.uploaded.join()).toContain(demo.media.sentInHeaders[0]);
  expect(demo.warmup.code).toBe(0);
  expect(demo.warmup.shown).toEqual(demo.warmup.promised);
  if (demo.loopbackOnly !== undefined) expect(demo.loopbackOnly).toBe(true);
  // Ctrl-C: everything stops cleanly, without pnpm's failure line.
  expect(['exit 0', 'SIGINT']).toContain(demo.ended);
  expect(demo.output).toContain('Demo stopped');
  expect(demo.output).not.toContain('ELIFECYCLE');
  // The ingress and the worker drained against a Redis that was still there (Ctrl-C does not reach it), which then went.
  expect(demo.output).not.toMatch(/ECONNREFUSED|ECONNRESET|Unhandled error event/);
  if (demo.privateRedisLeft !== undefined) expect(demo.privateRedisLeft).toBe(false);
}

function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 });
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
    socket.once('timeout', () => (socket.destroy(), resolve(true)));
  });
}

describe('the demo (pnpm start)', () => {
  it('shows what its banner says, the same twice in a row, listens on loopback only and leaves no state behind', async () => {
    // First run: its own private Redis.
    const first = await runDemo(await demoEnv());
    expectBannerKept(first);

    // Second run: a Redis it did not start (the suite's), so what it leaves there can be checked.
    const redisUrl = inject('redisUrl');
    const redis = new Redis(redisUrl);
    try {
      const second = await runDemo(await demoEnv(redisUrl));
      expectBannerKept(second);
      expect(second.steps).toEqual(first.steps);
      expect(second.warmup).toEqual(first.warmup);
      expect(second.prefix).toMatch(/^gw-demo-[0-9a-f]{8}$/);
      expect(await redis.keys(`${second.prefix}:*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  }, 240_000);
});
