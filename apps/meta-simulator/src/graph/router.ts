import { Router } from 'express';
import type { GraphDeps } from './deps.ts';
import { marketingMessagesRoute } from './marketing-messages.ts';
import { messageTemplatesRoute } from './message-templates.ts';
import { messagesRoute } from './messages.ts';

/** Graph routes, each with and without the optional `vNN.N` version segment. */
export function graphRouter(deps: GraphDeps): Router {
  const router = Router();
  const both = (suffix: string) => [`/:id/${suffix}`, `/:version/:id/${suffix}`];
  router.post(both('messages'), messagesRoute(deps));
  router.post(both('marketing_messages'), marketingMessagesRoute(deps));
  router.get(both('message_templates'), messageTemplatesRoute(deps));
  return router;
}
