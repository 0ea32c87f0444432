import express, { type RequestHandler, type Router } from 'express';
import type { StackDirectory } from '@gw/config';
import type { Logger } from '@gw/logger';
import { errorHandler, notFound } from './http-errors.ts';
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
  /** Meta's webhook receiver and the dead-letter admin API. */
  webhooks?: WebhookIngress;
  /** Metrics, health, Bull Board, the stacks admin API and /openapi.json (operations/). */
  operations: { timing: RequestHandler; router: Router; knowRoutes?(app: unknown): void };
}

export function createIngressApp(deps: IngressAppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', deps.trustProxy ?? false);

  app.use(deps.operations.timing);
  // The hot path first: a send does not walk the operator routes. Each router parses its own bodies.
  app.use(sendRoutes(deps));
  app.use(deps.operations.router);
  // Before every JSON parser: the webhook signature is checked over the raw bytes.
  if (deps.webhooks) app.use(deps.webhooks.router);
  app.use(templateRoutes(deps));
  app.use(notFound);
  app.use(errorHandler(deps.logger, deps.bodyLimit));
  deps.operations.knowRoutes?.(app);
  return app;
}
