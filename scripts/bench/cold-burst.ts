import { Pool } from 'undici';
import type { BenchStack } from './stack.ts';
import { BENCH_STACK, templateBody } from './stack.ts';

export interface ColdBurstResult {
  round: number;
  latencyMs: number;
  sends: number;
  template: string;
  mmCalls: number;
  cloudCalls: number;
  statuses: Record<string, number>;
  reasons: Record<string, number>;
  wallMs: number;
}

/** N concurrent first sends of one utility template nobody has seen: how often does the gateway ask Meta? */
export async function coldBurst(stack: BenchStack, sends: number, round: number, latencyMs: number): Promise<ColdBurstResult> {
  const template = `bench_cold_utility_${Date.now().toString(36)}_${round}_${latencyMs}`;
  await stack.sim('PUT', '/templates', { wabaId: BENCH_STACK.wabaId, name: template, language: 'en_US', category: 'UTILITY', status: 'APPROVED' });
  await stack.setUpstreamLatency(latencyMs);
  await stack.settle();
  const urls = stack.targets.gateway.urls;
  const pools = urls.map((url) => new Pool(url, { connections: Math.ceil(sends / urls.length) }));
  const before = (await stack.sim('GET', '/counters')) as Record<string, number>;
  const statuses: Record<string, number> = {};
  const reasons: Record<string, number> = {};
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: sends }, async (_, i) => {
        const answer = await pools[i % pools.length]!.request({
          method: 'POST',
          path: '/messages',
          headers: stack.targets.gateway.headers,
          body: templateBody(template, `+1555${String(100000 + i)}`),
        });
        await answer.body.text();
        statuses[answer.statusCode] = (statuses[answer.statusCode] ?? 0) + 1;
        const reason = String(answer.headers['x-gateway-route-reason'] ?? 'none');
        reasons[reason] = (reasons[reason] ?? 0) + 1;
      }),
    );
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
  const wallMs = performance.now() - started;
  const after = (await stack.sim('GET', '/counters')) as Record<string, number>;
  await stack.setUpstreamLatency(0);
  return {
    round,
    latencyMs,
    sends,
    template,
    mmCalls: (after.marketing_messages ?? 0) - (before.marketing_messages ?? 0),
    cloudCalls: (after.messages ?? 0) - (before.messages ?? 0),
    statuses,
    reasons,
    wallMs,
  };
}
