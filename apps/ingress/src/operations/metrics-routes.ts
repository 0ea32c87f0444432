import { Router, type RequestHandler } from 'express';
import { renderMetrics, statusClass, type GatewayMetrics } from '@gw/metrics';
import { bearerMatches } from '@gw/process-tools';
import { authFailed, refuseThrottled } from '../auth-throttle.ts';
import { sendGatewayError } from '../http-errors.ts';
import { operationsErrors } from './operations-errors.ts';

/**
 * The `route` label comes from a fixed set: the route patterns the app registers
 * (and its routers' mounts as `<mount>/*`), fixed once the app is built. Express
 * matches paths case-insensitively and `req.baseUrl` is the raw text, so a
 * candidate label is looked up case-insensitively and anything outside the set
 * is `unmatched` (404) or `other`: no request can add a series.
 */
export class RouteLabels {
  private readonly canonical = new Map<string, string>();
  private mounts: string[] = [];

  /**
   * The route patterns (Express syntax, e.g. `/:version/:phoneNumberId/messages`) and
   * mount paths (`/admin/queues`, labelled `/admin/queues/*`) to label by.
   */
  know(patterns: Iterable<string>, mounts: Iterable<string> = []): void {
    for (const pattern of patterns) this.canonical.set(pattern.toLowerCase(), pattern);
    for (const mount of mounts) this.canonical.set(`${mount}/*`.toLowerCase(), `${mount}/*`);
    // Longest first: a request under a mount is labelled by the innermost one.
    this.mounts = [...new Set([...this.mounts, ...mounts])].sort((a, b) => b.length - a.length);
  }

  labelOf(req: Parameters<RequestHandler>[0], status: number): string {
    const pattern = (req.route as { path?: unknown } | undefined)?.path;
    const candidate = typeof pattern === 'string' ? `${req.baseUrl}${pattern}` : req.baseUrl ? `${req.baseUrl}/*` : undefined;
    if (candidate !== undefined) {
      const lower = candidate.toLowerCase();
      const known = this.canonical.get(lower);
      if (known) return known;
      // A route inside an opaque sub-app (Bull Board): its mount.
      const mount = this.mounts.find((m) => lower.startsWith(`${m.toLowerCase()}/`));
      if (mount) return `${mount}/*`;
    }
    return status === 404 ? 'unmatched' : 'other';
  }
}

/** Times every request; mount before everything else. */
export function httpMetrics(metrics: Pick<GatewayMetrics, 'httpRequestDuration'>, labels: RouteLabels): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      metrics.httpRequestDuration.observe(
        { method: req.method, route: labels.labelOf(req, res.statusCode), status_class: statusClass(res.statusCode) },
        (performance.now() - started) / 1000,
      );
    });
    next();
  };
}

/**
 * `GET /metrics` for Prometheus. On the operations port (`publicPort: false`) it is
 * always served (with METRICS_TOKEN set, behind that bearer token). On the public
 * port it exists only behind METRICS_TOKEN: without a token it answers 404.
 */
export function metricsRoutes({ metrics, token, publicPort }: { metrics: GatewayMetrics; token: string | undefined; publicPort: boolean }): Router {
  const router = Router();
  router.get('/metrics', async (req, res) => {
    if (publicPort && !token) return sendGatewayError(res, operationsErrors.metricsOffPublicPort());
    if (token && refuseThrottled(req, res)) return;
    if (token && !bearerMatches(req.get('authorization'), token)) {
      if (req.get('authorization')) authFailed(req);
      return sendGatewayError(res, operationsErrors.metricsUnauthenticated());
    }
    const { contentType, body } = await renderMetrics(metrics);
    res.set('content-type', contentType).set('cache-control', 'no-store').send(body);
  });
  return router;
}

/** The send dispatcher's onResult: what clients of the send endpoints were answered (timeouts included). */
export function countSendResults(metrics: Pick<GatewayMetrics, 'sendResponses'>) {
  return (result: { route: string; reason: string; status: number }) => {
    metrics.sendResponses.inc({ route: result.route, reason: result.reason, status_class: statusClass(result.status) });
  };
}
