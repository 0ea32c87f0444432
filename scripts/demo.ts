/**
 * `pnpm start`: the demo. Starts the Meta simulator, a private Redis when none
 * answers at REDIS_URL (and redis-server is installed), the worker and the
 * ingress, then prints a ready-to-paste curl.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ENTRY_POINTS,
  REPO_ROOT,
  freePort,
  hasRedisServer,
  pingRedis,
  startPrivateRedis,
  startService,
  type PrivateRedis,
  type RunningService,
} from '@gw/process-tools';

const DEMO_STACK = {
  id: 'demo',
  apiKey: 'demo-api-key-0123456789',
  phoneNumberId: '1065403522429',
  wabaId: '2001000000001',
  accessToken: 'demo-meta-token',
  mmRouting: true,
  webhookSecret: 'demo-webhook-secret',
};
const DEMO_SECRETS = { appSecret: 'demo-app-secret', verifyToken: 'demo-verify-token', adminToken: 'demo-admin-token' };

/** The demo client's webhook endpoint: prints one line per forwarded event. */
async function startDemoClient(): Promise<{ url: string; close(): void }> {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      res.writeHead(200).end();
      try {
        for (const entry of JSON.parse(raw).entry ?? []) {
          for (const change of entry.changes ?? []) {
            for (const s of change.value?.statuses ?? []) console.log(`[client webhook] status ${s.status} ${s.id} pricing=${s.pricing?.category ?? '-'}`);
            for (const a of change.value?.user_actions ?? []) console.log(`[client webhook] ${a.action_type}`);
            if (!change.value?.statuses && !change.value?.user_actions) console.log(`[client webhook] ${change.field}`);
          }
        }
      } catch {
        console.log('[client webhook] (unparsable body)');
      }
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}/webhook`, close: () => server.close() };
}

async function portOr(preferred: number): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => void freePort().then(resolve));
    probe.listen(preferred, '127.0.0.1', () => probe.close(() => resolve(preferred)));
  });
}

async function redisForDemo(): Promise<{ url: string; redis?: PrivateRedis }> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (await pingRedis(url)) return { url };
  if (!hasRedisServer()) {
    console.error(
      `Nothing answers at ${url} and redis-server is not installed.\n` +
        'Install it (Debian/Ubuntu: sudo apt-get install -y redis-server), or point REDIS_URL at a Redis 7, then run pnpm start again.',
    );
    process.exit(1);
  }
  const redis = await startPrivateRedis();
  console.log(`Started a private Redis at ${redis.url} (nothing answered at ${url}).`);
  return { url: redis.url, redis };
}

async function main() {
  const { url: redisUrl, redis } = await redisForDemo();
  const simPort = await portOr(Number(process.env.SIM_PORT ?? 9090));
  const port = await portOr(Number(process.env.PORT ?? 8080));
  const workerOpsPort = await portOr(Number(process.env.WORKER_METRICS_PORT ?? 9464));
  const ingressOpsPort = await portOr(Number(process.env.INGRESS_METRICS_PORT ?? 9480));
  const dir = join(REPO_ROOT, '.demo');
  mkdirSync(dir, { recursive: true });
  const stacksFile = join(dir, 'stacks.json');
  const client = await startDemoClient();
  writeFileSync(stacksFile, JSON.stringify([{ ...DEMO_STACK, webhookUrl: client.url }], null, 2));

  const services: RunningService[] = [];
  const stopAll = async () => {
    for (const s of services.reverse()) await s.stop();
    client.close();
    await redis?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stopAll());
  process.on('SIGTERM', () => void stopAll());

  const simUrl = `http://127.0.0.1:${simPort}`;
  const env = {
    ...process.env,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: process.env.REDIS_KEY_PREFIX ?? 'gw-demo',
    STACKS_FILE: stacksFile,
    META_GRAPH_URL: simUrl,
    PORT: String(port),
    WORKER_METRICS_PORT: String(workerOpsPort),
    INGRESS_METRICS_PORT: String(ingressOpsPort),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    META_APP_SECRET: DEMO_SECRETS.appSecret,
    META_VERIFY_TOKEN: DEMO_SECRETS.verifyToken,
    ADMIN_TOKEN: process.env.ADMIN_TOKEN ?? DEMO_SECRETS.adminToken,
    // The demo client listens on loopback.
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
  };
  services.push(
    await startService({
      name: 'simulator',
      entry: ENTRY_POINTS.simulator,
      env: {
        ...env,
        SIM_PORT: String(simPort),
        SIM_SEED_FILE: join(REPO_ROOT, 'apps/meta-simulator/seed/demo.json'),
        SIM_APP_SECRET: DEMO_SECRETS.appSecret,
        SIM_WEBHOOK_URL: `http://127.0.0.1:${port}/webhooks/meta`,
      },
      readyLine: /meta simulator listening/,
      echo: true,
    }),
  );
  services.push(await startService({ name: 'worker', entry: ENTRY_POINTS.worker, env, echo: true }));
  services.push(await startService({ name: 'ingress', entry: ENTRY_POINTS.ingress, env, echo: true }));

  const gateway = `http://127.0.0.1:${port}`;
  const body = (name: string) =>
    JSON.stringify({ messaging_product: 'whatsapp', to: '+15550001234', type: 'template', template: { name, language: { code: 'en_US' } } });
  console.log(`
Gateway demo is up: ingress ${gateway}, Meta simulator ${simUrl}, Redis ${redisUrl}.

Send a marketing template (routed to /marketing_messages):
  curl -si ${gateway}/messages -H 'Authorization: Bearer ${DEMO_STACK.apiKey}' -H 'Content-Type: application/json' -d '${body('summer_sale')}'

Send a utility template (MM refuses it once, the gateway falls back to the Cloud API and remembers):
  curl -si ${gateway}/messages -H 'Authorization: Bearer ${DEMO_STACK.apiKey}' -H 'Content-Type: application/json' -d '${body('order_update')}'

Watch the x-gateway-route and x-gateway-route-reason headers; the simulator's sent/delivered/read
webhooks reach the demo client below as [client webhook] lines (marketing_lite for MM sends).
What Meta saw:        curl -s ${simUrl}/_sim/requests
What the cache knows: curl -s ${gateway}/templates/categories -H 'Authorization: Bearer ${DEMO_STACK.apiKey}'
Bull Board:           ${gateway}/admin/login (admin token: ${env.ADMIN_TOKEN === DEMO_SECRETS.adminToken ? env.ADMIN_TOKEN : 'your ADMIN_TOKEN'})
Metrics and health:   ingress http://127.0.0.1:${ingressOpsPort}/metrics, ${gateway}/readyz, worker http://127.0.0.1:${workerOpsPort}/metrics
API description:      ${gateway}/openapi.json
Ctrl-C stops everything.
`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
