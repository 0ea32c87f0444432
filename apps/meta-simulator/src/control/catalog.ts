import { Router } from 'express';
import { z } from 'zod';
import { accountSchema, CATEGORIES, templateSchema } from '../seed.ts';
import type { SimulatorState } from '../state/state.ts';
import { newWamid } from '../ids.ts';

const bulkSchema = z.object({ templates: z.array(templateSchema) });
const verdictSchema = z.object({ wabaId: z.string().min(1), name: z.string().min(1), category: z.string().toUpperCase().pipe(z.enum(CATEGORIES)) });

/** Accounts and templates, upserted the same way the seed loads them. */
export function catalogRoutes(state: SimulatorState): Router {
  const router = Router();

  router.put('/accounts', (req, res) => {
    res.json({ account: state.upsertAccount(accountSchema.parse(req.body)) });
  });

  // A message a user sent to the business, so a client can mark it read (Meta knows only real ids).
  router.post('/inbound', (_req, res) => {
    const id = newWamid();
    state.rememberMessage(id);
    res.json({ id });
  });

  router.put('/templates', (req, res) => {
    res.json({ template: state.templates.upsert(templateSchema.parse(req.body)) });
  });

  router.post('/templates/bulk', (req, res) => {
    const { templates } = bulkSchema.parse(req.body);
    const now = Date.now();
    res.json({ templates: templates.map((t) => state.templates.upsert(t, now)) });
  });

  // Meta's review decides the category of a new template: a create of this name answers with this category, whatever was asked.
  router.put('/template-review', (req, res) => {
    const verdict = verdictSchema.parse(req.body);
    state.reviewVerdicts.set(`${verdict.wabaId}\0${verdict.name}`, verdict.category);
    res.json({ verdict });
  });

  router.delete('/templates/:wabaId/:name/:language', (req, res) => {
    const { wabaId, name, language } = req.params;
    if (!state.templates.remove(wabaId, name, language)) {
      res.status(404).json({ error: 'template not found' });
      return;
    }
    res.status(204).end();
  });

  return router;
}
