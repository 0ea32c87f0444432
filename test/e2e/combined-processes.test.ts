import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { JOBS, QUEUES } from '@gw/contracts';
import { REPO_ROOT } from '@gw/process-tools';
import { makeStack, post, startGateway, startSimulator, templateMessage, type Gateway, type HttpAnswer, type Simulator } from '../support/harness.ts';
import { sendsLoggedBy, waitFor } from '../support/assertions.ts';

/**
 * Both roles in one process (apps/gateway; `pnpm gateway` with GATEWAY_PROCESSES), two such processes
 * on one Redis. Every send still goes through the shared queue, so either process may run it: a reply
 * to the process's own ingress is handed over in memory, a reply to the other one is published.
 */
const stack = makeStack();
let sim: Simulator;
let gateway: Gateway;
let listener: Redis;
/** Send ids published on any reply channel of this gateway. */
const published = new Set<string>();

beforeAll(async () => {
  sim = await startSimulator();
  await sim.control.account(stack);
  await sim.control.template(stack.wabaId, 'combined_promo', 'MARKETING');
  await sim.control.fault('marketing_messages', { latencyMs: 40 });
  gateway = await startGateway({
    stacks: [stack],
    metaUrl: sim.url,
    combined: 2,
    // Small batches and few jobs per process, so a burst spreads over both processes' workers.
    env: { WORKER_CONCURRENCY: '4', SEND_BATCH_MAX_ITEMS: '4', LOG_LEVEL: 'info' },
  });
  listener = new Redis(gateway.redisUrl);
  listener.on('pmessage', (_pattern: string, _channel: string, message: string) => {
    for (const reply of JSON.parse(message) as Array<{ jobId: string }>) published.add(reply.jobId);
  });
  await listener.psubscribe(`${gateway.prefix}:reply:*`);
});

afterAll(async () => {
  await listener?.quit();
  await gateway?.stop();
  await sim?.stop();
});

const send = (url: string, to: string) => post(`${url}/messages`, templateMessage('combined_promo', 'en_US', to), { authorization: `Bearer ${stack.apiKey}` });

describe('ingress and worker in one process', () => {
  it('answers every send with its own result; replies cross processes over Redis and stay in memory otherwise', async () => {
    const sends = Array.from({ length: 80 }, (_, i) => ({ to: `+1555${String(8000000 + i)}`, via: i % 2 }));
    const answers = await Promise.all(sends.map((s) => send(gateway.urls[s.via]!, s.to)));

    const recorded = await sim.control.requests({ phoneNumberId: stack.phoneNumberId });
    const accepted = new Map<string, string[]>();
    for (const r of recorded) if (r.status === 200 && r.wamid) accepted.set(r.body.to, [...(accepted.get(r.body.to) ?? []), r.wamid]);
    sends.forEach((s, i) => {
      const answer = answers[i]!;
      expect(answer.status, `send ${i}: ${answer.text}`).toBe(200);
      expect(answer.headers['x-gateway-route']).toBe('marketing_messages');
      expect(accepted.get(s.to), `recipient ${s.to}`).toEqual([answer.body.messages[0].id]);
    });

    const ids = answers.map((a) => String(a.headers['x-gateway-job-id']));
    const ranBy = () => gateway.ingresses.map(sendsLoggedBy);
    await waitFor('every send in a process log', async () => ids.every((id) => ranBy().some((logged) => logged.has(id))), 5000);
    const logs = ranBy();
    expect(logs[0]!.size, 'sends run by process 1').toBeGreaterThan(0);
    expect(logs[1]!.size, 'sends run by process 2').toBeGreaterThan(0);
    // Run by the process that holds the client: no PUBLISH. Run by the other one: published to the holder's channel.
    const crossed = ids.filter((id, i) => !logs[sends[i]!.via]!.has(id));
    const local = ids.filter((id, i) => logs[sends[i]!.via]!.has(id));
    expect(local.length, 'sends answered in memory').toBeGreaterThan(0);
    expect(crossed.length, 'sends answered across processes').toBeGreaterThan(0);
    expect(local.filter((id) => published.has(id))).toEqual([]);
    expect(crossed.filter((id) => !published.has(id))).toEqual([]);
  });

  it('on SIGTERM answers the sends it holds, finishes the jobs it runs, and exits 0', async () => {
    await sim.control.fault('marketing_messages', { latencyMs: 400 });
    const sends = Array.from({ length: 20 }, (_, i) => ({ to: `+1555${String(8100000 + i)}`, via: i % 2 }));
    const pending: Array<Promise<HttpAnswer>> = sends.map((s) => send(gateway.urls[s.via]!, s.to));
    await new Promise((r) => setTimeout(r, 150));
    const stopping = gateway.ingresses[1]!;
    const code = await stopping.stop('SIGTERM', 20_000);
    const answers = await Promise.all(pending);
    expect(code).toBe(0);
    answers.forEach((answer, i) => expect(answer.status, `send ${i}: ${answer.text}`).toBe(200));
    const recorded = await sim.control.requests({ phoneNumberId: stack.phoneNumberId });
    for (const s of sends) expect(recorded.filter((r) => r.body.to === s.to && r.status === 200)).toHaveLength(1);
    // The other process carries on alone.
    expect((await send(gateway.urls[0]!, '+15558199999')).status).toBe(200);
  });

  it('`pnpm gateway` with no layout set runs one such process with a send carrier and no separate ones, and stops it on SIGTERM', async () => {
    const env: NodeJS.ProcessEnv = { ...gateway.env, PORT: '0', HOST: '127.0.0.1', INGRESS_METRICS_PORT: '0', WORKER_METRICS_PORT: '0', LOG_LEVEL: 'info' };
    for (const name of ['GATEWAY_PROCESSES', 'INGRESS_PROCESSES', 'WORKER_PROCESSES', 'SEND_CARRIERS']) delete env[name];
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/gateway.ts')], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const queue = new Queue(QUEUES.send, { connection: { url: gateway.redisUrl }, prefix: gateway.prefix });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waitFor('the ingress listening', async () => output.includes('ingress listening'), 60_000);
      const port = Number(/"port":(\d+)[^\n]*ingress listening/.exec(output)?.[1]);
      const answer = await send(`http://127.0.0.1:${port}`, '+15558299999');
      expect(answer.status, answer.text).toBe(200);
      // One process with both roles, and no separate ingress or worker: the entry points of its children.
      const children = execFileSync('ps', ['--ppid', String(child.pid), '-o', 'args='], { encoding: 'utf8' })
        .trim()
        .split('\n');
      // (Other children, such as tsx's esbuild service on a cold cache, are not the gateway's.)
      expect(children.map((args) => /apps\/(\w+)\/src\/main\.ts/.exec(args)?.[1]).filter(Boolean)).toEqual(['gateway']);
      // Its send went through a send carrier's job (this file's other processes run no ingress with carriers).
      const carriers = await queue.getJobs(['active', 'waiting', 'completed']);
      expect(carriers.filter((job) => job.name === JOBS.sendCarrier.name)).toHaveLength(1);
    } finally {
      child.kill('SIGTERM');
      await queue.close();
    }
    expect(await exited).toBe(0);
  }, 90_000);
});
