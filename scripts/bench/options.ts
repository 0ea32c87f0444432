import { parseArgs } from 'node:util';

export interface BenchOptions {
  rounds: number;
  durationSec: number;
  warmupSec: number;
  concurrencies: number[];
  latenciesMs: number[];
  ingresses: number;
  workers: number;
  /** Processes of the baseline proxy; by default as many as the gateway has in all. */
  proxies: number;
  workerConcurrency?: number;
  logLevel: string;
  coldBurst: number;
  out?: string;
  /** Print the tables of an earlier JSON result instead of running. */
  render?: string;
  soak: boolean;
  /** CPU-profile the gateway's processes during one loaded run instead of the matrix. */
  profile: boolean;
  soakMinutes: number;
  /** Soak rate in messages/s; by default half of the capacity measured at the start. */
  soakRate?: number;
  /** Extra environment for ingress and worker (KEY=VALUE), to measure a setting. */
  gatewayEnv: Record<string, string>;
  /** More gateways with other settings, measured interleaved with the main one (A/B). */
  variants: Record<string, Record<string, string>>;
}

const list = (text: string) =>
  text
    .split(',')
    .map((v) => Number(v.trim()))
    .filter((v) => Number.isFinite(v));

export const USAGE = `pnpm bench [-- options]
  --quick                 one round of 2 s runs (about a minute)
  --rounds N              interleaved rounds, medians reported (default 3)
  --duration S            seconds per measured run (default 5)
  --concurrency 1,16,128  client connections
  --latency 0,20          simulated upstream latency in ms
  --ingress N --workers N gateway processes (default 1 and 1)
  --proxies N             baseline proxy processes (default ingress + workers)
  --worker-concurrency N  WORKER_CONCURRENCY of the gateway's workers
  --log-level LEVEL       LOG_LEVEL of the gateway (default warn)
  --env KEY=VALUE         extra gateway environment (repeatable)
  --variant NAME:K=V,K=V  one more gateway with these settings, interleaved with the main one (repeatable)
  --cold N                concurrent first sends in the cold burst (default 100, 0 skips)
  --out FILE              JSON result file (default bench-results/bench-<timestamp>.json)
  --render FILE           print the tables of an earlier JSON result again
  --soak [--minutes M] [--rate R]  soak at half the measured capacity (or R msg/s)
  --profile               CPU profiles of ingress and worker during one gateway run (bench-results/profiles/)`;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--'),
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      concurrency: { type: 'string' },
      latency: { type: 'string' },
      ingress: { type: 'string' },
      workers: { type: 'string' },
      proxies: { type: 'string' },
      'worker-concurrency': { type: 'string' },
      'log-level': { type: 'string' },
      env: { type: 'string', multiple: true },
      variant: { type: 'string', multiple: true },
      cold: { type: 'string' },
      out: { type: 'string' },
      render: { type: 'string' },
      soak: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      minutes: { type: 'string' },
      rate: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick;
  const ingresses = Number(values.ingress ?? 1);
  const workers = Number(values.workers ?? 1);
  const gatewayEnv: Record<string, string> = {};
  for (const pair of values.env ?? []) {
    const at = pair.indexOf('=');
    if (at > 0) gatewayEnv[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const variants: Record<string, Record<string, string>> = {};
  for (const spec of values.variant ?? []) {
    const [name, settings = ''] = spec.split(':', 2) as [string, string?];
    if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`--variant ${spec}: the name must be [a-z0-9-]+`);
    variants[name] = Object.fromEntries(
      settings
        .split(',')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
  }
  return {
    rounds: Number(values.rounds ?? (quick ? 1 : 3)),
    durationSec: Number(values.duration ?? (quick ? 2 : 5)),
    warmupSec: Number(values.warmup ?? (quick ? 1 : 2)),
    concurrencies: list(values.concurrency ?? '1,16,128'),
    latenciesMs: list(values.latency ?? '0,20'),
    ingresses,
    workers,
    proxies: Number(values.proxies ?? ingresses + workers),
    workerConcurrency: values['worker-concurrency'] ? Number(values['worker-concurrency']) : undefined,
    logLevel: values['log-level'] ?? 'warn',
    coldBurst: Number(values.cold ?? 100),
    out: values.out,
    render: values.render,
    soak: values.soak,
    profile: values.profile,
    soakMinutes: Number(values.minutes ?? 10),
    soakRate: values.rate ? Number(values.rate) : undefined,
    gatewayEnv,
    variants,
  };
}
