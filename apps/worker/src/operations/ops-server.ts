import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gatewayErrors, metaError, type GatewayError } from '@gw/contracts';
import { renderMetrics, type GatewayMetrics } from '@gw/metrics';
import { bearerMatches } from '@gw/process-tools';

export interface ReadinessCheck {
  name: string;
  /** undefined when fine, else why not. */
  check: () => Promise<string | undefined>;
}

export interface OpsServerOptions {
  port: number;
  host: string;
  metrics: GatewayMetrics;
  /** When set, /metrics wants this bearer token. */
  metricsToken: string | undefined;
  readiness: ReadinessCheck[];
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

const sendError = (res: ServerResponse, error: GatewayError) => send(res, error.status, error.body);

/** Runs every check with a deadline, so a hung Redis makes /readyz answer 503, not hang. */
export async function runChecks(checks: ReadinessCheck[], timeoutMs = 2000): Promise<Record<string, string>> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
      });
      const problem = await Promise.race([check().catch((error: Error) => error.message), timeout]).finally(() => clearTimeout(timer));
      return [name, problem ?? 'ok'] as const;
    }),
  );
  return Object.fromEntries(results);
}

export function notReady(checks: Record<string, string>): GatewayError {
  const failing = Object.entries(checks).filter(([, v]) => v !== 'ok');
  return metaError(503, 2, 'Service temporarily unavailable', `Not ready: ${failing.map(([k, v]) => `${k}: ${v}`).join('; ')}.`, {
    isTransient: true,
    data: { checks },
  });
}

/**
 * The worker's own small HTTP server: /metrics for Prometheus, /healthz (the
 * process is alive) and /readyz (it can do work). Nothing else is served.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<Server> {
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://worker.invalid').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, gatewayErrors.notFound(`${req.method} ${path}`));
    if (path === '/healthz') return send(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      const checks = await runChecks(options.readiness);
      if (Object.values(checks).every((v) => v === 'ok')) return send(res, 200, { status: 'ready', checks });
      return sendError(res, notReady(checks));
    }
    if (path === '/metrics') {
      if (options.metricsToken && !bearerMatches(req.headers.authorization, options.metricsToken)) {
        return sendError(res, metaError(401, 190, 'Invalid OAuth access token', 'Missing or wrong metrics token (METRICS_TOKEN).'));
      }
      const { contentType, body } = await renderMetrics(options.metrics);
      res.writeHead(200, { 'content-type': contentType });
      return res.end(body);
    }
    sendError(res, gatewayErrors.notFound(`${req.method} ${path}`));
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => sendError(res, gatewayErrors.internal()));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`WORKER_METRICS_PORT ${options.port} is already in use (another worker on this host?). Give each worker its own port, or 0 for a free one.`)
          : error,
      );
    });
    server.listen(options.port, options.host, () => resolve());
  });
  return server;
}
