import { describe, expect, it } from 'vitest';
import { describeLayout, processColumns } from './report.ts';

describe('bench report', () => {
  const processes = ['loadgen', 'redis', 'simulator', 'proxy-0', 'gateway-0', 'gateway-before-0', 'ingress-before-default-0', 'worker-before-default-0', 'worker-one-1'];

  it("lists each gateway target's own processes beside the shared ones, whatever their role", () => {
    expect(processColumns('gateway', processes)).toEqual(['gateway-0', 'loadgen', 'redis', 'simulator']);
    expect(processColumns('gateway+before', processes)).toEqual(['gateway-before-0', 'loadgen', 'redis', 'simulator']);
    expect(processColumns('gateway+before-default', processes)).toEqual(['ingress-before-default-0', 'loadgen', 'redis', 'simulator', 'worker-before-default-0']);
    expect(processColumns('gateway+one', processes)).toEqual(['loadgen', 'redis', 'simulator', 'worker-one-1']);
  });

  it('names the layout it measured', () => {
    expect(describeLayout({ combined: 1, ingresses: 0, workers: 0 })).toBe('1 process with both roles');
    expect(describeLayout({ combined: 0, ingresses: 1, workers: 2 })).toBe('1 ingress + 2 worker');
    expect(describeLayout({ combined: 2, ingresses: 0, workers: 1 })).toBe('2 processes with both roles, 0 ingress + 1 worker');
  });
});
