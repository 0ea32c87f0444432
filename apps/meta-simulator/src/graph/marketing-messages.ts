import { newWamid } from '../ids.ts';
import { errors } from '../meta-errors.ts';
import { authorisePhone } from './auth.ts';
import type { GraphDeps } from './deps.ts';
import { graphEndpoint } from './pipeline.ts';
import { checkMarketingLimit, contacts, parseSend, templateRef, usableTemplate } from './send.ts';

/** POST /{phone_number_id}/marketing_messages: MM API, individual marketing templates only. */
export function marketingMessagesRoute(deps: GraphDeps) {
  return graphEndpoint('marketing_messages', deps, (req, record) => {
    const account = authorisePhone(deps.state, req, record.phoneNumberId ?? '');
    record.wabaId = account.wabaId;
    const send = parseSend(req.body);
    // The MM API takes individuals only; groups go to /messages (simulator README, "Meta's 2026 behaviour").
    if (send.recipientType !== 'individual') throw errors.invalidParameter('The parameter recipient_type must be "individual".');
    if (send.type !== 'template') throw errors.invalidParameter('Message must be a template message.');
    const template = usableTemplate(deps.state, account, templateRef(send));
    // Not onboarded is reported as an (undocumented-cause) HTTP 500 (code 134102; the README's routing table).
    if (!account.mmEligible) throw errors.mmUnavailable();
    if (Date.now() < template.syncingUntil) throw errors.mmSyncing();
    if (template.category !== 'MARKETING') throw errors.mmOnlyMarketing();
    checkMarketingLimit(account, send);

    const wamid = newWamid();
    record.wamid = wamid;
    deps.state.rememberMessage(wamid);
    deps.webhooks.messageAccepted({
      wabaId: account.wabaId,
      phoneNumberId: account.phoneNumberId,
      displayPhoneNumber: account.displayPhoneNumber ?? account.phoneNumberId,
      wamid,
      recipientId: send.recipientId,
      userId: send.userId,
      category: 'marketing_lite',
      viaMarketingMessages: true,
      maxPrice: send.body['bid_spec'] !== undefined,
    });
    return {
      status: 200,
      body: {
        contacts: contacts(send),
        messages: [{ id: wamid, message_status: 'accepted' }],
        messaging_product: 'whatsapp',
        success: true,
      },
    };
  });
}
