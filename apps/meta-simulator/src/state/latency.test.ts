import { describe, expect, it } from 'vitest';
import { logNormalSigma, sampleLatency } from './latency.ts';

const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))]!;

describe('the send latency model', () => {
  it('is a fixed latency without a tail', () => {
    expect(sampleLatency({ medianMs: 250 })).toBe(250);
    expect(sampleLatency({ medianMs: 250, p99Ms: 100 })).toBe(250);
    expect(sampleLatency({ medianMs: 0, p99Ms: 500 })).toBe(0);
  });

  it('draws a log-normal whose median and p99 are the ones asked for', () => {
    const draws = Array.from({ length: 200_000 }, () => sampleLatency({ medianMs: 250, p99Ms: 500 }));
    expect(quantile(draws, 0.5)).toBeGreaterThan(245);
    expect(quantile(draws, 0.5)).toBeLessThan(255);
    expect(quantile(draws, 0.99)).toBeGreaterThan(480);
    expect(quantile(draws, 0.99)).toBeLessThan(520);
    expect(draws.every((d) => d > 0)).toBe(true);
  });

  it('derives σ from the ratio of p99 to median', () => {
    expect(logNormalSigma({ medianMs: 100, p99Ms: 100 * Math.exp(2.3263478740408408) })).toBeCloseTo(1, 6);
  });
});
