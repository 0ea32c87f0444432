import { Pool } from 'undici';
import { measureUsage } from './measure.ts';
import { percentile } from './stats.ts';
import type { BenchOptions } from './options.ts';
import { BENCH_STACK, HOT_TEMPLATE, templateBody, type BenchStack, type Target } from './stack.ts';

export interface CampaignResult {
  target: string;
  sends: number;
  rate: number;
  latencyMs: number;
  tail: number;
  ok: number;
  /** Non-2xx answers, connection errors and client timeouts. */
  failures: number;
  elapsedSec: number;
  /** 2xx answers per second over the whole campaign. */
  msgPerSec: number;
  /** Answers by HTTP status and gateway reason. */
  statuses: Record<string, number>;
  /** Sends Meta saw for the number. */
  metaSends: number;
  p50: number;
  p99: number;
  /**
   * µs of CPU per message of the target's processes (and Redis) at this fixed rate: below saturation, so
   * steadier between runs than the closed-loop cells', whose CPU per message rises with the machine's load.
   */
  ownCpuUsPerMsg?: number;
}

interface OpenLoopResult {
  /** Answers by HTTP status and gateway reason (`error` for no answer). */
  statuses: Record<string, number>;
  ok: number;
  failures: number;
  elapsedMs: number;
  p50: number;
  p99: number;
}

/**
 * Sends `total` requests at `rate` per second on a clock, whatever the answers do (an
 * open loop, like a campaign sender): a slow gateway shows up as sends piling up, not
 * as a politely slower client.
 */
async function openLoop(url: string, path: string, headers: Record<string, string>, body: string, rate: number, total: number): Promise<OpenLoopResult> {
  // A sender's keep-alive pool: twice the rate in connections, enough for two seconds of answers.
  const pool = new Pool(url, { connections: Math.max(64, Math.min(4096, rate * 2)), keepAliveTimeout: 30_000 });
  const latencies = new Float64Array(total);
  let launched = 0;
  let answered = 0;
  let ok = 0;
  const statuses: Record<string, number> = {};
  const count = (key: string) => (statuses[key] = (statuses[key] ?? 0) + 1);
  const started = performance.now();
  const one = async () => {
    const sent = performance.now();
    try {
      const answer = await pool.request({ method: 'POST', path, headers, body, headersTimeout: 60_000, bodyTimeout: 60_000 });
      await answer.body.text();
      if (answer.statusCode >= 200 && answer.statusCode < 300) ok++;
      count(`${answer.statusCode} ${String(answer.headers['x-gateway-route-reason'] ?? '')}`.trim());
    } catch (error) {
      count(`error ${(error as { code?: string }).code ?? (error as Error).message}`);
    }
    latencies[answered++] = performance.now() - sent;
  };
  const inFlight: Array<Promise<void>> = [];
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
      while (launched < due) {
        launched++;
        inFlight.push(one());
      }
      if (launched < total) setTimeout(tick, 5);
      else resolve();
    };
    tick();
  });
  await Promise.all(inFlight);
  const elapsedMs = performance.now() - started;
  await pool.close();
  const sorted = latencies.sort();
  return { statuses, ok, failures: total - ok, elapsedMs, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/**
 * A campaign to one number at its tier: `sends` messages offered at `rate` msg/s
 * while Meta answers in `latencyMs` (median). Pacing (the number's 1,000 msg/s)
 * should be the only limit: sustained msg/s close to the rate and no failures.
 */
export async function runCampaign(stack: BenchStack, target: Target, options: BenchOptions): Promise<CampaignResult> {
  await stack.setUpstreamLatency(options.campaignLatencyMs, options.tail);
  await stack.settle();
  const count = async () => ((await stack.sim('GET', '/counters')) as Record<string, number>).marketing_messages ?? 0;
  const before = await count();
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${BENCH_STACK.apiKey}` };
  const { result: load, ownCpuUsPerMsg } = await measureUsage(stack, target, () =>
    openLoop(target.urls[0]!, target.path, headers, templateBody(HOT_TEMPLATE), options.campaignRate, options.campaign),
  );
  const metaSends = (await count()) - before;
  await stack.setUpstreamLatency(0);
  const elapsedSec = load.elapsedMs / 1000;
  return {
    target: target.name,
    sends: options.campaign,
    rate: options.campaignRate,
    latencyMs: options.campaignLatencyMs,
    tail: options.tail,
    ok: load.ok,
    failures: load.failures,
    statuses: load.statuses,
    elapsedSec: Math.round(elapsedSec * 10) / 10,
    msgPerSec: Math.round(load.ok / elapsedSec),
    metaSends,
    p50: Math.round(load.p50),
    p99: Math.round(load.p99),
    ownCpuUsPerMsg: Math.round(ownCpuUsPerMsg),
  };
}
