import { newWamid } from '../ids.ts';
import type { PricingCategory } from '../webhooks/payloads.ts';
import { authorisePhone } from './auth.ts';
import type { GraphDeps } from './deps.ts';
import { graphEndpoint } from './pipeline.ts';
import { contacts, parseSend, templateRef, usableTemplate } from './send.ts';

/** POST /{phone_number_id}/messages: the Cloud API accepts any type, validates templates. */
export function messagesRoute(deps: GraphDeps) {
  return graphEndpoint('messages', deps, (req, record) => {
    const account = authorisePhone(deps.state, req, record.phoneNumberId ?? '');
    record.wabaId = account.wabaId;
    const send = parseSend(req.body);
    const isTemplate = send.type === 'template';
    let category: PricingCategory = 'service';
    if (isTemplate) {
      const template = usableTemplate(deps.state, account, templateRef(send));
      category = template.category.toLowerCase() as PricingCategory;
    }
    const wamid = newWamid();
    record.wamid = wamid;
    deps.webhooks.messageAccepted({
      wabaId: account.wabaId,
      phoneNumberId: account.phoneNumberId,
      displayPhoneNumber: account.displayPhoneNumber ?? account.phoneNumberId,
      wamid,
      recipientId: send.recipientId,
      category,
      viaMarketingMessages: false,
    });
    // message_status is only reported for template sends.
    const message = isTemplate ? { id: wamid, message_status: 'accepted' } : { id: wamid };
    return { status: 200, body: { messaging_product: 'whatsapp', contacts: contacts(send), messages: [message] } };
  });
}
