import { Router } from 'express';
import type { GraphDeps } from './deps.ts';
import { marketingMessagesRoute } from './marketing-messages.ts';
import { mediaDeleteRoute, mediaDownloadRoute, mediaRetrieveRoute, mediaUploadRoute, onlyMedia } from './media.ts';
import { messageTemplatesRoute } from './message-templates.ts';
import { encryptedMessagesRoute, messagesRoute } from './messages.ts';
import { wabaRoute } from './waba.ts';

/** Graph routes, each with and without the optional `vNN.N` version segment. */
export function graphRouter(deps: GraphDeps): Router {
  const router = Router();
  const both = (suffix: string) => [`/:id/${suffix}`, `/:version/:id/${suffix}`];
  router.post(both('messages'), messagesRoute(deps));
  router.post(both('marketing_messages'), marketingMessagesRoute(deps));
  router.post(both('messages_encrypted'), encryptedMessagesRoute(deps));
  router.get(both('message_templates'), messageTemplatesRoute(deps));
  router.post(both('media'), mediaUploadRoute(deps));
  // Meta's download URLs live on another host (lookaside.fbsbx.com); here on the simulator's own.
  router.get('/whatsapp_business/attachments/', mediaDownloadRoute(deps));
  router.get(['/:id', '/:version/:id'], onlyMedia(deps.media), mediaRetrieveRoute(deps));
  router.delete(['/:id', '/:version/:id'], onlyMedia(deps.media), mediaDeleteRoute(deps));
  // A WABA's own fields; after the routes above so `/{id}/message_templates` never lands here.
  router.get(['/:id', '/:version/:id'], wabaRoute(deps));
  return router;
}
