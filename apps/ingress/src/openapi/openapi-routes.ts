import { Router } from 'express';
import { openApiDocument } from './document.ts';

/** `GET /openapi.json`: the document, built once. */
export function openApiRoutes(): Router {
  const router = Router();
  const document = JSON.stringify(openApiDocument());
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').set('cache-control', 'public, max-age=300').send(document);
  });
  return router;
}
