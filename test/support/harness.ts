import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { request, type Dispatcher } from 'undici';
import { announcedUrl, ENTRY_POINTS, gatewayLayout, SIMULATOR_READY_LINE, startService, type RunningService } from '@gw/process-tools';

export interface TestStack {
  id: string;
  apiKey: string;
  phoneNumberId: string;
  wabaId: string;
  accessToken: string;
  mmRouting?: boolean;
  messagesPerSecond?: number;
  webhookUrl?: string;
  webhookSecret?: string;
}

let counter = 0;
/** A stack with unique ids, so files and tests never see each other's cache entries. */
export function makeStack(overrides: Partial<TestStack> = {}): TestStack {
  counter += 1;
  const n = `${Date.now() % 1_000_000}${process.pid % 1000}${counter}`;
  return {
    id: `stack-${n}`,
    apiKey: `key-${randomUUID()}`,
    phoneNumberId: `1${n}1`,
    wabaId: `2${n}2`,
    accessToken: `meta-token-${randomUUID()}`,
    ...overrides,
  };
}

export function uniquePrefix(): string {
  return `gwtest-${randomUUID().slice(0, 8)}`;
}

export interface Simulator {
  url: string;
  service: RunningService;
  control: SimulatorControl;
  stop(): Promise<void>;
}

/** Every process the tests start listens on port 0 and the harness uses the port it announced (see announcedUrl). */
export async function startSimulator(env: NodeJS.ProcessEnv = {}): Promise<Simulator> {
  const service = await startService({
    name: 'simulator',
    entry: ENTRY_POINTS.simulator,
    env: { ...process.env, SIM_PORT: '0', SIM_HOST: '127.0.0.1', SIM_LOG_LEVEL: 'warn', ...env },
    readyLine: SIMULATOR_READY_LINE,
  });
  const url = announcedUrl(service);
  return { url, service, control: new SimulatorControl(url), stop: async () => void (await service.stop()) };
}

export interface Gateway {
  url: string;
  /** Every ingress process's URL, in start order (url is the first). */
  urls: string[];
  prefix: string;
  redisUrl: string;
  ingresses: RunningService[];
  workers: RunningService[];
  stacksFile: string;
  env: NodeJS.ProcessEnv;
  startWorker(): Promise<RunningService>;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  stacks: TestStack[];
  metaUrl: string;
  env?: NodeJS.ProcessEnv;
  prefix?: string;
  ingresses?: number;
  workers?: number;
  /**
   * Processes holding both roles (apps/gateway, `pnpm gateway`'s GATEWAY_PROCESSES), listed as ingresses; started
   * instead of the separate ones. A test that sets none of `ingresses`, `workers` and `combined` runs in either layout.
   */
  combined?: number;
  /** A Redis of the test's own (for outage tests); default the suite's. */
  redisUrl?: string;
}

/** In the suite's `pnpm-gateway` project (test/vitest.config.ts): a gateway whose test names no layout runs as `pnpm gateway` starts it by default. */
export const IN_DEFAULT_LAYOUT_PROJECT = process.env.GW_E2E_LAYOUT === 'pnpm-gateway';

/** Starts the real ingress and worker processes against the suite's Redis. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-test-'));
  const stacksFile = join(dir, 'stacks.json');
  writeFileSync(stacksFile, JSON.stringify(options.stacks));
  const prefix = options.prefix ?? uniquePrefix();
  const redisUrl = options.redisUrl ?? inject('redisUrl');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    STACKS_FILE: stacksFile,
    META_GRAPH_URL: options.metaUrl,
    LOG_LEVEL: 'warn',
    // Tests of learning need unknown templates; tests of the sync turn it on.
    TEMPLATE_SYNC_INTERVAL_MS: '0',
    // Several workers per test and several files: each worker's /metrics on a free port.
    WORKER_METRICS_PORT: '0',
    INGRESS_METRICS_PORT: '0',
    ...options.env,
  };
  const startWorker = () => startService({ name: 'worker', entry: ENTRY_POINTS.worker, env });
  // A test that names no layout gets one ingress and one worker, or in the suite's `pnpm-gateway` project what
  // `pnpm gateway` starts by default: one process holding both roles, with a send carrier.
  const asDefault = IN_DEFAULT_LAYOUT_PROJECT && options.combined === undefined && options.ingresses === undefined && options.workers === undefined;
  const layout = asDefault ? gatewayLayout(env) : undefined;
  Object.assign(env, layout?.env);
  const combined = options.combined ?? layout?.combined ?? 0;
  const workers = await Promise.all(Array.from({ length: combined > 0 ? 0 : (options.workers ?? 1) }, startWorker));
  const ingresses: RunningService[] = [];
  for (let i = 0; i < (combined > 0 ? combined : (options.ingresses ?? 1)); i++) {
    const [name, entry] = combined > 0 ? ['gateway', ENTRY_POINTS.gateway] : ['ingress', ENTRY_POINTS.ingress];
    ingresses.push(await startService({ name, entry, env: { ...env, PORT: '0', HOST: '127.0.0.1' } }));
  }
  const urls = ingresses.map(announcedUrl);
  const gateway: Gateway = {
    url: urls[0]!,
    urls,
    prefix,
    redisUrl,
    ingresses,
    workers,
    stacksFile,
    env,
    async startWorker() {
      const w = await startWorker();
      workers.push(w);
      return w;
    },
    async stop() {
      await Promise.all([...ingresses, ...workers].map((s) => s.stop()));
    },
  };
  return gateway;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

/** Reads an answer whole; `body` is the parsed JSON, or undefined when it is not JSON. */
export async function readAnswer(response: Dispatcher.ResponseData): Promise<HttpAnswer> {
  const text = await response.body.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.statusCode, headers: response.headers, body: parsed, text };
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return readAnswer(
    await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return readAnswer(await request(url, { headers }));
}

export function templateMessage(name: string, language = 'en_US', to = '+15550001234') {
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
    type: 'template',
    template: { name, language: { code: language }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ann' }] }] },
  };
}

export function textMessage(body = 'hello', to = '+15550001234') {
  return { messaging_product: 'whatsapp', to, type: 'text', text: { body } };
}

/** Sends through the gateway with the stack's key. */
export function sendVia(gateway: Gateway, stack: TestStack, body: unknown, path = '/messages', headers: Record<string, string> = {}) {
  return post(`${gateway.url}${path}`, body, { authorization: `Bearer ${stack.apiKey}`, ...headers });
}

export interface SimRequest {
  seq: number;
  endpoint: string;
  phoneNumberId?: string;
  wabaId?: string;
  body: any;
  status: number | null;
  wamid?: string;
  /** Epoch ms when the simulator received it. */
  at: number;
}

/** The simulator's control API, over HTTP like any test tool would use it. */
export class SimulatorControl {
  constructor(readonly url: string) {}

  private async call(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown) {
    const response = await request(`${this.url}/_sim${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.body.text();
    if (response.statusCode >= 400) throw new Error(`simulator ${method} ${path}: ${response.statusCode} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  account(stack: TestStack, extra: { mmEligible?: boolean; cloudMarketingOff?: boolean; marketingLimited?: string[] } = {}) {
    return this.call('PUT', '/accounts', { phoneNumberId: stack.phoneNumberId, wabaId: stack.wabaId, accessToken: stack.accessToken, ...extra });
  }
  template(wabaId: string, name: string, category: 'MARKETING' | 'UTILITY' | 'AUTHENTICATION', extra: Record<string, unknown> = {}) {
    return this.call('PUT', '/templates', { wabaId, name, language: 'en_US', category, status: 'APPROVED', ...extra });
  }
  templates(templates: Array<Record<string, unknown>>) {
    return this.call('POST', '/templates/bulk', { templates });
  }
  fault(
    endpoint: 'messages' | 'marketing_messages' | 'message_templates' | 'template_manage' | 'template' | 'business_profile' | 'phone_number' | 'media',
    fault: Record<string, unknown>,
  ) {
    return this.call('PUT', `/faults/${endpoint}`, fault);
  }
  /** A message a user sent to the business (an id Meta knows, for mark-as-read). */
  async inbound(): Promise<string> {
    return (await this.call('POST', '/inbound', {})).id;
  }
  clearFaults() {
    return this.call('DELETE', '/faults');
  }
  async requests(filter: { endpoint?: string; phoneNumberId?: string } = {}): Promise<SimRequest[]> {
    const query = new URLSearchParams(filter as Record<string, string>);
    return (await this.call('GET', `/requests?${query}`)).requests;
  }
  counters(): Promise<Record<string, number>> {
    return this.call('GET', '/counters');
  }
  /** Meta's review gives a template created with this name this category, whatever the create asked. */
  templateReview(wabaId: string, name: string, category: 'MARKETING' | 'UTILITY' | 'AUTHENTICATION') {
    return this.call('PUT', '/template-review', { wabaId, name, category });
  }
  categoryChange(body: Record<string, unknown>) {
    return this.call('POST', '/template-category-change', body);
  }
  webhooks(config: Record<string, unknown>) {
    return this.call('PUT', '/webhooks', config);
  }
  /** Every webhook the simulator sent and how its receiver answered ('delivered': a 200). */
  async webhookLog(): Promise<Array<{ wamid?: string; kind: string; status: string; attempts: number }>> {
    return (await this.call('GET', '/webhooks/log')).deliveries;
  }
  sendWebhook(payload: unknown, signature: 'valid' | 'invalid' | 'missing' = 'valid') {
    return this.call('POST', '/webhooks/send', { payload, signature });
  }
}

/** The base URL of an ingress's operations port (/metrics, /healthz), as it announced when ready. */
export function ingressOpsUrl(ingress: RunningService): string {
  const port = ingress.ready.operationsPort;
  if (typeof port !== 'number') throw new Error(`ingress ${ingress.process.pid} announced no operations port`);
  return `http://127.0.0.1:${port}`;
}

/** The base URL of a worker's /metrics, /healthz and /readyz, as it announced when ready (a process holding both roles announces its worker's as workerOperationsPort). */
export function workerOpsUrl(worker: RunningService): string {
  const port = worker.ready.workerOperationsPort ?? worker.ready.operationsPort;
  if (typeof port !== 'number') throw new Error(`worker ${worker.process.pid} announced no operations port`);
  return `http://127.0.0.1:${port}`;
}
