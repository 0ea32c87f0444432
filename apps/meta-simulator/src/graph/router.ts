import { Router } from 'express';
import type { GraphDeps } from './deps.ts';
import { marketingMessagesRoute } from './marketing-messages.ts';
import { mediaDeleteRoute, mediaDownloadRoute, mediaRetrieveRoute, mediaUploadRoute, onlyMedia } from './media.ts';
import { messageTemplatesRoute } from './message-templates.ts';
import { encryptedMessagesRoute, messagesRoute } from './messages.ts';
import { wabaRoute } from './waba.ts';
import { readProfileRoute, updateProfileRoute } from './business-profile.ts';
import { phoneNumberRoute } from './phone-number.ts';
import { createTemplateRoute, deleteTemplateRoute, editTemplateRoute, readTemplateRoute } from './template-management.ts';

/** Graph routes, each with and without the optional `vNN.N` version segment. */
export function graphRouter(deps: GraphDeps): Router {
  const router = Router();
  const both = (suffix: string) => [`/:id/${suffix}`, `/:version/:id/${suffix}`];
  router.post(both('messages'), messagesRoute(deps));
  router.post(both('marketing_messages'), marketingMessagesRoute(deps));
  router.post(both('messages_encrypted'), encryptedMessagesRoute(deps));
  router.get(both('message_templates'), messageTemplatesRoute(deps));
  router.post(both('message_templates'), createTemplateRoute(deps));
  router.delete(both('message_templates'), deleteTemplateRoute(deps));
  router.post(both('media'), mediaUploadRoute(deps));
  // Meta's download URLs live on another host (lookaside.fbsbx.com); here on the simulator's own.
  router.get('/whatsapp_business/attachments/', mediaDownloadRoute(deps));
  router.get(['/:id', '/:version/:id'], onlyMedia(deps.media), mediaRetrieveRoute(deps));
  router.delete(['/:id', '/:version/:id'], onlyMedia(deps.media), mediaDeleteRoute(deps));
  router.get(both('whatsapp_business_profile'), readProfileRoute(deps));
  router.post(both('whatsapp_business_profile'), updateProfileRoute(deps));
  // One node: a phone number, a template or a WABA (an unknown id fails as Graph's unknown object from the WABA route).
  // After the routes above so `/{id}/message_templates` never lands here.
  const phone = phoneNumberRoute(deps);
  const readTemplate = readTemplateRoute(deps);
  const waba = wabaRoute(deps);
  router.get(['/:id', '/:version/:id'], (req, res, next) => {
    const id = String(req.params.id);
    if (deps.state.accounts.has(id)) return phone(req, res, next);
    if (deps.state.templates.findById(id)) return readTemplate(req, res, next);
    return waba(req, res, next);
  });
  router.post(['/:id', '/:version/:id'], editTemplateRoute(deps));
  return router;
}
