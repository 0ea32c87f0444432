import autocannon from 'autocannon';
import { percentile } from './stats.ts';

export interface LoadSpec {
  urls: string[];
  path: string;
  headers: Record<string, string>;
  /** Headers per connection, round-robin over the connections. */
  connectionHeaders?: Array<Record<string, string>>;
  body: string;
  connections: number;
  durationSec: number;
  /** Messages per second over all connections; unset: as fast as answers come. */
  rate?: number;
}

export interface LoadResult {
  /** 2xx answers per second. */
  rps: number;
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
}

/** Runs autocannon in this process and reads every answer's latency itself. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let ok = 0;
  let non2xx = 0;
  let clients = 0;
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
        duration: spec.durationSec,
        pipelining: 1,
        timeout: 30,
        ...(spec.rate ? { overallRate: spec.rate } : {}),
        ...(perConnection?.length
          ? { setupClient: (client: { setHeaders(h: Record<string, string>): void }) => client.setHeaders(perConnection[clients++ % perConnection.length]!) }
          : {}),
      },
      (error, result) => {
        if (error) return reject(error instanceof Error ? error : new Error(String(error)));
        const elapsedMs = performance.now() - started;
        const sorted = latencies.subarray(0, count).sort();
        resolve({
          rps: (ok * 1000) / elapsedMs,
          ok,
          non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          elapsedMs,
          p50: percentile(sorted, 50),
          p90: percentile(sorted, 90),
          p99: percentile(sorted, 99),
          max: count ? sorted[count - 1]! : NaN,
        });
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode >= 200 && statusCode < 300) ok += 1;
      else non2xx += 1;
      if (count === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[count++] = responseTime;
    });
  });
}
