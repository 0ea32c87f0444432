import { describe, expect, it } from 'vitest';
import type { RunRecord } from './matrix.ts';
import type { MemoryResult } from './memory.ts';
import { describeLayout, markdown, processColumns, summarise, verdicts } from './report.ts';

/** A run of the 100 ms, c=1024 cell: only what the verdict reads. */
const run = (round: number, target: string, rps: number, p99: number) =>
  ({
    round,
    target,
    rps,
    p99,
    p50: p99 / 2,
    p99All: p99,
    latencyMs: 100,
    concurrency: 1024,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    ownCpuUsPerMsg: 1,
    cpuUsPerMsg: {},
    cpuUsPerMsgByRole: {},
    redisCommandsPerMsg: 1,
    redisCommandStatsPerMsg: {},
  }) as unknown as RunRecord;

describe('bench report', () => {
  const processes = ['loadgen', 'redis', 'simulator', 'proxy-0', 'gateway-0', 'gateway-before-0', 'ingress-before-default-0', 'worker-before-default-0', 'worker-one-1'];

  it("lists each gateway target's own processes beside the shared ones, whatever their role", () => {
    expect(processColumns('gateway', processes)).toEqual(['gateway-0', 'loadgen', 'redis', 'simulator']);
    expect(processColumns('gateway+before', processes)).toEqual(['gateway-before-0', 'loadgen', 'redis', 'simulator']);
    expect(processColumns('gateway+before-default', processes)).toEqual(['ingress-before-default-0', 'loadgen', 'redis', 'simulator', 'worker-before-default-0']);
    expect(processColumns('gateway+one', processes)).toEqual(['loadgen', 'redis', 'simulator', 'worker-one-1']);
  });

  it("holds a gateway's p99 against the proxy's of the same round, as its throughput", () => {
    // A busy machine in round 1 slows the gateway's run; round by round the gateway is ahead in 2 of 3.
    const proxy: Array<[number, number]> = [
      [2000, 600],
      [2300, 640],
      [1580, 970],
    ];
    /** The proxy's three rounds above, each beside a gateway run of [req/s, p99]. */
    const rounds = (gateway: Array<[number, number]>) =>
      proxy.flatMap(([rps, p99], i) => {
        const [gatewayRps, gatewayP99] = gateway[i]!;
        return [run(i + 1, 'proxy', rps, p99), run(i + 1, 'gateway', gatewayRps, gatewayP99)];
      });
    const [latency] = verdicts(
      summarise(
        rounds([
          [1650, 860],
          [2380, 560],
          [1720, 830],
        ]),
      ),
      [],
    );
    // Medians from different rounds would say 830 against 640 ms (+190, missed); paired, the median is -80.
    expect(latency).toMatchObject({ target: 'real latency: 100 ms, c=1024', met: true });
    expect(latency!.measured).toContain('p99 -80 ms over the proxy');
    expect(latency!.measured).toContain('medians: 830 vs 640 ms');

    const slower = rounds([
      [1900, 760],
      [2200, 700],
      [1550, 1090],
    ]);
    expect(verdicts(summarise(slower), [])[0]).toMatchObject({ met: false });
    expect(verdicts(summarise(slower), [])[0]!.measured).toContain('p99 +120 ms over the proxy');
  });

  it("reports each target's garbage-collection pauses per second of its runs, and leaves them out of results without them", () => {
    const timed = (record: RunRecord, pausedMs: number, over50: number) => ({ ...record, elapsedMs: 5000, gcPauses: { pauses: 20, pausedMs, over50, over100: 0 } }) as RunRecord;
    const runs = [
      timed(run(1, 'proxy', 2000, 600), 800, 0),
      timed(run(1, 'gateway', 2100, 650), 600, 3),
      timed(run(2, 'proxy', 2000, 600), 900, 1),
      timed(run(2, 'gateway', 2100, 650), 700, 4),
      timed(run(3, 'proxy', 2000, 600), 1000, 0),
      timed(run(3, 'gateway', 2100, 650), 650, 5),
    ];
    const [cell] = summarise(runs);
    expect(cell!.targets.gateway!.gc).toEqual({ pausedMsPerSec: 130, pausesPerSec: 4, over50PerSec: 0.8, over100PerSec: 0 });
    expect(cell!.targets.proxy!.gc).toMatchObject({ pausedMsPerSec: 180, over50PerSec: 0 });
    const meta = { command: 'pnpm bench', proxies: 1, rounds: 3, durationSec: 5, host: { cpus: 2 }, loadAverage: 1 };
    expect(markdown(summarise(runs), [], meta)).toContain('| 100 ms | 1024 | gateway | 130.0 | 4.0 | 0.80 | 0.00 |');
    const older = runs.map(({ gcPauses: _, ...rest }) => rest as RunRecord);
    expect(summarise(older)[0]!.targets.gateway!.gc).toBeUndefined();
    expect(markdown(summarise(older), [], meta)).not.toContain('Garbage-collection pauses');
  });

  it('gives the heap per send in flight of each process whose heap was read, and n/a for results without it', () => {
    const memory = (target: string, heapKbPerSend?: Record<string, number>): MemoryResult => ({
      target,
      connections: 4096,
      latencyMs: 2000,
      inFlight: 4096,
      atMeta: 4000,
      rps: 2000,
      failures: 0,
      rssMb: { [`${target}-0`]: { idle: 100, peak: 300, after: 150 } },
      ...(heapKbPerSend ? { heapKbPerSend } : {}),
    });
    const meta = { command: 'pnpm bench', proxies: 1, rounds: 3, durationSec: 5, host: { cpus: 2 }, loadAverage: 1 };
    const cells = summarise([run(1, 'proxy', 2000, 600), run(1, 'gateway', 2100, 650)]);
    const extras = { campaigns: [], memory: [memory('gateway', { 'gateway-0': 11.2 }), memory('proxy', { 'proxy-0': 7.5 }), memory('gateway+before')] };
    const text = markdown(cells, [], meta, extras);
    expect(text).toContain('| gateway | 4096 | 2000 | 4000 | 2000 | 0 | gateway-0 100 / 300 / 150 | gateway-0 11.2 KB |');
    expect(text).toContain('| proxy | 4096 | 2000 | 4000 | 2000 | 0 | proxy-0 100 / 300 / 150 | proxy-0 7.5 KB |');
    expect(text).toContain('| gateway+before | 4096 | 2000 | 4000 | 2000 | 0 | gateway+before-0 100 / 300 / 150 | n/a |');
    expect(verdicts(cells, [], extras).find((v) => v.target.startsWith('memory'))?.measured).toBe('gateway-0 300 MB (idle 100, after 150); heap per send gateway-0 11.2 KB');
  });

  it('names the layout it measured', () => {
    expect(describeLayout({ combined: 1, ingresses: 0, workers: 0 })).toBe('1 process with both roles');
    expect(describeLayout({ combined: 0, ingresses: 1, workers: 2 })).toBe('1 ingress + 2 worker');
    expect(describeLayout({ combined: 2, ingresses: 0, workers: 1 })).toBe('2 processes with both roles, 0 ingress + 1 worker');
  });
});
