import { Router } from 'express';
import { z } from 'zod';
import { faultSchema } from '../state/faults.ts';
import { ENDPOINTS } from '../state/request-log.ts';
import type { SimulatorState } from '../state/state.ts';

const requestsQuery = z.object({
  endpoint: z.enum(ENDPOINTS).optional(),
  phoneNumberId: z.string().min(1).optional(),
  since: z.coerce.number().int().min(0).optional(),
});
const endpointParam = z.object({ endpoint: z.enum(ENDPOINTS) });

/** Request log, counters and faults: what tests inspect and inject. */
export function observeRoutes(state: SimulatorState): Router {
  const router = Router();

  router.get('/requests', (req, res) => {
    res.json({ requests: state.log.query(requestsQuery.parse(req.query)) });
  });
  router.delete('/requests', (_req, res) => {
    state.log.clear();
    res.status(204).end();
  });

  router.get('/counters', (_req, res) => {
    res.json(state.log.counters());
  });
  router.delete('/counters', (_req, res) => {
    state.log.resetCounters();
    res.status(204).end();
  });

  router.get('/faults', (_req, res) => {
    res.json({ faults: state.faults.all() });
  });
  router.put('/faults/:endpoint', (req, res) => {
    const { endpoint } = endpointParam.parse(req.params);
    const fault = faultSchema.parse(req.body);
    state.faults.set(endpoint, fault);
    res.json({ endpoint, fault });
  });
  router.delete('/faults', (_req, res) => {
    state.faults.clear();
    res.status(204).end();
  });
  router.delete('/faults/:endpoint', (req, res) => {
    state.faults.clear(endpointParam.parse(req.params).endpoint);
    res.status(204).end();
  });

  return router;
}
