/**
 * Meta's send latency: a log-normal distribution set by its median and its 99th
 * percentile, which is what Graph's answer times look like (most around the
 * median, a long tail). A p99 at or below the median means a fixed latency.
 */
export interface LatencyModel {
  medianMs: number;
  p99Ms?: number;
}

/** z of the 99th percentile of the standard normal distribution. */
const Z99 = 2.3263478740408408;

/** The σ of the log-normal whose median and p99 are given (0: fixed latency). */
export function logNormalSigma({ medianMs, p99Ms }: LatencyModel): number {
  if (medianMs <= 0 || p99Ms === undefined || p99Ms <= medianMs) return 0;
  return Math.log(p99Ms / medianMs) / Z99;
}

/** One standard normal draw (Box-Muller); `random` is injectable for tests. */
function standardNormal(random: () => number): number {
  const u = 1 - random(); // (0, 1]: log(0) is never taken
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** One latency in ms drawn from the model. */
export function sampleLatency(model: LatencyModel, random: () => number = Math.random): number {
  if (model.medianMs <= 0) return 0;
  const sigma = logNormalSigma(model);
  if (sigma === 0) return model.medianMs;
  return model.medianMs * Math.exp(sigma * standardNormal(random));
}
