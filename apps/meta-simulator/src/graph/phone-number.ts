import { authorisePhone } from './auth.ts';
import type { GraphDeps } from './deps.ts';
import { graphEndpoint } from './pipeline.ts';

/**
 * `GET /{phone_number_id}`: the number's status fields. `messaging_limit_tier` is
 * deprecated; `whatsapp_business_manager_messaging_limit` (the portfolio's limit) replaces it.
 */
export function phoneNumberRoute(deps: GraphDeps) {
  return graphEndpoint('phone_number', deps, (req, record) => {
    const phoneNumberId = record.phoneNumberId ?? '';
    const account = authorisePhone(deps.state, req, phoneNumberId);
    const all: Record<string, unknown> = {
      verified_name: 'Simulated Business',
      display_phone_number: account.displayPhoneNumber ?? '15550000000',
      code_verification_status: 'VERIFIED',
      quality_rating: 'GREEN',
      platform_type: 'CLOUD_API',
      throughput: { level: 'STANDARD' },
      name_status: 'APPROVED',
      status: 'CONNECTED',
      whatsapp_business_manager_messaging_limit: 'TIER_2K',
    };
    const defaults = ['verified_name', 'code_verification_status', 'display_phone_number', 'quality_rating', 'platform_type', 'throughput'];
    const fields = typeof req.query['fields'] === 'string' ? req.query['fields'].split(',').map((f) => f.trim()) : defaults;
    const body: Record<string, unknown> = {};
    for (const field of fields) if (field in all) body[field] = all[field];
    body['id'] = phoneNumberId;
    return { status: 200, body };
  });
}
