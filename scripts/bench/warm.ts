import { request } from 'undici';
import { HOT_TEMPLATE, templateBody, type BenchStack, type Target } from './stack.ts';

/** The measured sends must find the category cached: learn it once, then check a send says so. */
export async function warmCategory(stack: BenchStack): Promise<void> {
  for (const gateway of stack.gateways()) await warmOne(gateway);
}

async function warmOne(gateway: Target): Promise<void> {
  const reasons: string[] = [];
  for (const url of [gateway.urls[0]!, ...gateway.urls]) {
    const answer = await request(`${url}${gateway.path}`, { method: 'POST', headers: gateway.headers, body: templateBody(HOT_TEMPLATE) });
    const text = await answer.body.text();
    if (answer.statusCode !== 200) throw new Error(`warm-up send answered ${answer.statusCode}: ${text}`);
    reasons.push(String(answer.headers['x-gateway-route-reason']));
  }
  if (reasons.at(-1) !== 'cached_marketing') throw new Error(`the hot template is not cached after warm-up: reasons ${reasons.join(', ')}`);
}
