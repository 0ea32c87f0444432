/**
 * `pnpm start`: the demo. Starts a private Redis (or uses REDIS_URL under a fresh
 * key prefix), the Meta simulator and the gateway as `pnpm gateway` starts it (one
 * process holding the ingress and the worker) on 127.0.0.1, then prints the curls
 * that tell the routing story, each with what it will show.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ENTRY_POINTS, REPO_ROOT, freePort, gatewayLayout, hasRedisServer, pingRedis, redisAddress, startPrivateRedis, startService, type RunningService } from '@gw/process-tools';

const DEMO_STACK = {
  id: 'demo',
  apiKey: 'demo-api-key-0123456789',
  phoneNumberId: '1065403522429',
  wabaId: '2001000000001',
  accessToken: 'demo-meta-token',
  mmRouting: true,
  webhookSecret: 'demo-webhook-secret',
};
/** A 1x1 PNG: the image header of the demo's image template. */
const ONE_PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const DEMO_SECRETS = { appSecret: 'demo-app-secret', verifyToken: 'demo-verify-token', adminToken: 'demo-admin-token-0123456789' };

/** What the demo client reads of a forwarded webhook. */
interface ForwardedEnvelope {
  entry?: Array<{
    changes?: Array<{
      field: string;
      value?: { statuses?: Array<{ status: string; id: string; pricing?: { category?: string } }>; user_actions?: Array<{ action_type: string }> };
    }>;
  }>;
}

/** The demo client's webhook endpoint: prints one line per forwarded event. */
async function startDemoClient(): Promise<{ url: string; close(): void }> {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      res.writeHead(200).end();
      try {
        for (const entry of (JSON.parse(raw) as ForwardedEnvelope).entry ?? []) {
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

/** Where the demo keeps its state, and how it leaves nothing behind when it stops. */
interface DemoRedis {
  url: string;
  prefix: string;
  /** Removes what the demo wrote: the whole private Redis, or every key under the demo's own prefix. */
  cleanUp(): Promise<void>;
}

/**
 * A private Redis, started now and removed on exit, so every run starts empty and
 * the machine's Redis is never touched. With REDIS_URL set, that Redis under a
 * fresh key prefix whose keys are deleted on exit.
 */
async function redisForDemo(): Promise<DemoRedis> {
  const url = process.env.REDIS_URL;
  if (url) {
    if (!(await pingRedis(url))) fail(`Nothing answers at REDIS_URL=${url}. Unset REDIS_URL to let the demo start a private Redis.`);
    const prefix = `gw-demo-${randomBytes(4).toString('hex')}`;
    return { url, prefix, cleanUp: () => deleteKeys(url, prefix) };
  }
  if (!hasRedisServer()) {
    fail(
      'The demo starts a private Redis and needs redis-server for it (Debian/Ubuntu: sudo apt-get install -y redis-server),\n' +
        'or set REDIS_URL to a Redis 7 it may write to (it uses a fresh key prefix there and deletes its keys on exit).',
    );
  }
  // Out of the terminal's Ctrl-C: the ingress and the worker drain against it first, then stopAll removes it.
  const redis = await startPrivateRedis({ ownProcessGroup: true });
  return { url: redis.url, prefix: 'gw-demo', cleanUp: () => redis.stop() };
}

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

function hasCredentials(url: string): boolean {
  const { username, password } = new URL(url);
  return Boolean(username || password);
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

async function main() {
  const redis = await redisForDemo();
  const host = process.env.HOST ?? '127.0.0.1';
  const simPort = await portOr(Number(process.env.SIM_PORT ?? 9090));
  const port = await portOr(Number(process.env.PORT ?? 8080));
  const workerOpsPort = await portOr(Number(process.env.WORKER_METRICS_PORT ?? 9464));
  const ingressOpsPort = await portOr(Number(process.env.INGRESS_METRICS_PORT ?? 9480));
  const dir = join(REPO_ROOT, '.demo');
  mkdirSync(dir, { recursive: true });
  const stacksFile = join(dir, 'stacks.json');
  const client = await startDemoClient();
  writeFileSync(stacksFile, JSON.stringify([{ ...DEMO_STACK, webhookUrl: client.url }], null, 2));
  // The header image of step 7: a 1x1 PNG the demo uploads through the gateway.
  const headerImage = join(dir, 'header.png');
  writeFileSync(headerImage, Buffer.from(ONE_PIXEL_PNG, 'base64'));

  const services: RunningService[] = [];
  let stopping = false;
  const stopAll = async (code = 0) => {
    if (stopping) return;
    stopping = true;
    for (const s of services.reverse()) await s.stop();
    client.close();
    await redis.cleanUp();
    console.log('Demo stopped; it left nothing behind in Redis.');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll());
  process.on('SIGTERM', () => void stopAll());

  const simUrl = `http://127.0.0.1:${simPort}`;
  const env = {
    ...process.env,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: redis.prefix,
    STACKS_FILE: stacksFile,
    META_GRAPH_URL: simUrl,
    HOST: host,
    PORT: String(port),
    WORKER_METRICS_HOST: process.env.WORKER_METRICS_HOST ?? host,
    WORKER_METRICS_PORT: String(workerOpsPort),
    INGRESS_METRICS_PORT: String(ingressOpsPort),
    INGRESS_METRICS_HOST: process.env.INGRESS_METRICS_HOST ?? host,
    // No start-up sync: the first sends show checked routing, the fallback and the learning; the warm-up step fills the rest.
    TEMPLATE_SYNC_INTERVAL_MS: process.env.TEMPLATE_SYNC_INTERVAL_MS ?? '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    META_APP_SECRET: DEMO_SECRETS.appSecret,
    META_VERIFY_TOKEN: DEMO_SECRETS.verifyToken,
    ADMIN_TOKEN: process.env.ADMIN_TOKEN ?? DEMO_SECRETS.adminToken,
    // The demo client listens on loopback.
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
  };
  // A service that does not start stops the ones that did, and the private Redis.
  const start = (options: Parameters<typeof startService>[0]) =>
    startService(options).then(
      (service) => void services.push(service),
      async (error: unknown) => {
        console.error(error);
        await stopAll(1);
      },
    );
  await start({
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
  });
  // As `pnpm gateway` starts it: one process holding both roles by default (GATEWAY_PROCESSES=0: a separate worker and ingress).
  const layout = gatewayLayout(process.env);
  if (layout.combined > 0) {
    await start({ name: 'gateway', entry: ENTRY_POINTS.gateway, env: { ...env, ...layout.env }, echo: true });
  } else {
    await start({ name: 'worker', entry: ENTRY_POINTS.worker, env, echo: true });
    await start({ name: 'ingress', entry: ENTRY_POINTS.ingress, env, echo: true });
  }

  const gateway = `http://127.0.0.1:${port}`;
  const send = (name: string, extra: Record<string, unknown> = {}) =>
    `curl -si ${gateway}/messages -H 'Authorization: Bearer ${DEMO_STACK.apiKey}' -H 'Content-Type: application/json' -d '${JSON.stringify({
      messaging_product: 'whatsapp',
      to: '+15550001234',
      type: 'template',
      template: { name, language: { code: 'en_US' } },
      ...extra,
    })}'`;
  const auth = `-H 'Authorization: Bearer ${DEMO_STACK.apiKey}'`;
  // Uploads the image (POST /media: the Meta token stays in the gateway) and prints the media id Meta gave it.
  const upload = `curl -s ${gateway}/media ${auth} -F messaging_product=whatsapp -F type=image/png -F 'file=@${headerImage};type=image/png' | sed -E 's/.*"id":"([^"]+)".*/\\1/'`;
  const imageTemplate = JSON.stringify({
    messaging_product: 'whatsapp',
    to: '+15550001234',
    type: 'template',
    template: { name: 'black_friday', language: { code: 'en_US' }, components: [{ type: 'header', parameters: [{ type: 'image', image: { id: 'MEDIA_ID' } }] }] },
  });
  const sendWithImage = `curl -si ${gateway}/messages ${auth} -H 'Content-Type: application/json' -d "${imageTemplate.replaceAll('"', '\\"').replace('MEDIA_ID', `$(${upload})`)}"`;
  const shows = (route: string, reason: string) => `Shows x-gateway-route: ${route}, x-gateway-route-reason: ${reason}`;
  const warmup = `REDIS_URL=${hasCredentials(redis.url) ? '<your REDIS_URL>' : redis.url} REDIS_KEY_PREFIX=${redis.prefix} STACKS_FILE=${stacksFile} pnpm warmup --stack ${DEMO_STACK.id}`;
  console.log(`
Gateway demo is up: ingress ${gateway}, Meta simulator ${simUrl}, Redis ${redisAddress(redis.url)} (key prefix ${redis.prefix}).
The category cache starts empty. Run these in order and watch the headers:

1. A marketing template the gateway has not seen: it asks the MM API, which accepts, and remembers "marketing".
   ${shows('marketing_messages', 'checked_accepted')}
   ${send('summer_sale')}

2. A utility template it has not seen: the MM API refuses it, the gateway falls back to the Cloud API and remembers "not marketing".
   ${shows('cloud_api', 'checked_fallback')}
   ${send('order_update')}

3. The marketing template again, now from the cache: straight to the MM API.
   ${shows('marketing_messages', 'cached_marketing')}
   ${send('summer_sale')}

4. The utility template again, from the cache: straight to the Cloud API, no MM attempt.
   ${shows('cloud_api', 'cached_non_marketing')}
   ${send('order_update')}

5. The marketing template to a group: the MM API takes individuals only, so it goes to the Cloud API.
   ${shows('cloud_api', 'not_individual')}
   ${send('summer_sale', { recipient_type: 'group', to: '120363025246125486@g.us' })}

6. The marketing template with a maximum price (bid_spec): MM API only, never a Cloud fallback.
   ${shows('marketing_messages', 'max_price')}
   ${send('summer_sale', { bid_spec: { per_message_bid_multiplier: 1.2 } })}

7. A marketing template with an image header: the image goes up through the gateway (POST /media),
   and the send names the media id Meta returned. A new template, so checked like step 1.
   ${shows('marketing_messages', 'checked_accepted')}
   ${sendWithImage}

8. Meta's sent/delivered/read webhooks reach the demo client below as [client webhook] lines;
   the MM sends carry pricing=marketing_lite.

9. Warm the cache with every template of the WABA (what bulk senders do before a campaign).
   Shows a summary: marketing 2, non-marketing 2, errors 0
   ${warmup}

What Meta saw:        curl -s ${simUrl}/_sim/requests
What the cache knows: curl -s ${gateway}/templates/categories -H 'Authorization: Bearer ${DEMO_STACK.apiKey}'
Bull Board:           ${gateway}/admin/login (admin token: ${env.ADMIN_TOKEN === DEMO_SECRETS.adminToken ? env.ADMIN_TOKEN : 'your ADMIN_TOKEN'})
Metrics and health:   ingress http://127.0.0.1:${ingressOpsPort}/metrics, ${gateway}/readyz, worker http://127.0.0.1:${workerOpsPort}/metrics
API description:      ${gateway}/openapi.json
Ctrl-C stops everything${process.env.REDIS_URL ? ` and deletes the demo's keys from ${redisAddress(redis.url)}` : ' and removes the private Redis'}.
`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
