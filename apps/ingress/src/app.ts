import type { RequestListener, ServerOptions } from 'node:http';
import express, { type RequestHandler, type Router } from 'express';
import type { AuditStore } from '@gw/audit';
import type { StackDirectory } from '@gw/config';
import { auditRoutes } from './audit-routes.ts';
import type { Logger } from '@gw/logger';
import { errorHandler, notFound } from './http-errors.ts';
import { withSendFastPath } from './send-fast-path.ts';
import { sendRoutes } from './send-routes.ts';
import type { SendDispatcher } from './send-dispatcher.ts';
import type { StackLimits } from './stack-limits.ts';
import type { WebhookIngress } from './webhooks/webhook-ingress.ts';
import { templateRoutes, type TemplateRoutesDeps } from './template-routes.ts';

export interface IngressAppDeps extends TemplateRoutesDeps {
  stacks: StackDirectory;
  dispatcher: SendDispatcher;
  logger: Logger;
  bodyLimit: string;
  /** Express's "trust proxy" (TRUST_PROXY): whose X-Forwarded-* headers give the client address and HTTPS. */
  trustProxy?: boolean | number | string;
  /** Per-stack rate and in-flight limits of the send routes. */
  limits?: StackLimits;
  /** Meta's webhook receiver. */
  webhooks?: WebhookIngress;
  /** Metrics, health and /openapi.json (operations/). */
  operations: { timing: RequestHandler; router: Router };
  /** Per-message audit and route analytics (GET /messages/{wamid}, GET /analytics/routes). */
  audit?: AuditStore;
  /** Everything behind ADMIN_TOKEN: login, Bull Board, stacks, dead letters (admin/). */
  admin: { router: Router };
  /** The media pass-through (graph/media/): upload, retrieve, download, delete. */
  media?: Router;
  /** Graph pass-through of the stack's own resources: templates, business profile, phone number and WABA nodes (graph/). */
  graph?: { router: Router };
}

export interface IngressApp {
  app: express.Express;
  /** What the ingress's HTTP server runs: the app, with the send routes on a fast path (send-fast-path.ts). */
  listener: RequestListener;
  /** The HTTP server's options for the listener: its requests and responses made with the app's prototypes. */
  serverOptions: ServerOptions;
}

export function createIngressApp(deps: IngressAppDeps): IngressApp {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', deps.trustProxy ?? false);

  app.use(deps.operations.timing);
  // The hot path first: a send does not walk the operator routes. Each router parses its own bodies.
  const sends = sendRoutes(deps);
  app.use(sends.router);
  app.use(deps.operations.router);
  app.use(deps.admin.router);
  // Before every JSON parser: the webhook signature is checked over the raw bytes.
  if (deps.webhooks) app.use(deps.webhooks.router);
  app.use(templateRoutes(deps));
  if (deps.audit) app.use(auditRoutes({ stacks: deps.stacks, audit: deps.audit, logger: deps.logger }));
  // Before the graph router: `GET /{version}/{id}` is a media id only when the caller's stack owns it.
  if (deps.media) app.use(deps.media);
  // Last before the 404: its `/{version}/{id}` routes answer 403 for every id that is not the stack's.
  if (deps.graph) app.use(deps.graph.router);
  app.use(notFound);
  const onError = errorHandler(deps.logger, deps.bodyLimit);
  app.use(onError);
  return { app, ...withSendFastPath(app, { before: [deps.operations.timing], sends, onError }) };
}
