import autocannon from 'autocannon';
import { percentile } from './stats.ts';

export interface LoadSpec {
  urls: string[];
  path: string;
  headers: Record<string, string>;
  /**
   * Headers that take turns: each connection cycles through them request by request, from its own first one, so
   * even one connection spreads its sends over them (the bench's stacks: no number is driven past its tier).
   */
  connectionHeaders?: Array<Record<string, string>>;
  body: string;
  connections: number;
  durationSec: number;
  /** Messages per second over all connections; unset: as fast as answers come. */
  rate?: number;
  /** Stop after this many requests instead of after durationSec. */
  amount?: number;
  /**
   * Answers to requests sent in the run's first this many ms stay out of p50/p90/p99/max (they are in
   * p99All): every connection of a run is new and sends at once, and that start is not the steady state.
   */
  latencyFromMs?: number;
}

export interface LoadResult {
  /** 2xx answers per second. */
  rps: number;
  /** Answers by HTTP status. */
  statuses: Record<string, number>;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  elapsedMs: number;
  /** Client-side latencies in ms, from sub-millisecond timings (autocannon's own histogram is whole ms). */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** p99 over every answer, the run's start included. */
  p99All: number;
  /** Answers left out of the percentiles above (sent in the first latencyFromMs). */
  startAnswers: number;
}

/** Runs autocannon in this process and reads every answer's latency itself. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const latencyFromMs = spec.latencyFromMs ?? 0;
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  /** Latencies of the answers to requests sent in the first latencyFromMs. */
  const startLatencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let clients = 0;
  const statuses: Record<string, number> = {};
  const perConnection = spec.connectionHeaders;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const instance = autocannon(
      {
        // Several URLs spread the connections over them (autocannon supports it; its types do not say so).
        url: spec.urls.map((u) => `${u}${spec.path}`) as unknown as string,
        method: 'POST',
        headers: spec.headers,
        body: spec.body,
        connections: spec.connections,
        ...(spec.amount ? { amount: spec.amount } : { duration: spec.durationSec }),
        pipelining: 1,
        timeout: 30,
        ...(spec.rate ? { overallRate: spec.rate } : {}),
        ...(perConnection?.length
          ? {
              setupClient: (client: { setRequests(requests: Array<{ headers: Record<string, string> }>): void }) => {
                const first = clients++;
                client.setRequests(perConnection.map((_, i) => ({ headers: perConnection[(first + i) % perConnection.length]! })));
              },
            }
          : {}),
      },
      (error, result) => {
        if (error) return reject(error instanceof Error ? error : new Error(String(error)));
        const elapsedMs = performance.now() - started;
        const sorted = latencies.subarray(0, count).sort();
        const all = new Float64Array(count + startLatencies.length);
        all.set(sorted);
        all.set(startLatencies, count);
        all.sort();
        resolve({
          rps: (ok * 1000) / elapsedMs,
          statuses,
          ok,
          non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          elapsedMs,
          p50: percentile(sorted, 50),
          p90: percentile(sorted, 90),
          p99: percentile(sorted, 99),
          max: count ? sorted[count - 1]! : NaN,
          p99All: percentile(all, 99),
          startAnswers: startLatencies.length,
        });
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) ok += 1;
      else non2xx += 1;
      // Sent at (now - responseTime) into the run.
      if (performance.now() - started - responseTime < latencyFromMs) {
        startLatencies.push(responseTime);
        return;
      }
      if (count === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[count++] = responseTime;
    });
  });
}
