import { Router, type RequestHandler } from 'express';
import { renderMetrics, statusClass, type GatewayMetrics } from '@gw/metrics';
import { bearerMatches } from '@gw/process-tools';
import { sendGatewayError } from '../http-errors.ts';
import { operationsErrors } from './operations-errors.ts';

/** A low-cardinality name for what served the request: the route pattern, never the raw path. */
function routeLabel(req: Parameters<RequestHandler>[0], status: number): string {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern === 'string') return `${req.baseUrl}${pattern}`;
  if (req.baseUrl) return `${req.baseUrl}/*`;
  return status === 404 ? 'unmatched' : 'other';
}

/** Times every request; mount before everything else. */
export function httpMetrics(metrics: Pick<GatewayMetrics, 'httpRequestDuration'>): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      metrics.httpRequestDuration.observe(
        { method: req.method, route: routeLabel(req, res.statusCode), status_class: statusClass(res.statusCode) },
        (performance.now() - started) / 1000,
      );
    });
    next();
  };
}

/** `GET /metrics` for Prometheus; with METRICS_TOKEN set it wants that bearer token. */
export function metricsRoutes({ metrics, token }: { metrics: GatewayMetrics; token: string | undefined }): Router {
  const router = Router();
  router.get('/metrics', async (req, res) => {
    if (token && !bearerMatches(req.get('authorization'), token)) return sendGatewayError(res, operationsErrors.metricsUnauthenticated());
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
