import { describe, expect, it } from 'vitest';
import { matrixCells, parseCells, parseOptions } from './options.ts';

describe('bench options', () => {
  it('measure the 0 and 20 ms matrix, then the realistic cells at c=1024, the campaign and memory by default', () => {
    const options = parseOptions([]);
    expect(options.cells).toEqual([
      { latencyMs: 0, concurrency: 1 },
      { latencyMs: 0, concurrency: 16 },
      { latencyMs: 0, concurrency: 128 },
      { latencyMs: 20, concurrency: 1 },
      { latencyMs: 20, concurrency: 16 },
      { latencyMs: 20, concurrency: 128 },
      { latencyMs: 100, concurrency: 1024 },
      { latencyMs: 250, concurrency: 1024 },
    ]);
    expect(options).toMatchObject({ tail: 2, campaign: 60_000, campaignRate: 1000, campaignLatencyMs: 250, memory: 4096 });
  });

  it('run exactly the cells asked for with --cells, ignoring the matrix options', () => {
    const options = parseOptions(['--', '--cells', '250/1024,0/1', '--latency', '5', '--campaign', '0', '--memory', '0']);
    expect(options.cells).toEqual([
      { latencyMs: 250, concurrency: 1024 },
      { latencyMs: 0, concurrency: 1 },
    ]);
    expect(options.campaign).toBe(0);
    expect(options.memory).toBe(0);
  });

  it('profile the first cell of --cells, else the first latency at the highest concurrency', () => {
    expect(parseOptions([]).profileCell).toEqual({ latencyMs: 0, concurrency: 128 });
    expect(parseOptions(['--', '--profile', '--cells', '250/256,0/1']).profileCell).toEqual({ latencyMs: 250, concurrency: 256 });
    expect(parseOptions(['--', '--profile', '--latency', '100', '--concurrency', '16,1024']).profileCell).toEqual({ latencyMs: 100, concurrency: 1024 });
  });

  it('skip the realistic cells with --real none and never repeat a cell', () => {
    expect(matrixCells([0], [16], 'none', 1024)).toEqual([{ latencyMs: 0, concurrency: 16 }]);
    expect(matrixCells([250], [1024], '250', 1024)).toEqual([{ latencyMs: 250, concurrency: 1024 }]);
  });

  it('measure settings of the --before checkout as before-variants, only with --before', () => {
    const options = parseOptions(['--before', '/tmp/old', '--variant', 'one:GATEWAY_PROCESSES=1', '--before-variant', 'one:GATEWAY_PROCESSES=1,SEND_CARRIERS=1']);
    expect(options.variants).toEqual({ one: { GATEWAY_PROCESSES: '1' } });
    expect(options.beforeVariants).toEqual({ one: { GATEWAY_PROCESSES: '1', SEND_CARRIERS: '1' } });
    expect(() => parseOptions(['--before-variant', 'one:SEND_CARRIERS=1'])).toThrow(/needs --before/);
  });

  it('measure the gateway as `pnpm gateway` starts it, against as many proxy processes as it has', () => {
    expect(parseOptions([])).toMatchObject({ layout: { combined: 1, ingresses: 0, workers: 0 }, proxies: 1 });
    expect(parseOptions(['--env', 'GATEWAY_PROCESSES=0'])).toMatchObject({ layout: { combined: 0, ingresses: 1, workers: 1 }, proxies: 2 });
    const separate = parseOptions(['--ingress', '2', '--workers', '3', '--proxies', '4']);
    expect(separate).toMatchObject({ layout: { combined: 0, ingresses: 2, workers: 3 }, proxies: 4 });
    expect(separate.gatewayEnv).toEqual({ INGRESS_PROCESSES: '2', WORKER_PROCESSES: '3' });
  });

  it('refuse a malformed cell', () => {
    expect(() => parseCells('250x1024')).toThrow(/latency\/concurrency/);
  });

  it('keep a shorter campaign for --quick', () => {
    expect(parseOptions(['--quick']).campaign).toBe(10_000);
  });

  it("leave a run's first second out of its latency percentiles, half a second with --quick, as asked", () => {
    expect(parseOptions([]).latencyFromMs).toBe(1000);
    expect(parseOptions(['--quick']).latencyFromMs).toBe(500);
    expect(parseOptions(['--latency-from', '0']).latencyFromMs).toBe(0);
  });
});
