import { describe, expect, it } from 'vitest';
import type { RunRecord } from './matrix.ts';
import { describeLayout, processColumns, summarise, verdicts } from './report.ts';

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

  it('names the layout it measured', () => {
    expect(describeLayout({ combined: 1, ingresses: 0, workers: 0 })).toBe('1 process with both roles');
    expect(describeLayout({ combined: 0, ingresses: 1, workers: 2 })).toBe('1 ingress + 2 worker');
    expect(describeLayout({ combined: 2, ingresses: 0, workers: 1 })).toBe('2 processes with both roles, 0 ingress + 1 worker');
  });
});
