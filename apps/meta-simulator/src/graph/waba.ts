import { authoriseWaba } from './auth.ts';
import type { GraphDeps } from './deps.ts';
import { graphEndpoint } from './pipeline.ts';

/** GET /{waba_id}?fields=disable_marketing_messages_on_cloud_api (simulator README, "Meta's 2026 behaviour"). */
export function wabaRoute(deps: GraphDeps) {
  return graphEndpoint('waba', deps, (req, record) => {
    const wabaId = record.wabaId ?? '';
    authoriseWaba(deps.state, req, wabaId);
    const fields = typeof req.query['fields'] === 'string' ? req.query['fields'].split(',').map((f) => f.trim()) : [];
    const body: Record<string, unknown> = { id: wabaId };
    if (fields.includes('disable_marketing_messages_on_cloud_api')) {
      body['disable_marketing_messages_on_cloud_api'] = deps.state.cloudMarketingOff(wabaId);
    }
    return { status: 200, body };
  });
}
