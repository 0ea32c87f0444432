import { Router } from 'express';
import { z } from 'zod';
import { publicWebhookConfig, webhookConfigPatchSchema } from '../webhooks/config.ts';
import type { Webhooks } from '../webhooks/webhooks.ts';

const sendSchema = z.object({
  payload: z.record(z.string(), z.unknown()),
  signature: z.enum(['valid', 'invalid', 'missing']).default('valid'),
});

/** Webhook behaviour, one-off sends (e.g. to test signature checks) and the delivery log. */
export function webhookRoutes(webhooks: Webhooks): Router {
  const router = Router();

  router.get('/webhooks', (_req, res) => {
    res.json(publicWebhookConfig(webhooks.config));
  });
  router.put('/webhooks', (req, res) => {
    res.json(publicWebhookConfig(webhooks.update(webhookConfigPatchSchema.parse(req.body))));
  });

  router.post('/webhooks/send', async (req, res) => {
    const { payload, signature } = sendSchema.parse(req.body);
    if (!webhooks.config.url) return void res.status(409).json({ error: 'no webhook url configured' });
    const status = await webhooks.dispatcher.sendOnce(payload, signature);
    if (status === null) return void res.status(502).json({ error: 'webhook receiver did not answer', status });
    res.json({ status });
  });

  router.get('/webhooks/log', (_req, res) => {
    res.json({ deliveries: webhooks.dispatcher.deliveries() });
  });

  return router;
}
