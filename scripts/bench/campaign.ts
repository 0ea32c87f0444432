import { runLoad } from './load.ts';
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
  /** Sends Meta saw for the number. */
  metaSends: number;
  p50: number;
  p99: number;
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
  // One connection per send per second: each has a whole second for Meta's answer, the tail included.
  const connections = Math.max(1, Math.round(options.campaignRate));
  const load = await runLoad({
    urls: target.urls,
    path: target.path,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_STACK.apiKey}` },
    body: templateBody(HOT_TEMPLATE),
    connections,
    durationSec: 0,
    rate: options.campaignRate,
    amount: options.campaign,
  });
  await stack.settle();
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
    failures: load.non2xx + load.errors + load.timeouts,
    elapsedSec: Math.round(elapsedSec * 10) / 10,
    msgPerSec: Math.round(load.ok / elapsedSec),
    metaSends,
    p50: Math.round(load.p50),
    p99: Math.round(load.p99),
  };
}
