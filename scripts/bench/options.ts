import { parseArgs } from 'node:util';
import { gatewayLayout, type GatewayLayout } from '@gw/process-tools';

/** One matrix cell: Meta's median latency and the client connections. */
export interface Cell {
  latencyMs: number;
  concurrency: number;
}

export interface BenchOptions {
  rounds: number;
  durationSec: number;
  /** Answers to requests sent in a measured run's first this many ms stay out of its percentiles (the connections' start). */
  latencyFromMs: number;
  warmupSec: number;
  concurrencies: number[];
  latenciesMs: number[];
  /** Every measured cell: latencies x concurrencies, then the realistic cells (or --cells alone). */
  cells: Cell[];
  /** The cell `--profile` runs: the first of --cells, else the first --latency at the highest --concurrency. */
  profileCell: Cell;
  /** Meta's p99 latency as a multiple of its median (log-normal); 1 is a fixed latency. */
  tail: number;
  /** The campaign run: this many sends to one number (0 skips it), at campaignRate msg/s, Meta at campaignLatencyMs. */
  campaign: number;
  campaignRate: number;
  campaignLatencyMs: number;
  /** Sends held in flight while the processes' memory is read (0 skips it), Meta at memoryLatencyMs. */
  memory: number;
  memoryLatencyMs: number;
  /** A checkout of earlier code, measured interleaved as the gateway+before target. */
  before?: string;
  /** The main gateway's processes, as `pnpm gateway` would start them with its environment (--ingress and --workers set INGRESS_PROCESSES and WORKER_PROCESSES). */
  layout: Pick<GatewayLayout, 'combined' | 'ingresses' | 'workers'>;
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
  /** Gateways of the `before` checkout with other settings (target `gateway+before-NAME`), measured interleaved too. */
  beforeVariants: Record<string, Record<string, string>>;
  /** Also measure the gateway with the PostgreSQL audit sink on (variant `pgsink`), interleaved. */
  auditSink: boolean;
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
  --latency-from MS       latency percentiles leave out answers to requests sent in a run's first MS ms,
                          when its new connections all send at once (default 1000, --quick 500; 0 keeps all)
  --concurrency 1,16,128  client connections
  --latency 0,20          simulated upstream latency in ms (median)
  --real 100,250          realistic cells: these latencies at --real-concurrency (default 1024); none skips
  --cells L/C,L/C         exactly these cells (latency/concurrency), instead of the two options above
  --tail F                Meta's p99 latency = F x median, log-normal (default 2; 1 = fixed)
  --campaign N            campaign run: N sends to one number (default 60000; 0 skips)
  --campaign-rate R       campaign rate in msg/s (default 1000, the number's tier)
  --campaign-latency MS   Meta's median latency in the campaign (default 250)
  --memory N              sends in flight while memory is read (default 4096; 0 skips)
  --memory-latency MS     Meta's latency while memory is read (default 2000)
  --before DIR            also measure the gateway of another checkout (gateway+before), interleaved
  --ingress N --workers N separate ingress and worker processes (INGRESS_PROCESSES, WORKER_PROCESSES); by default
                          the gateway runs as \`pnpm gateway\` would: one process holding both roles (--env
                          GATEWAY_PROCESSES=N for N, =0 for one ingress and one worker)
  --proxies N             baseline proxy processes (default: as many as the gateway's processes)
  --worker-concurrency N  WORKER_CONCURRENCY of the gateway's workers
  --log-level LEVEL       LOG_LEVEL of the gateway (default warn)
  --env KEY=VALUE         extra gateway environment (repeatable)
  --variant NAME:K=V,K=V  one more gateway with these settings, interleaved with the main one (repeatable)
  --before-variant NAME:K=V,K=V  the same for the --before checkout: gateway+before-NAME (repeatable)
  --cold N                concurrent first sends in the cold burst (default 100, 0 skips)
  --no-audit-sink         skip the gateway with the PostgreSQL audit sink on (variant pgsink: a private
                          PostgreSQL cluster, or AUDIT_DATABASE_URL when set), measured against it off
  --out FILE              JSON result file (default bench-results/bench-<timestamp>.json)
  --render FILE           print the tables of an earlier JSON result again
  --soak [--minutes M] [--rate R]  soak at half the measured capacity (or R msg/s)
  --profile               CPU profiles of the gateway's processes during one run (bench-results/profiles/): the first
                          of --cells, else the first --latency at the highest --concurrency (default 0 ms, c=128)`;

/** `250/1024,100/1024` -> cells. */
export function parseCells(text: string): Cell[] {
  return text
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean)
    .map((spec) => {
      const match = /^(\d+(?:\.\d+)?)\/(\d+)$/.exec(spec);
      if (!match) throw new Error(`--cells ${spec}: expected latency/concurrency, like 250/1024`);
      return { latencyMs: Number(match[1]), concurrency: Number(match[2]) };
    });
}

/** The cross product of latencies and concurrencies, then the realistic cells (`none` skips them). */
export function matrixCells(latenciesMs: number[], concurrencies: number[], real: string, realConcurrency: number): Cell[] {
  const cells = latenciesMs.flatMap((latencyMs) => concurrencies.map((concurrency) => ({ latencyMs, concurrency })));
  const realLatencies = real === 'none' ? [] : list(real);
  for (const latencyMs of realLatencies) {
    if (!cells.some((c) => c.latencyMs === latencyMs && c.concurrency === realConcurrency)) cells.push({ latencyMs, concurrency: realConcurrency });
  }
  return cells;
}

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--'),
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      'latency-from': { type: 'string' },
      warmup: { type: 'string' },
      concurrency: { type: 'string' },
      latency: { type: 'string' },
      real: { type: 'string' },
      'real-concurrency': { type: 'string' },
      cells: { type: 'string' },
      tail: { type: 'string' },
      campaign: { type: 'string' },
      'campaign-rate': { type: 'string' },
      'campaign-latency': { type: 'string' },
      memory: { type: 'string' },
      'memory-latency': { type: 'string' },
      before: { type: 'string' },
      ingress: { type: 'string' },
      workers: { type: 'string' },
      proxies: { type: 'string' },
      'worker-concurrency': { type: 'string' },
      'log-level': { type: 'string' },
      env: { type: 'string', multiple: true },
      variant: { type: 'string', multiple: true },
      'before-variant': { type: 'string', multiple: true },
      cold: { type: 'string' },
      'no-audit-sink': { type: 'boolean', default: false },
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
  const gatewayEnv: Record<string, string> = {};
  if (values.ingress !== undefined) gatewayEnv.INGRESS_PROCESSES = values.ingress;
  if (values.workers !== undefined) gatewayEnv.WORKER_PROCESSES = values.workers;
  for (const pair of values.env ?? []) {
    const at = pair.indexOf('=');
    if (at > 0) gatewayEnv[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const { combined, ingresses, workers } = gatewayLayout({ ...process.env, ...gatewayEnv });
  const variantsOf = (option: string, specs: string[] = []) => {
    const variants: Record<string, Record<string, string>> = {};
    for (const spec of specs) {
      const [name, settings = ''] = spec.split(':', 2) as [string, string?];
      if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`--${option} ${spec}: the name must be [a-z0-9-]+`);
      variants[name] = Object.fromEntries(
        settings
          .split(',')
          .filter(Boolean)
          .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
      );
    }
    return variants;
  };
  const variants = variantsOf('variant', values.variant);
  const beforeVariants = variantsOf('before-variant', values['before-variant']);
  if (Object.keys(beforeVariants).length > 0 && !values.before) throw new Error('--before-variant needs --before');
  const concurrencies = list(values.concurrency ?? '1,16,128');
  const latenciesMs = list(values.latency ?? '0,20');
  const cells = values.cells !== undefined ? parseCells(values.cells) : undefined;
  return {
    rounds: Number(values.rounds ?? (quick ? 1 : 3)),
    durationSec: Number(values.duration ?? (quick ? 2 : 5)),
    latencyFromMs: Number(values['latency-from'] ?? (quick ? 500 : 1000)),
    warmupSec: Number(values.warmup ?? (quick ? 1 : 2)),
    concurrencies,
    latenciesMs,
    cells: cells ?? matrixCells(latenciesMs, concurrencies, values.real ?? '100,250', Number(values['real-concurrency'] ?? 1024)),
    profileCell: cells?.[0] ?? { latencyMs: latenciesMs[0] ?? 0, concurrency: Math.max(...concurrencies) },
    tail: Number(values.tail ?? 2),
    campaign: Number(values.campaign ?? (quick ? 10_000 : 60_000)),
    campaignRate: Number(values['campaign-rate'] ?? 1000),
    campaignLatencyMs: Number(values['campaign-latency'] ?? 250),
    memory: Number(values.memory ?? 4096),
    memoryLatencyMs: Number(values['memory-latency'] ?? 2000),
    before: values.before,
    layout: { combined, ingresses, workers },
    proxies: Number(values.proxies ?? combined + ingresses + workers),
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
    beforeVariants,
    auditSink: !values['no-audit-sink'],
  };
}
