import { metaError } from '@gw/contracts';

/** Errors of the operations endpoints, in Meta's envelope like every gateway error (the admin API's are in admin/admin-errors.ts). */
export const operationsErrors = {
  metricsUnauthenticated: () => metaError(401, 190, 'Invalid OAuth access token', 'Missing or wrong metrics token (METRICS_TOKEN).'),
  metricsOffPublicPort: () =>
    metaError(
      404,
      100,
      'Invalid parameter',
      'GET /metrics is served on the operations port (INGRESS_METRICS_PORT); set METRICS_TOKEN to serve it on this port behind a bearer token.',
    ),
};
