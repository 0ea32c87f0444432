import express, { type ErrorRequestHandler, Router } from 'express';
import { ZodError } from 'zod';
import type { SimulatorState } from '../state/state.ts';
import type { Webhooks } from '../webhooks/webhooks.ts';
import type { MediaStore } from '../graph/media-store.ts';
import { catalogRoutes } from './catalog.ts';
import { inboundMediaRoutes } from './media-inbound.ts';
import { observeRoutes } from './observe.ts';
import { templateEventRoutes } from './template-events.ts';
import { webhookRoutes } from './webhooks.ts';

export interface ControlDeps {
  state: SimulatorState;
  webhooks: Webhooks;
  media: MediaStore;
  reset: () => void;
}

// Control errors are plain JSON for humans and tests, not Meta-shaped.
const controlErrors: ErrorRequestHandler = (error, _req, res, _next) => {
  if (error instanceof ZodError) {
    res.status(400).json({ error: 'invalid request', issues: error.issues });
    return;
  }
  const status = (error as { status?: number }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    res.status(status).json({ error: (error as Error).message });
    return;
  }
  res.status(500).json({ error: error instanceof Error ? error.message : String(error) });
};

/** The /_sim control API: no auth, JSON in and out. */
export function controlRouter(deps: ControlDeps): Router {
  const router = Router();
  router.use(express.json({ limit: '10mb' }));
  router.use(observeRoutes(deps.state));
  router.use(catalogRoutes(deps.state));
  router.use(templateEventRoutes(deps.state, deps.webhooks));
  router.use(webhookRoutes(deps.webhooks));
  router.use(inboundMediaRoutes(deps.state, deps.webhooks, deps.media));
  router.post('/reset', (_req, res) => {
    deps.reset();
    res.status(204).end();
  });
  router.use((_req, res) => {
    res.status(404).json({ error: 'unknown control route' });
  });
  router.use(controlErrors);
  return router;
}
